"""`wslgo diagnose-log FILE|-`: name the known failures in a gdb, delve or VS Code log.

The patterns (the stable wording of each message, its cause and fix) and the matching live
in Rust (``wslgo::diagnose``, one linear-time regex set); this module feeds the log in
chunks, so a log of any size is read in bounded memory, and formats the report. Lines no
pattern knows stay unknown and are counted (blank lines and plain program output are not
errors: only lines that look like warnings or errors count as unknown).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from wslgo import _native
from wslgo.text import esc, esc_path

#: Bytes read at a time.
CHUNK = 1 << 20


@dataclass
class Hit:
    """A known problem: where it appears (the first line numbers, and how often)."""

    name: str
    cause: str
    fix: str
    lines: list[int] = field(default_factory=list)  # 1-based, the first 1000
    count: int = 0
    first: str = ""  # the first such line, as the log has it (trimmed, cut at 300 chars)


@dataclass
class Report:
    hits: list[Hit]
    unknown: list[tuple[int, str]]  # the first 1000
    unknown_count: int
    total: int


def _report(scan: _native.LogScan) -> Report:
    hits, unknown, unknown_count, total = scan.finish()
    return Report([Hit(*h) for h in hits], unknown, unknown_count, total)


def diagnose(lines: Iterable[str]) -> Report:
    """The report of a log given as lines (with or without their line ends)."""
    scan = _native.LogScan()
    for line in lines:
        scan.feed(line.rstrip("\n").encode("utf-8", "surrogateescape") + b"\n")
    return _report(scan)


def diagnose_stream(f: BinaryIO) -> Report:
    """The report of a log read from ``f`` to its end, a chunk at a time."""
    scan = _native.LogScan()
    while chunk := f.read(CHUNK):
        scan.feed(chunk)
    return _report(scan)


def diagnose_path(path: str) -> Report:
    """The report of the log at ``path`` (``-``: standard input). Anything but a regular
    file (a FIFO, a device, a directory) is refused by what it is, without reading: only
    ``-`` reads a pipe."""
    if path == "-":
        return diagnose_stream(sys.stdin.buffer)
    _native.check_regular_file(path, "a log file (use - to read standard input)")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the check
            raise ValueError(f"{esc(path)} is not a regular file")
        return diagnose_stream(f)


def format_report(r: Report) -> list[str]:
    """The lines users see; text from the log is escaped (it may hold terminal controls)."""
    out: list[str] = []
    for h in r.hits:
        where = ", ".join(str(x) for x in h.lines[:5]) + (" ..." if h.count > 5 else "")
        times = f", {h.count} lines" if h.count > 5 else ""
        out.append(f"{h.name} (line {where}{times}): {esc_path(h.first)}")
        out.append(f"  cause: {h.cause}")
        out.append(f"  fix:   {h.fix}")
    out.append(
        f"{len(r.hits)} known problem(s) in {r.total} line(s); "
        f"{r.unknown_count} unknown error/warning line(s)"
    )
    for n, text in r.unknown[:10]:
        out.append(f"  unknown line {n}: {esc_path(text)}")
    return out


def to_json(r: Report) -> dict[str, object]:
    return {
        "known": [
            {
                "name": h.name,
                "lines": h.lines,
                "count": h.count,
                "first": h.first,
                "cause": h.cause,
                "fix": h.fix,
            }
            for h in r.hits
        ],
        "unknown": [{"line": n, "text": t} for n, t in r.unknown],
        "unknown_count": r.unknown_count,
        "lines": r.total,
    }
