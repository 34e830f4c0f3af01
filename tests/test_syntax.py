"""The syntax layer: finding definitions however they are written, imports, emit, validation."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from homeward.apply.validate import validate_many, validate_nix
from homeward.errors import Exit, HomewardError
from homeward.syntax.emit import (
    Attrs,
    Blank,
    Call,
    Comment,
    Func,
    Inherit,
    Let,
    NixPath,
    Raw,
    attr_key,
    emit,
    emit_file,
    quote_string,
)
from homeward.syntax.find import Definition, ImportKind, read_module
from homeward.syntax.nodes import unparen
from homeward.syntax.parse import Source, parse_source

PACKAGES = ("users", "users", "ham", "packages")


def module(text: str, name: str = "m.nix") -> Source:
    return parse_source(text.encode(), Path(name)).check()


def packages_of(source: Source) -> list[Definition]:
    return read_module(source).find_exact(PACKAGES)


def line_col_of(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """1-based line and column of the `occurrence`-th `needle` in `text` (ASCII texts)."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    return line, col


# Each case: the module text, the value `users.users.ham.packages` has, the text where the
# innermost binding defining it starts.
FORMS = {
    "nested": (
        (
            "{\n  users = {\n    users = {\n      ham = {\n        packages = [ pkgs.jq ];\n"
            "      };\n    };\n  };\n}\n"
        ),
        "[ pkgs.jq ]",
        "packages =",
    ),
    "dotted": (
        "{\n  users.users.ham.packages = [ pkgs.jq ];\n}\n",
        "[ pkgs.jq ]",
        "users.users.ham.packages =",
    ),
    "mixed-user-set": (
        (
            "{\n  users.users.ham = {\n    isNormalUser = true;\n    packages = with pkgs; [ jq ];\n"
            "  };\n}\n"
        ),
        "with pkgs; [ jq ]",
        "packages =",
    ),
    "mixed-users-set": (
        "{\n  users = {\n    users.ham.packages = [ pkgs.jq ];\n  };\n}\n",
        "[ pkgs.jq ]",
        "users.ham.packages =",
    ),
    "let-in": (
        "{ pkgs, ... }:\nlet\n  tools = [ pkgs.jq ];\nin\n{\n  users.users.ham.packages = tools;\n}\n",
        "tools",
        "users.users.ham.packages =",
    ),
    "with-module": (
        "{ pkgs, ... }:\nwith pkgs;\n{\n  users.users.ham.packages = [ jq ];\n}\n",
        "[ jq ]",
        "users.users.ham.packages =",
    ),
}


@pytest.mark.parametrize("form", sorted(FORMS), ids=str)
def test_read_module_finds_packages_however_written(form: str) -> None:
    """Why: migration must find `users.users.ham.packages` in every shape real configs use."""
    text, value, binding = FORMS[form]
    src = module(text)
    [found] = packages_of(src)
    assert found.path == PACKAGES
    assert found.value_text == value
    data = text.encode()
    assert found.value.start_byte == data.index(value.encode(), data.index(binding.encode()))
    assert found.value.end_byte == found.value.start_byte + len(value.encode())
    assert (found.location.line, found.location.col) == line_col_of(text, binding)
    assert found.location.path == Path("m.nix")
    assert found.conditions == ()


def test_read_module_mk_merge_and_mk_if_report_conditions() -> None:
    """Why: a definition under `lib.mkIf` only applies when its condition holds; migration must
    keep the condition, so each definition carries the conditions it sits under."""
    text = (
        "{ config, lib, pkgs, ... }:\n"
        "{\n"
        "  config = lib.mkMerge [\n"
        "    { users.users.ham.packages = [ pkgs.a ]; }\n"
        "    (lib.mkIf config.services.xserver.enable {\n"
        "      users.users.ham.packages = [ pkgs.b ];\n"
        "    })\n"
        "  ];\n"
        '  options.my.enable = lib.mkEnableOption "mine";\n'
        "}\n"
    )
    src = module(text)
    mod = read_module(src)
    first, second = mod.find_exact(PACKAGES)
    assert first.value_text == "[ pkgs.a ]"
    assert first.conditions == ()
    assert (first.location.line, first.location.col) == (4, 7)
    assert second.value_text == "[ pkgs.b ]"
    assert [src.text_of(unparen(c)) for c in second.conditions] == [
        "config.services.xserver.enable"
    ]
    assert (second.location.line, second.location.col) == (6, 7)
    # full-form module: `config.x` is the definition `x`; `options` are declarations.
    assert [d.path for d in mod.declarations] == [("options", "my", "enable")]
    assert all(d.path[0] != "config" for d in mod.definitions)


