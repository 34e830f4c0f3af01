"""`syntax/emit`, the one Nix builder: the node kinds the planners write with (issue 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.apply.validate import validate_nix
from homeward.syntax.emit import (
    Attrs,
    Call,
    Comment,
    Func,
    If,
    Interpolated,
    Let,
    List,
    NixPath,
    Paren,
    Raw,
    Update,
    With,
    emit,
    emit_binding,
    emit_bindings,
    emit_file,
)


def test_an_expanded_list_keeps_one_item_a_line() -> None:
    """Why: a host's `modules` list is written one module a line even with a single module
    (the next `add` appends to it); a plain list of one short item stays on one line."""
    assert emit([NixPath("./hosts/box")]) == "[ ./hosts/box ]"
    assert emit(List([NixPath("./hosts/box")], expand=True)) == "[\n  ./hosts/box\n]"
    assert emit(List([NixPath("./a")])) == "[ ./a ]"
    assert emit(List([], expand=True)) == "[ ]"
    assert emit(List([Call("import", [NixPath("./x")])], expand=True), 1) == (
        "[\n    (import ./x)\n  ]"
    )


def test_an_expanded_set_stays_expanded_in_a_list() -> None:
    """Why: a settings module in a host's list is one binding a line, even with one binding."""
    module = Attrs([(("home-manager", "users", "ham", "imports"), [NixPath("./home/ham")])])
    assert emit([module]) == "[ { home-manager.users.ham.imports = [ ./home/ham ]; } ]"
    expanded = Attrs(module.items, expand=True)
    assert (
        emit([expanded]) == "[\n  {\n    home-manager.users.ham.imports = [ ./home/ham ];\n  }\n]"
    )
    assert emit(expanded) == "{\n  home-manager.users.ham.imports = [ ./home/ham ];\n}"


def test_updates() -> None:
    """`a // { ... }`: a short update on one line, a long set opened on the operator's line;
    in a list, in parentheses."""
    both = Update([Raw("{ inherit inputs; }"), Attrs([("osConfig", Raw("self.config"))])])
    assert emit(both) == "{ inherit inputs; } // { osConfig = self.config; }"
    assert emit(Attrs([("extraSpecialArgs", both), ("x", 1)])) == (
        "{\n  extraSpecialArgs = { inherit inputs; } // { osConfig = self.config; };\n  x = 1;\n}"
    )
    long = Update([Raw("args"), Attrs([("a", 1), ("b", 2)])])
    assert emit(Attrs([("extraSpecialArgs", long)], expand=True)) == (
        "{\n  extraSpecialArgs = args // {\n    a = 1;\n    b = 2;\n  };\n}"
    )
    assert emit([Update([Raw("a"), Raw("b")]), Raw("c")]) == "[\n  (a // b)\n  c\n]"


def test_bindings_without_braces() -> None:
    """Why: what is inserted into a set that exists is bindings at indentation 0 (the edit
    indents them as the set is); comments and blank lines between them as given."""
    code = emit_bindings(
        [
            (("home", "username"), Call("lib.mkDefault", ["ham"])),
            Comment("why"),
            (("programs", "home-manager", "enable"), True),
        ]
    )
    assert code == (
        'home.username = lib.mkDefault "ham";\n# why\nprograms.home-manager.enable = true;'
    )
    assert emit_bindings([]) == ""
    assert emit_binding(("homeConfigurations", "ham@desk"), Raw("x")) == (
        'homeConfigurations."ham@desk" = x;'
    )
    assert emit_binding("modules", [Raw("a"), Raw("b")], 1) == "modules = [\n    a\n    b\n  ];"


def test_with_parentheses_and_copied_bindings() -> None:
    """Why: rendered files hold code copied from the user's files: a set's `Raw` items are
    given the set's indentation, as written otherwise (empty lines stay empty)."""
    packages = With("pkgs", List([Raw("git"), Raw("jq")]))
    assert emit(packages) == "with pkgs; [\n  git\n  jq\n]"
    assert emit([packages, Paren(Raw("a ++ b"))]) == (
        "[\n  (with pkgs; [\n    git\n    jq\n  ])\n  (a ++ b)\n]"
    )
    copied = Raw("xs = [\n  1\n\n  2\n];")
    assert emit(Attrs([copied, ("y", 1)])) == "{\n  xs = [\n    1\n\n    2\n  ];\n  y = 1;\n}"
    long = Raw("pkgs." + "x" * 120)
    assert emit(List([long], expand=False)) == f"[ {long.code} ]"
    assert emit(List([long])).startswith("[\n  pkgs.")


