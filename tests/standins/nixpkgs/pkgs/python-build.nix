# What homeward's own flake (nix/package.nix, nix/lib.nix) calls in nixpkgs, faked: Python
# packaging (`python3Packages.buildPythonApplication`, its `callPackage`, the libraries homeward
# depends on), `tree-sitter-grammars`, `mkShell`, `installShellFiles`. Each builder returns a
# fake derivation that keeps the arguments it got (`args`), so tests can read what the
# expression asked for; nothing is built.
{
  lib,
  mkDrv,
  pkg,
  final,
  pyPkgs,
}:
let
  b = builtins;

  # A Python package (named `python3-<pname>-<version>`) or application (`<pname>-<version>`), as
  # nixpkgs names them; `overridePythonAttrs` takes a set or a function of the old arguments.
  buildPython =
    prefix: args:
    let
      pname = args.pname or (b.parseDrvName args.name).name;
      version = args.version or "1.0";
    in
    mkDrv {
      name = "${prefix}${pname}-${version}";
      inherit pname version;
      extra = {
        inherit args;
        passthru = args.passthru or { };
        meta = (args.meta or { }) // {
          mainProgram = args.meta.mainProgram or pname;
        };
        overridePythonAttrs =
          f: buildPython prefix (args // (if lib.isFunction f then f args else f));
      } // (args.passthru or { });
    };

  python = pyPkgs // pythonBuild;
  pythonBuild = {
    buildPythonApplication = buildPython "";
    buildPythonPackage = buildPython "python3-";
    callPackage =
      fn: overrides:
      let
        f = if lib.isFunction fn then fn else import fn;
      in
      f (b.intersectAttrs (lib.functionArgs f) (final // python) // overrides);
    python = final.python3;
    pytestCheckHook = pkg "pytest-check-hook";
    pythonImportsCheckHook = pkg "python-imports-check-hook";
  }
  // lib.genAttrs [ "tree-sitter" "hypothesis" "jsonschema" "pytest" ] (
    n:
    mkDrv {
      name = "python3-${n}-1.0";
      pname = n;
      version = "1.0";
    }
  );
in
{
  inherit pythonBuild;

  top = {
    mkShell =
      args:
      mkDrv {
        name = args.name or "nix-shell";
        extra = {
          inherit args;
        };
      };
    installShellFiles = pkg "install-shell-files";
    graphviz = pkg "graphviz";
    # nixpkgs builds each grammar to `$out/parser`, a library exporting `tree_sitter_<lang>`.
    tree-sitter-grammars = lib.recurseIntoAttrs (
      lib.genAttrs [ "tree-sitter-nix" "tree-sitter-json" "tree-sitter-bash" ] (
        n:
        mkDrv {
          name = "${n}-grammar-0.0.0";
          pname = "${n}-grammar";
          version = "0.0.0";
        }
      )
    );
  };
}
