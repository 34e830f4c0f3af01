"""plan/ (and `check --fix`) writes Nix through one builder, `syntax/emit` (issue 9): no
binding, block or indentation built by hand in an f-string or a concatenation.

An AST scan of `src/homeward/plan/*.py` and `fix.py`. What it flags: an f-string that writes
a binding (`name = {value};`), an `inherit`, an `if`, a function head, a list or parentheses,
or opens or closes a block on a line of its own; a concatenation with a literal that opens or
closes a set or list, or is only indentation; an f-string that starts a line with
indentation; `.replace("\\n", "\\n  ")`. What it leaves alone: messages (the arguments of
`Diagnostic`, the errors and `hint=`; any text quoting code in backticks), and `Comment(...)`
text. Code copied from the user's files stays text (`Raw`): what is flagged is structure
written around it by hand."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import homeward.plan

PLAN = Path(homeward.plan.__file__).parent


_BINDING = re.compile(r"(^|[\s{;])[\x00\w\"$@{}.'-]*[\x00\w\"}]\s=\s(?!=)|=\s*$")
_BLOCK = re.compile(r"[{\[]\n|\n\s*[}\]]")
_MESSAGES = {"Diagnostic", "HomewardError", "UsageError", "NixError", "Comment"}
_MESSAGE_ARGS = {"hint", "message", "why"}


def _literal(node: ast.AST) -> str | None:
    """The text of a string expression, with `\\x00` for each formatted value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "\x00"
            for v in node.values
        )
    return None


def hand_built(node: ast.AST) -> str | None:
    """Why `node` builds Nix by hand, or None."""
    if isinstance(node, ast.JoinedStr):
        text = _literal(node) or ""
        if "`" in text:
            return None  # prose quoting code
        if ";" in text and _BINDING.search(text):
            return "a binding in an f-string"
        if re.match(r"\s*inherit\b[^;]*;", text):
            return "an inherit in an f-string"
        if _BLOCK.search(text):
            return "a block in an f-string"
        if re.search(r"(^|\n) {2,}\x00", text):
            return "indentation in an f-string"
        if text == "(\x00)" or re.search(r"\[ [^\n]*\x00[^\n]* \]", text):
            return "parentheses or a list in an f-string"
        if re.search(r"\bif\b.*\bthen\b.*\belse\b|\.\.\. ?\}:", text):
            return "an `if` or a function head in an f-string"
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for side in (node.left, node.right):
            part = _literal(side)
            if part is None or "`" in part:
                continue
            if re.fullmatch(r" +", part) or _BLOCK.search(part):
                return "a block or indentation concatenated"
            if re.fullmatch(r"\s*[{\[]\s*|\s*[}\]];?\s*", part) and part.strip():
                return "a set or list concatenated"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "replace"
        and len(node.args) == 2
        and _literal(node.args[0]) == "\n"
        and re.fullmatch(r"\n +", _literal(node.args[1]) or "")
    ):
        return "lines indented by hand"
    return None


def scan(source: str, name: str) -> list[tuple[str, str, int, str]]:
    """(file, function, line, why) for each place `source` builds Nix by hand."""
    found: list[tuple[str, str, int, str]] = []

    def visit(node: ast.AST, function: str, quiet: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Call):
            callee = node.func
            called = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
            quiet = quiet or called in _MESSAGES
        if isinstance(node, ast.keyword) and node.arg in _MESSAGE_ARGS:
            quiet = True
        why = None if quiet else hand_built(node)
        if why is not None:
            found.append((name, function, getattr(node, "lineno", 0), why))
            return
        for child in ast.iter_child_nodes(node):
            visit(child, function, quiet)

    visit(ast.parse(source), "<module>", False)
    return found


def test_the_scan_finds_hand_built_nix_and_leaves_messages() -> None:
    """Why: the scan must be able to fail (each form it looks for, flagged) and must not
    flag a message that quotes code."""
    flagged = """
def a(name, value, lines, code):
    x = f"{name} = {value};"
    y = f"inherit {name};"
    z = "{\\n" + "\\n".join(lines) + "\\n}"
    w = "  " + code.replace("\\n", "\\n  ")
    v = "{ " + " ".join(lines) + " }"
    u = "".join(f"  {line}\\n" for line in lines)
    t = f"({code})"
    s = f"imports = [ {code} ]"
    r = f"if {name} then {value} else {code}"
    q = f"{{ {name}, ... }}:"
"""
    whys = [f[3] for f in scan(flagged, "x.py")]
    assert len(whys) == 10, whys
    assert {f[1] for f in scan(flagged, "x.py")} == {"a"}
    quiet = """
def b(name, value):
    raise HomewardError(f"cannot write {name} = {value};", hint=f"write {name} = x; by hand")
    Diagnostic(Severity.NOTE, f"{name} = {value};")
    Comment(f"programs.{name}.enable = true;")
    message = f"`{name} = {value};` is not moved"
    check = code.startswith(f"programs.{name}.enable")
    words = f"{name} (the host's) and {value} are kept"
"""
    assert scan(quiet, "x.py") == []


def test_plan_builds_nix_on_the_emit_tree() -> None:
    """Why (issue 9): Nix text was built three ways (the emit tree, f-strings with `_indent`,
    `"  " + line.replace(...)`), and the copies drifted; what plan/ writes goes through
    `syntax/emit` now."""
    paths = [*sorted(PLAN.glob("*.py")), PLAN.parent / "fix.py"]  # and `check --fix`
    found = [f for path in paths for f in scan(path.read_text(), path.name)]
    assert not found, "Nix built by hand (use homeward.syntax.emit):\n" + "\n".join(
        f"  plan/{file}:{line} in {function}: {why}" for file, function, line, why in found
    )