def test_read_module_full_form_config_and_nested_conditions() -> None:
    """Why: `config = lib.mkIf c (lib.mkMerge [ ... ])` is how option-gated modules are
    written; both conditions of a nested `mkIf` must be reported, outermost first."""
    text = (
        "{ config, lib, pkgs, ... }:\n"
        "let\n"
        "  cfg = config.my;\n"
        "in\n"
        "{\n"
        "  config = lib.mkIf cfg.enable (lib.mkMerge [\n"
        "    (lib.mkIf cfg.gui { users = { users.ham.packages = [ pkgs.firefox ]; }; })\n"
        "    { users.users.ham.packages = lib.mkDefault [ pkgs.jq ]; }\n"
        "  ]);\n"
        "}\n"
    )
    src = module(text)
    gui, plain = packages_of(src)
    assert [src.text_of(unparen(c)) for c in gui.conditions] == ["cfg.enable", "cfg.gui"]
    assert gui.value_text == "[ pkgs.firefox ]"
    assert (gui.location.line, gui.location.col) == line_col_of(text, "users.ham.packages")
    assert [src.text_of(unparen(c)) for c in plain.conditions] == ["cfg.enable"]
    assert plain.value_text == "lib.mkDefault [ pkgs.jq ]"


def test_read_module_line_col_counts_characters_not_bytes() -> None:
    """Why: error messages name file:line:col as editors count them (characters)."""
    text = '{\n  description = "ümlaut";  users.users.ham.packages = [ ];\n}\n'
    [found] = packages_of(module(text))
    # `ü` is two bytes: by bytes the column would be 29
    assert (found.location.line, found.location.col) == (2, 28)
    assert found.value.start_byte == text.encode().index(b"[ ]")


def test_read_module_inline_module_of_a_flake() -> None:
    """Why: inline modules in `modules = [ { ... } ]` are read from within flake.nix."""
    text = "{\n  outputs = _: {\n    m = { users.users.ham.packages = [ ]; };\n  };\n}\n"
    src = module(text, "flake.nix")
    start = text.index("{ users")
    expr = src.root.descendant_for_byte_range(start, start + 1)
    assert expr is not None and expr.parent is not None
    mod = read_module(src, expr.parent)
    assert [d.path for d in mod.definitions] == [PACKAGES]


IMPORTS = (
    "{ modulesPath, inputs, name, lib, cond, ... }:\n"
    "{\n"
    "  imports = [\n"
    "    ./hardware-configuration.nix\n"
    "    ../../modules/system\n"
    '    (modulesPath + "/installer/scan/not-detected.nix")\n'
    "    inputs.home-manager.nixosModules.home-manager\n"
    "    ./hosts/${name}\n"
    "    { services.openssh.enable = true; }\n"
    "    (import ./legacy.nix)\n"
    "    <nixpkgs/nixos/modules/profiles/minimal.nix>\n"
    "  ]\n"
    "  ++ lib.optionals cond [ ./extra.nix ];\n"
    "}\n"
)


def test_imports_are_classified() -> None:
    """Why: the graph and the model follow files, draw externals, and report what is computed."""
    refs = read_module(module(IMPORTS)).imports()
    got = [(r.kind, r.target, r.label if r.kind is ImportKind.EXTERNAL else "") for r in refs]
    assert got == [
        (ImportKind.FILE, PurePosixPath("hardware-configuration.nix"), ""),
        (ImportKind.FILE, PurePosixPath("../../modules/system"), ""),
        (ImportKind.EXTERNAL, None, 'modulesPath + "/installer/scan/not-detected.nix"'),
        (ImportKind.EXTERNAL, None, "inputs.home-manager.nixosModules.home-manager"),
        (ImportKind.DYNAMIC, None, ""),
        (ImportKind.INLINE, None, ""),
        (ImportKind.FILE, PurePosixPath("legacy.nix"), ""),
        (ImportKind.EXTERNAL, None, "<nixpkgs/nixos/modules/profiles/minimal.nix>"),
        (ImportKind.FILE, PurePosixPath("extra.nix"), ""),
    ]
    assert [r.conditional for r in refs] == [False] * 8 + [True]
    dynamic = refs[4]
    assert "interpolated" in dynamic.label
    assert (dynamic.location.line, dynamic.location.col) == (8, 5)


