"""Helpers for tests: copy fixture trees, make real git repos, compare trees byte for byte."""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True)
    return dst


def git(repo: Path, *args: str) -> str:
    p = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return p.stdout


def make_git_repo(path: Path) -> Path:
    """Turn a directory into a git repo with everything committed (as users have it)."""
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "before", "--allow-empty")
    return path


def tree_files(root: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for p in sorted(root.rglob("*")):
        if ".git" in p.relative_to(root).parts:
            continue
        if p.is_file() or p.is_symlink():
            out[str(p.relative_to(root))] = (
                p.read_bytes() if p.is_file() else b"-> " + str(p.readlink()).encode()
            )
    return out


def tree_diff(actual: Path, expected: Path) -> str:
    """A unified diff of two trees; empty when they are byte-identical."""
    a, b = tree_files(actual), tree_files(expected)
    lines: list[str] = []
    for name in sorted(set(a) | set(b)):
        if a.get(name) == b.get(name):
            continue
        left = b.get(name, b"").decode(errors="replace").splitlines(keepends=True)
        right = a.get(name, b"").decode(errors="replace").splitlines(keepends=True)
        lines.extend(difflib.unified_diff(left, right, f"expected/{name}", f"actual/{name}"))
        if name not in a:
            lines.append(f"missing in actual: {name}\n")
        if name not in b:
            lines.append(f"unexpected in actual: {name}\n")
    return "".join(lines)
