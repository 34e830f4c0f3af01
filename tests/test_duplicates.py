"""The duplicate-name check agrees with the one it replaced (issue #9: made cheaper, same verdicts).

`tests/duplicate_reference.py` is the check as it was; every .nix file of the fixtures and
generated sets of bindings (dotted paths, set literals merging, `rec`, `let`, `inherit`,
formals, quoted and computed names) must get the same problem, at the same byte, from both."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.syntax.find import read_module
from homeward.syntax.parse import (
    Source,
    SyntaxProblem,
    duplicate_query,
    find_duplicate,
    parse_tree,
)
from tests import duplicate_reference

FIXTURES = Path(__file__).parent / "fixtures"

# Names that are the same (`a`, `"a"`), one name with a dot in it, an escape and computed
# names (which nix decides when it evaluates), and names that differ only by a quote.
NAMES = ("a", "b", "c", "d", "e", '"a"', '"b"', '"b.c"', '"a\\""', "${x}", '"${x}"', "a'")
DOTS = (".", ".", ".", " . ", "./* c */")


def _both(text: bytes) -> tuple[SyntaxProblem | None, SyntaxProblem | None]:
    root = parse_tree(text).root_node
    return (
        find_duplicate(root, text, duplicate_query()),
        duplicate_reference.find_duplicate(root, text),
    )


def test_every_fixture_gets_the_reference_verdict() -> None:
    files = sorted(FIXTURES.rglob("*.nix"))
    assert len(files) > 300
    found = 0
    for file in files:
        text = file.read_bytes()
        new, old = _both(text)
        assert new == old, file
        found += old is not None
    assert found >= 1  # the fixtures hold a name defined twice


@st.composite
def _path(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3))
    text = parts[0]
    for part in parts[1:]:
        text += draw(st.sampled_from(DOTS)) + part
    return text


@st.composite
def _value(draw: st.DrawFn, depth: int) -> str:
    kinds = ["1", "x"] + (["set", "rec", "let", "fn"] if depth > 0 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "set":
        return draw(_set(depth - 1))
    if kind == "rec":
        return "rec " + draw(_set(depth - 1))
    if kind == "let":
        return f"let {draw(_bindings(depth - 1))} in {draw(_value(depth - 1))}"
    if kind == "fn":
        formals = draw(st.lists(st.sampled_from(("a", "b", "c ? 1", "a ? { }")), max_size=3))
        return "{ " + ", ".join(formals) + " }: " + draw(_value(depth - 1))
    return kind


@st.composite
def _binding(draw: st.DrawFn, depth: int) -> str:
    kind = draw(st.sampled_from(("path", "path", "path", "inherit", "inherit_from")))
    if kind == "inherit":
        return "inherit " + " ".join(draw(st.lists(st.sampled_from("abc"), min_size=1))) + ";"
    if kind == "inherit_from":
        return "inherit (s) " + " ".join(draw(st.lists(st.sampled_from("abc"), min_size=1))) + ";"
    return f"{draw(_path())} = {draw(_value(depth))};"


@st.composite
def _bindings(draw: st.DrawFn, depth: int) -> str:
    return " ".join(draw(st.lists(_binding(depth), min_size=1, max_size=5)))


@st.composite
def _set(draw: st.DrawFn, depth: int) -> str:
    return "{ " + " ".join(draw(st.lists(_binding(depth), max_size=5))) + " }"


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_value(3))
def test_generated_sets_get_the_reference_verdict(text: str) -> None:
    new, old = _both(text.encode())
    assert new == old, text


# `read_module` tells a file it walked that nix's parser finds no name defined twice in it
# (`Source.no_duplicates`), so the loader does not search it again: that must never be said
# of a file `find_duplicate` finds a problem in.


def _module_told(text: bytes) -> bool:
    source = Source(Path("m.nix"), text, parse_tree(text))
    read_module(source)
    return source.no_duplicates


def test_a_plain_module_is_known_to_define_nothing_twice() -> None:
    text = b"""{ pkgs, lib, ... }:
{
  # host00: part 0
  services.s0.enable = lib.mkDefault true;
  environment.systemPackages = [ pkgs.git ];
  environment.etc."s0.conf".text = "port = ${toString 8000}";
  programs = lib.mkIf true { git.enable = true; inherit (pkgs) zsh; };
  imports = [ ./a.nix ];
}
"""
    assert _module_told(text)


def test_a_name_defined_twice_where_the_walk_does_not_go_is_searched_for() -> None:
    for text in (
        b"{ a.b = 1; a = { c = 1; }; }",  # merged by nix: still searched
        b"{ x = [ { a = 1; a = 2; } ]; }",  # a set in a value
        b'{ x = "${ { a = 1; a = 2; }.a }"; }',  # a set in an interpolation
        b"{ x = let a = 1; a = 2; in a; }",
        b"{ a, a }: { }",
        b"{ a }: { x = { b, b }: b; }",
        b"{ x.${y} = 1; }",  # a computed name
        b'{ inherit "a"; }',
        b"{ a = 1; a = 2; }",
        b"{ a = 1; inherit a; }",
    ):
        assert not _module_told(text), text


_MODULE_VALUES = (
    "{ }",
    "{ a = 1; }",
    "[ { a = 1; a = 2; } ]",
    '"{"',
    '"${ { a = 1; a = 2; }.a }"',
    "''${x}''",
    "{ a, a }: 1",
    "/* { */ 1",
)


@st.composite
def _module_value(draw: st.DrawFn, depth: int) -> str:
    kinds = ["set", "leaf"] + (["if", "merge", "wrap", "with", "paren"] if depth > 0 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "leaf":
        return draw(st.one_of(st.sampled_from(_MODULE_VALUES), _value(1)))
    if kind == "if":
        return f"lib.mkIf c {draw(_module_value(depth - 1))}"
    if kind == "merge":
        items = draw(st.lists(_module_value(depth - 1), max_size=3))
        return "lib.mkMerge [ " + " ".join(f"({i})" for i in items) + " ]"
    if kind == "wrap":
        return f"lib.mkDefault {draw(_module_value(depth - 1))}"
    if kind == "with":
        return f"with pkgs; {draw(_module_value(depth - 1))}"
    if kind == "paren":
        return f"({draw(_module_value(depth - 1))})"
    bindings = draw(
        st.lists(
            st.one_of(
                _binding(1),
                st.builds(lambda p, v: f"{p} = {v};", _path(), _module_value(depth - 1)),
            ),
            max_size=4,
        )
    )
    return "{ " + " ".join(bindings) + " }"


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(("", "{ pkgs, ... }: ", "{ a, a }: ", "x: { y, ... }: ", "{ a ? { } }: ")),
    _module_value(3),
)
def test_a_module_known_to_define_nothing_twice_does_not(header: str, body: str) -> None:
    text = (header + body).encode()
    if _module_told(text):
        assert find_duplicate(parse_tree(text).root_node, text) is None, text


def test_no_fixture_known_to_define_nothing_twice_does() -> None:
    told = 0
    for file in sorted(FIXTURES.rglob("*.nix")):
        text = file.read_bytes()
        if _module_told(text):
            told += 1
            assert find_duplicate(parse_tree(text).root_node, text) is None, file
    assert told > 100