def test_imports_computed_list_is_dynamic() -> None:
    """Why: an import list homeward cannot read must be reported, never silently skipped."""
    text = "{ lib, ... }:\n{\n  imports = lib.filesystem.listFilesRecursive ./modules;\n}\n"
    [ref] = read_module(module(text)).imports()
    assert ref.kind is ImportKind.DYNAMIC
    assert ref.label == "the import list is computed"


# -- emit -----------------------------------------------------------------------------------------


def test_emit_lists() -> None:
    """Why: new code must look as nixfmt would write it (RFC 166)."""
    assert emit([]) == "[ ]"
    assert emit(["a"]) == '[ "a" ]'
    assert emit(["a", "b"]) == '[\n  "a"\n  "b"\n]'
    assert emit([Raw("pkgs.jq"), NixPath("./a.nix")], 1) == "[\n    pkgs.jq\n    ./a.nix\n  ]"
    assert emit([Call("import", [NixPath("./x")]), True]) == "[\n  (import ./x)\n  true\n]"


def test_emit_attrsets() -> None:
    assert emit(Attrs([])) == "{ }"
    assert emit(Attrs([("a", 1)])) == "{ a = 1; }"
    assert emit(Attrs([("a", 1), ("b", None)])) == "{\n  a = 1;\n  b = null;\n}"
    nested = Attrs([("outer", Attrs([("inner", Attrs([("x", False)]))]))])
    assert emit_file(nested).decode() == (
        "{\n  outer = {\n    inner = {\n      x = false;\n    };\n  };\n}\n"
    )
    # nixfmt keeps a lone `inherit` on one line even as a binding's value
    assert emit_file(Attrs([("specialArgs", Attrs([Inherit(("inputs",))]))])).decode() == (
        "{\n  specialArgs = { inherit inputs; };\n}\n"
    )
    assert emit(Attrs([Inherit(("a", "b"), "pkgs"), Blank(), Comment("why"), ("c", 3)])) == (
        "{\n  inherit (pkgs) a b;\n\n  # why\n  c = 3;\n}"
    )
    assert emit(Attrs([("x", 1)], rec=True)) == "rec { x = 1; }"


def test_emit_strings_and_keys() -> None:
    assert quote_string('say "hi" \\ ${x} $y') == '"say \\"hi\\" \\\\ \\${x} $y"'
    assert quote_string("a\nb\tc") == '"a\\nb\\tc"'
    assert attr_key("ham@desk") == '"ham@desk"'
    assert attr_key("nixos-desk") == "nixos-desk"
    assert attr_key("x86_64-linux") == "x86_64-linux"
    assert attr_key("1box") == '"1box"'
    assert attr_key("if") == '"if"'
    assert attr_key("") == '""'
    code = emit(Attrs([(("homeConfigurations", "ham@desk"), 1), (("a", "b.c"), 2)]))
    assert code == '{\n  homeConfigurations."ham@desk" = 1;\n  a."b.c" = 2;\n}'


def test_emit_functions() -> None:
    assert emit_file(Func(["pkgs"], Attrs([("a", 1)]))).decode() == (
        "{ pkgs, ... }:\n{\n  a = 1;\n}\n"
    )
    assert emit(Func([], Attrs([]))) == "{ ... }:\n{ }"
    assert emit(Func(["a", "b"], 1, ellipsis=False)) == "{ a, b }:\n1"
    # three or more formals: one per line, a trailing comma on each but `...`
    assert emit_file(Func(["config", "lib", "pkgs"], Attrs([("a", 1)]))).decode() == (
        "{\n  config,\n  lib,\n  pkgs,\n  ...\n}:\n{\n  a = 1;\n}\n"
    )
    outputs = Attrs([("outputs", Func(["nixpkgs"], Attrs([("x", 1)]), at="inputs"))])
    assert emit_file(outputs).decode() == (
        "{\n  outputs =\n    { nixpkgs, ... }@inputs:\n    {\n      x = 1;\n    };\n}\n"
    )
    assert emit(Func("name", Call("mkHost", ["x", Raw("name")]))) == 'name: mkHost "x" name'


def test_emit_let_and_calls() -> None:
    code = emit_file(Let(Attrs([("a", 1)]), Call("f", [Attrs([("x", Raw("a")), ("y", 2)])])))
    assert code.decode() == "let\n  a = 1;\nin\nf {\n  x = a;\n  y = 2;\n}\n"


