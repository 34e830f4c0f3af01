"""The duplicate-name check agrees with the one it replaced (issue #9: made cheaper, same verdicts).

`tests/duplicate_reference.py` is the check as it was; every .nix file of the fixtures and
generated sets of bindings (dotted paths, set literals merging, `rec`, `let`, `inherit`,
formals, quoted and computed names) must get the same problem, at the same byte, from both."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.syntax.parse import SyntaxProblem, duplicate_query, find_duplicate, parse_tree
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