def test_keys_written_as_given_and_one_copied_binding() -> None:
    """Why: a dotfile's name is always quoted (`home.file."foo".source`), and a host's
    `specialArgs` of one binding copied as written stays on one line."""
    key = ("home", "file", Raw('"foo"'), "source")
    assert emit_binding(key, NixPath("./foo")) == 'home.file."foo".source = ./foo;'
    assert emit_binding(("home", "file", "foo", "source"), 1) == "home.file.foo.source = 1;"
    assert emit(Attrs([Raw("inherit (self) inputs;")])) == "{ inherit (self) inputs; }"
    assert emit(Attrs([Raw("a = {\n  b = 1;\n};")])) == "{\n  a = {\n    b = 1;\n  };\n}"
    assert emit(Attrs([Raw("x = 1;")], expand=True)) == "{\n  x = 1;\n}"


def test_a_helper_function_and_a_list_on_one_line() -> None:
    """Why: `add host --mkhost` writes `nixosConfigurations = lib.genAttrs [ "a" "b" ] mkHost;`
    and `mkHost =\\n  name:\\n  <call>;` (as nixfmt lays a function over several lines out)."""
    assert emit(List(["a", "b"], expand=False)) == '[ "a" "b" ]'
    assert emit(List(["a", Raw("x\ny")], expand=False)) == '[\n  "a"\n  x\n  y\n]'
    hosts = Call("lib.genAttrs", [List(["a", "b"], expand=False), Raw("mkHost")])
    assert emit_binding("hosts", hosts) == 'hosts = lib.genAttrs [ "a" "b" ] mkHost;'
    helper = Func("name", Call("f", [Attrs([("a", Raw("name"))])]))
    assert emit_binding("mkHost", helper) == "mkHost =\n  name:\n  f {\n    a = name;\n  };"
    assert emit_binding("g", Func("x", Raw("x"))) == "g = x: x;"


def test_a_let_on_one_line() -> None:
    """Why: code moved out of a helper gets the helper's names bound around it, on one line
    (`let host = "box"; in import ./x { inherit host; }`)."""
    let = Let(Attrs([("host", "box"), ("n", 1)]), Raw("f host n"), inline=True)
    assert emit(let) == 'let host = "box"; n = 1; in f host n'
    assert emit(Let(Attrs([("a", 1)]), Raw("a"))) == "let\n  a = 1;\nin\na"


def test_a_choice_by_platform() -> None:
    """Why: a home on a Mac and on Linux chooses its directory with `pkgs.stdenv.isDarwin`."""
    choice = If(Raw("pkgs.stdenv.isDarwin"), "/Users/ham", "/home/ham")
    assert emit(choice) == 'if pkgs.stdenv.isDarwin then "/Users/ham" else "/home/ham"'
    assert emit(Paren(choice)).startswith("(if ") and emit(Paren(choice)).endswith('")')
    assert emit([choice, Raw("x")]).startswith("[\n  (if pkgs")


def test_an_interpolated_string() -> None:
    """Why: a tmpfiles rule and an out-of-store link were strings glued around `${…}` by
    hand; the text around the interpolation is escaped as any string is."""
    rule = Interpolated(['C %h/a "b" ${x} - ', Paren(Raw('./. + "/a b"'))])
    assert emit(rule) == '"C %h/a \\"b\\" \\${x} - ${(./. + "/a b")}"'
    assert emit(Interpolated([Raw("flakeDir"), "/home/x"])) == '"${flakeDir}/home/x"'


@pytest.mark.nix
def test_the_new_forms_parse_with_nix() -> None:
    """Why: every form the planners now write through emit must be accepted by nix itself."""
    choice = If(Raw("pkgs.stdenv.isDarwin"), "/Users/ham", "/home/ham")
    value = Func(
        ["pkgs", "lib"],
        Let(
            Attrs([("helper", Func("name", Call("lib.id", [Attrs([("a", Raw("name"))])])))]),
            Attrs(
                [
                    (("home", "packages"), With("pkgs", List([Raw("git")], expand=True))),
                    ("special", Update([Raw("{ inherit pkgs; }"), Attrs([("x", 1)])])),
                    ("hosts", List(["a", "b"], expand=False)),
                    ("dir", Paren(choice)),
                    ("rule", Interpolated(["C %h/x ${y}", Raw("./x"), " z"])),
                    ("bound", Let(Attrs([("n", 1)]), Raw("n"), inline=True)),
                    (("home", "file", Raw('"x y"'), "source"), NixPath("./x")),
                    Raw("copied = [\n  1\n];"),
                ],
                expand=True,
            ),
        ),
    )
    validate_nix(emit_file(value), Path("emitted.nix"))