@pytest.mark.nix
def test_emitted_code_parses_with_nix() -> None:
    """Why: every emitted form must be accepted by nix itself, not only by tree-sitter."""
    value = Func(
        ["config", "lib", "pkgs"],
        Let(
            Attrs([("xs", [Raw("pkgs.a"), Raw("pkgs.b")])]),
            Attrs(
                [
                    (("a", "b"), Attrs([Inherit(("xs",))])),
                    (("users", "users", "ham@desk"), Attrs([("isNormalUser", True)])),
                    ("s", 'x ${y} "z"'),
                    ("f", Func(["pkgs"], Attrs([("p", [])]), at="args")),
                    Comment("done"),
                ]
            ),
        ),
    )
    validate_nix(emit_file(value), Path("emitted.nix"))


# -- validate -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("{\n  a = 1\n}\n", 2, 8),
        ("{ a = 1;", 1, 9),
        ("# nothing but a comment\n", 2, 1),
        ("{ a, ..., }: a", 1, 9),
    ],
    ids=["missing-semicolon", "unclosed", "no-expression", "comma-after-ellipsis"],
)
def test_validate_nix_rejects_broken_text(text: str, line: int, col: int) -> None:
    """Why: nothing invalid may ever be written; the error names where the text breaks."""
    with pytest.raises(HomewardError) as info:
        validate_nix(text.encode(), Path("new.nix"), use_nix=False)
    assert info.value.at is not None
    assert (info.value.at.path, info.value.at.line, info.value.at.col) == (
        Path("new.nix"),
        line,
        col,
    )


def test_validate_nix_accepts_valid_text() -> None:
    validate_nix(b"{ pkgs, ... }:\n{\n  x = [ pkgs.a ];\n}\n", Path("ok.nix"), use_nix=False)


@pytest.mark.nix
def test_validate_nix_uses_nix_for_what_tree_sitter_accepts() -> None:
    """Why: nix rejects undefined variables while parsing; tree-sitter does not. (Duplicate
    attributes, once the example here, are homeward's own check now.)"""
    text = b"{\n  a = 1;\n  b = c;\n}\n"
    assert parse_source(text, Path("dup.nix")).first_problem() is None
    with pytest.raises(HomewardError) as info:
        validate_nix(text, Path("dup.nix"))
    assert info.value.at is not None
    assert info.value.at.line == 3


def test_parse_source_rejects_non_utf8_with_location() -> None:
    with pytest.raises(HomewardError) as info:
        parse_source(b'{\n  a = "\xff";\n}\n', Path("bad.nix"))
    assert str(info.value.at) == "bad.nix:2:8"


@pytest.mark.nix
def test_validate_many_locates_the_text_nix_rejects() -> None:
    """Why (issue #9): every new text goes to one `nix-instantiate --parse` through stdin,
    with no temporary tree; when nix rejects the whole, the error still names the file and the
    line of the text at fault, not a line of the combined expression."""
    good = b"# a comment on the last line, no newline\n{ a = 1; }\n# end"
    texts = {Path("ok.nix"): good, Path("dir/also.nix"): b"{ pkgs, ... }:\n[ pkgs.jq ]\n"}
    validate_many(texts)
    texts[Path("dir/dup.nix")] = b"{\n  a = 1;\n  a = 2;\n}\n"
    with pytest.raises(HomewardError) as info:
        validate_many(texts)
    assert info.value.at is not None
    assert (info.value.at.path, info.value.at.line) == (Path("dir/dup.nix"), 3)


@pytest.mark.parametrize("use_nix", [pytest.param(True, marks=pytest.mark.nix), False])
def test_validate_many_rejects_a_name_defined_twice(use_nix: bool) -> None:
    """Why (issue #9): with nix, the new texts' names defined twice are left to its parser
    (tree-sitter's look for them was most of validating the planned flake at 200 hosts);
    without it, tree-sitter's check finds them. Either way the text is refused, located."""
    texts = {Path("ok.nix"): b"{ a = 1; }\n", Path("dup.nix"): b"{\n  a.b = 1;\n  a.b = 2;\n}\n"}
    with pytest.raises(HomewardError) as info:
        validate_many(texts, use_nix=use_nix)
    assert info.value.exit_code == Exit.BUG  # homeward's own text: DESIGN's exit 4
    assert info.value.message.startswith("the text homeward generated for `dup.nix` ")
    assert ("nix-instantiate" in info.value.message) is use_nix
    assert info.value.at is not None
    assert (info.value.at.path, info.value.at.line) == (Path("dup.nix"), 3)


