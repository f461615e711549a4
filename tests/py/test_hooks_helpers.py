"""Helpers shared by the gdb hook and goroutine-switch tests (fixtures tests/go/hk*); no tests."""

from __future__ import annotations

import re
from pathlib import Path

#: gdb command that registers a marker printer as the stop context printer (in place of
#: wslgo-bt's), so the tests see exactly when and with which level a stop asks for it.
FAKE_CONTEXT = (
    "python from wslgo.gdb import stops; "
    "stops.set_context_printer(lambda level: print('CTX-' + level))"
)


def goids(output: str, prog: str) -> dict[str, int]:
    """``{'hold1': 18, 'hold2': 19, 'spin': 20, 'main': 1, 'crasher': 21}`` from the lines
    the fixtures print with ids taken from runtime.Stack's own header."""
    out: dict[str, int] = {}
    for m in re.finditer(rf"^{prog}: hold id=(\d+) goid=(\d+)$", output, re.M):
        out[f"hold{m.group(1)}"] = int(m.group(2))
    for m in re.finditer(rf"^{prog}: (spin|main|crasher) goid=(\d+)$", output, re.M):
        out[m.group(1)] = int(m.group(2))
    return out


def go_traceback_functions(text: str, goid: int) -> list[str]:
    """Function names of goroutine ``goid`` in a Go traceback (crash output), innermost first."""
    block = re.search(rf"^goroutine {goid}\b.*?:\n(.*?)(?:\n\n|\Z)", text, re.M | re.S)
    assert block, f"goroutine {goid} not in the Go traceback:\n{text}"
    names = []
    for line in block.group(1).splitlines():
        if line.startswith("\t") or line.startswith("created by"):
            continue
        names.append(re.sub(r"\(.*$", "", line.strip()))
    return names


def gdb_bt_functions(text: str) -> list[str]:
    """Function names of a gdb `bt` listing, in order."""
    names = []
    for m in re.finditer(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(", text, re.M):
        names.append(m.group(1))
    return names


def between(text: str, start: str, end: str) -> str:
    """The text between marker lines printed with `echo START\\n` ... `echo END\\n`."""
    i = text.index(start + "\n") + len(start) + 1
    return text[i : text.index(end + "\n", i)]


def line_of(fixture: str, marker: str) -> int:
    """Line number of the line holding ``marker`` in tests/go/FIXTURE/main.go."""
    src = Path(__file__).resolve().parent.parent / "go" / fixture / "main.go"
    for n, text in enumerate(src.read_text().splitlines(), 1):
        if marker in text:
            return n
    raise AssertionError(f"{marker} not in {src}")
