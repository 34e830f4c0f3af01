# homeward as a nixpkgs Python application: `python3Packages.callPackage ./nix/package.nix { }`.
#
# The parser is nixpkgs' own: `python3Packages.tree-sitter` with the nix grammar of
# `tree-sitter-grammars.tree-sitter-nix` (`$out/parser`), named by $HOMEWARD_NIX_GRAMMAR in the
# wrapper, instead of the 184 MB tree-sitter-language-pack wheel the pip install uses.
{
  lib,
  buildPythonApplication,
  setuptools,
  tree-sitter,
  rich,
  tree-sitter-grammars,
  installShellFiles,
  pytestCheckHook,
  hypothesis,
  jsonschema,
  pyyaml,
  git,
}:
let
  pyproject = lib.importTOML ../pyproject.toml;
  grammar = "${tree-sitter-grammars.tree-sitter-nix}/parser";
in
buildPythonApplication {
  pname = "homeward";
  inherit (pyproject.project) version;
  pyproject = true;

  src = lib.cleanSource ../.;

  build-system = [ setuptools ];
  dependencies = [
    tree-sitter
    rich
  ];
  # The pip install's grammar source; here the grammar comes from tree-sitter-grammars.
  pythonRemoveDeps = [ "tree-sitter-language-pack" ];

  nativeBuildInputs = [ installShellFiles ];

  makeWrapperArgs = [
    "--set-default"
    "HOMEWARD_NIX_GRAMMAR"
    grammar
  ];

  # Completions and the man page are generated from the argparse parser and kept in the
  # repository (a test fails when they are stale), so the build runs nothing of homeward.
  postInstall = ''
    installShellCompletion --cmd homeward \
      --bash completions/homeward.bash \
      --zsh completions/_homeward \
      --fish completions/homeward.fish
    installManPage docs/homeward.1
  '';

  # The test suite runs in `checks.<system>.tests` (nix flake check), not on every install.
  doCheck = false;
  nativeCheckInputs = [
    pytestCheckHook
    hypothesis
    jsonschema
    pyyaml
    git
  ];
  preCheck = ''
    export HOMEWARD_NIX_GRAMMAR=${grammar}
    export HOME=$TMPDIR
  '';
  # No nix daemon, Graphviz or SARIF schema package in the build sandbox: those tests run in
  # the project's own CI (.ci/run).
  disabledTestMarks = [
    "nix"
    "graphviz"
  ];
  disabledTests = [ "test_sarif_is_valid" ];

  pythonImportsCheck = [ "homeward" ];

  meta = {
    description = pyproject.project.description;
    license = lib.licenses.mit;
    mainProgram = "homeward";
    platforms = lib.platforms.unix;
  };
}
