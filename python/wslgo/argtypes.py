"""argparse `type=` functions that range-check integers, shared by the CLI and gdb commands.

Each returns a checked int or raises `argparse.ArgumentTypeError` with one line that says
what range is allowed, so a huge or negative number never reaches the native module (where
it would fail as "int too big to convert" or silently mean something else).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from wslgo import _native

U64_MAX = (1 << 64) - 1


def bounded_int(lo: int, hi: int, what: str, why: str = "") -> Callable[[str], int]:
    """An argparse type accepting decimal integers in [lo, hi]; WHY explains the upper bound."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer, not {text!r}") from None
        if value < lo or value > hi:
            bound = f" ({why})" if why and value > hi else ""
            raise argparse.ArgumentTypeError(f"{what} {value} is out of range: {lo}..{hi}{bound}")
        return value

    parse.__name__ = what.replace(" ", "_")  # argparse names the type in some messages
    return parse


goroutine_id = bounded_int(1, U64_MAX, "goroutine id")
"""`--id`: Go goroutine ids are uint64 and start at 1."""

depth = bounded_int(
    0,
    _native.MAX_DEPTH,
    "depth",
    f"wslgo unwinds at most {_native.MAX_DEPTH} frames per goroutine",
)
"""`--depth`: frames per goroutine, at most what the native unwinder keeps."""

pid = bounded_int(1, (1 << 22), "process id")
"""`--pid`: Linux pids are at most 2^22 (pid_max's ceiling)."""

line_number = bounded_int(1, (1 << 32) - 1, "line number")
"""FILE:LINE: the pclntab and DWARF store lines as 32-bit numbers."""