@pytest.mark.nix
@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "{ self\n, nixpkgs\n, ...\n}@inputs: { }\n",
            "{ self\n, nixpkgs\n, home-manager\n, ...\n}@inputs: { }\n",
        ),
        ("{ self\n, nixpkgs\n}: { }\n", "{ self\n, nixpkgs\n, home-manager\n}: { }\n"),
        ("{\n  self,\n  nixpkgs\n}: { }\n", "{\n  self,\n  nixpkgs,\n  home-manager\n}: { }\n"),
        (
            "{\n  self,\n  nixpkgs,\n  ...\n}: { }\n",
            "{\n  self,\n  nixpkgs,\n  home-manager,\n  ...\n}: { }\n",
        ),
        ("{\n  self,\n  nixpkgs,\n}: { }\n", "{\n  self,\n  nixpkgs,\n  home-manager,\n}: { }\n"),
    ],
    ids=["comma-first", "comma-first-closed", "no-trailing-comma", "ellipsis", "trailing-comma"],
)
def test_add_formal_keeps_each_layout_valid(before: str, after: str) -> None:
    """Why: a real configuration writes its formals comma-first (`{ self\n, nixpkgs\n, ... }`);
    migrate added `home-manager,` on its own line there (and after a last name with no comma),
    which nix rejects: the run ended as "internal error" (corpus, issue 11)."""
    from homeward.syntax.edit import add_formal

    src = parse_source(before.encode(), Path("flake.nix"))
    fn = unparen(src.root.child_by_field_name("expression"))  # type: ignore[arg-type]
    formals = fn.child_by_field_name("formals")
    assert formals is not None
    span = add_formal(formals, src.text, "home-manager")
    out = src.text[: span.start_byte] + span.new + src.text[span.end_byte :]
    assert out.decode() == after
    validate_nix(out, Path("flake.nix"))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("{ a.b = 1; a.c = 2; }", None),
        ('{ a."b.c" = 1; a.b.c = 2; }', None),  # `"b.c"` is one name
        ('{ a."b" = 1; a.b = 2; }', "1:14: attribute `a.b` is already defined"),
        ("{ a = { b = 1; }; a = { c = 2; }; }", None),  # two set literals: nix merges them
        ("{ a = { b = 1; }; a = 2; }", "1:19: attribute `a` is already defined"),
        ("{ a.b = 1; a = { }; }", None),  # as homeward has always read it (nix merges)
        ("{ a = 1; a.b = 2; }", "1:10: attribute `a.b` is already defined"),
        ("{ inherit a; x = 1; a = 2; }", "1:21: attribute `a` is already defined"),
        ("{ inherit (s) a; inherit a; }", "1:26: attribute `a` is already defined"),
        ('{ "a\\"" = 1; "a\\"" = 2; }', None),  # an escape: a name nix decides
        ("{ ${x} = 1; ${x} = 2; }", None),  # computed
        ("{ a = { b = 1; b = 2; }; b = 3; }", "1:16: attribute `b` is already defined"),
        ("let a = 1; b = { a = 2; }; a = 3; in a", "1:28: attribute `a` is already defined"),
        ("{ x = { a = 1; }; y = { a = 1; }; }", None),  # the same name in other sets
        (
            "{ a, b }: { b = { a = 1; b = 2; }; c = 3; c = 4; }",
            "1:43: attribute `c` is already defined",
        ),
        ("{ a, a }: { c = 3; c = 4; }", "1:6: duplicate formal function argument `a`"),
        # A set is checked before the sets and formals in it.
        ("{ c = 3; f = { a, a }: 1; c = 4; }", "1:27: attribute `c` is already defined"),
        ("{ c = 3; d = { a = 1; a = 2; }; c = 4; }", "1:33: attribute `c` is already defined"),
        ("{ c = 3; d = { a = 1; a = 2; }; }", "1:23: attribute `a` is already defined"),
        # A path into a set literal adds to it (nix 2.8 rejects each of these, and accepts
        # the ones marked None).
        ("{ a = { b = 1; }; a.b = 2; }", "1:19: attribute `a.b` is already defined"),
        ("{ a = { b = 1; }; a.c = 2; }", None),
        ("{ a = rec { b = 1; }; a.c = 2; }", None),
        ("{ a = { b.c = 1; }; a.b.c = 2; }", "1:21: attribute `a.b.c` is already defined"),
        ("{ a = { b.c = 1; }; a.b.d = 2; }", None),
        ("{ a = { b.c = 1; b.d = 2; }; a.e = 1; }", None),
        ("{ a = { inherit b; }; a.b = 1; }", "1:23: attribute `a.b` is already defined"),
        ("{ inherit a; a.b = 1; }", "1:14: attribute `a.b` is already defined"),
        # A set literal merges into a set; a name both define is an error unless both are
        # sets. Nix 2.8 merges one level only and rejects the last three; later versions merge
        # all the way down (a real fleet relies on it), so homeward accepts them.
        ("{ a.b = 1; a = { b = 2; }; }", "1:18: attribute `b` is already defined"),
        ("{ a.b = 1; a = rec { b = 2; }; }", "1:22: attribute `b` is already defined"),
        ("{ a = { b = 1; }; a = { b = 2; }; }", "1:25: attribute `b` is already defined"),
        ("{ a = { b.c = 1; }; a = { b.c = 2; }; }", "1:27: attribute `c` is already defined"),
        ("{ a.b.c = 1; a.b = { c = 2; }; }", "1:22: attribute `c` is already defined"),
        ("{ a = { b = { c = 1; }; }; a = { b = { d = 2; }; }; }", None),
        ("{ a = { b.c = 1; }; a = { b.d = 2; }; }", None),
        ("{ a.b.c = 1; a = { b.d = 2; }; }", None),
        ("let a = { b = 1; }; a.b = 2; in a", "1:21: attribute `a.b` is already defined"),
    ],
)
def test_a_name_defined_twice_is_found_where_nix_finds_it(text: str, found: str | None) -> None:
    """Why: the check reads plain paths from their text and sorts the bindings into their sets
    by where they are; the first problem in the text must stay the one reported."""
    source = parse_source(text.encode(), Path("m.nix"))
    problem = source.first_problem()
    if found is None:
        assert problem is None, problem
        return
    assert problem is not None
    line, col = source.line_col(problem.start_byte)
    assert f"{line}:{col}: {problem.message}" == found


