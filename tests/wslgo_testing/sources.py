"""The Go fixture sources under tests/go: lines found by marker comments, and the goroutine
ids the hook fixtures print."""

from __future__ import annotations

import re
from pathlib import Path

GO_DIR = Path(__file__).resolve().parents[1] / "go"


def source(fixture: str, file: str = "main.go") -> Path:
    """tests/go/FIXTURE/FILE."""
    return GO_DIR / fixture / file


def line_of(fixture: str, marker: str, file: str = "main.go") -> int:
    """Line number (1-based) of the first line holding ``marker`` in tests/go/FIXTURE/FILE."""
    path = source(fixture, file)
    for n, text in enumerate(path.read_text().splitlines(), 1):
        if marker in text:
            return n
    raise AssertionError(f"{marker!r} not in {path}")


def goids(output: str, prog: str) -> dict[str, int]:
    """``{'hold1': 18, 'hold2': 19, 'spin': 20, 'main': 1, 'crasher': 21}`` from the lines
    the hk* fixtures print with ids taken from runtime.Stack's own header."""
    out: dict[str, int] = {}
    for m in re.finditer(rf"^{prog}: hold id=(\d+) goid=(\d+)$", output, re.M):
        out[f"hold{m.group(1)}"] = int(m.group(2))
    for m in re.finditer(rf"^{prog}: (spin|main|crasher) goid=(\d+)$", output, re.M):
        out[m.group(1)] = int(m.group(2))
    return out