def _appended(before: str, item: str) -> str:
    """`imports = BEFORE;` after `append_to_list` adds `item`: the list's text."""
    from homeward.apply.spans import apply_edits
    from homeward.plan.types import Edit
    from homeward.syntax.edit import append_to_list

    source = parse_source(f"{{\n  imports = {before};\n}}\n".encode(), Path("x.nix"))
    (found,) = read_module(source).find_exact(("imports",))
    spans = append_to_list(unparen(found.value), source.text, [item])
    edits = [Edit(Path("x.nix"), s.start_byte, s.end_byte, s.new, "t") for s in spans]
    text = apply_edits(source.text, edits).decode()
    return text.removeprefix("{\n  imports = ").removesuffix(";\n}\n")


@pytest.mark.parametrize(
    ("before", "item", "after"),
    [
        ("[ ]", "./home/ann", "[ ./home/ann ]"),
        ("[\t]", "./home/ann", "[ ./home/ann ]"),
        # Past nixfmt's width (100) on one line: one element a line.
        ("[ ]", "./" + "a" * 90, "[\n    ./" + "a" * 90 + "\n  ]"),
        # Not one line: one element a line.
        ("[ ]", "{\n  x = 1;\n}", "[\n    {\n      x = 1;\n    }\n  ]"),
    ],
    ids=["empty", "tab", "too-wide", "multi-line-item"],
)
def test_an_empty_one_line_list_keeps_one_short_item_on_its_line(
    before: str, item: str, after: str
) -> None:
    assert _appended(before, item) == after


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("[ /* none yet */ ]", "[\n    /* none yet */\n    ./x\n  ]"),
        ("[ /* c */ a ]", "[\n    /* c */\n    a\n    ./x\n  ]"),
        ("[ a /* c */ b ]", "[\n    a /* c */\n    b\n    ./x\n  ]"),
        ("[ a b /* c */ ]", "[\n    a\n    b /* c */\n    ./x\n  ]"),
    ],
    ids=["empty", "first", "between", "last"],
)
def test_a_one_line_list_expanded_keeps_its_comments(before: str, after: str) -> None:
    """Why (rule 6): a comment that no element owned (in an empty list, before the first
    element) was dropped with the spaces around it when the list was expanded."""
    assert _appended(before, "./x") == after
