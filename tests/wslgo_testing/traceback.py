"""Parse the Go runtime's own goroutine tracebacks (crash output, runtime.Stack)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HEADER = re.compile(r"^goroutine (\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[([^\]]*)\]:$")
FILE_LINE = re.compile(r"^\t(.+):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=.*)?$")
CREATED = re.compile(r"^created by (\S+?)(?: in goroutine (\d+))?$")


@dataclass
class Dumped:
    """One goroutine of a traceback: frames are (function, file, line), innermost first."""

    goid: int
    state: str
    frames: list[tuple[str, str, int]] = field(default_factory=list)
    created_by: tuple[str, str, int] | None = None
    parent: int | None = None

    @property
    def functions(self) -> list[str]:
        return [f[0] for f in self.frames]


def normalize_func(name: str) -> str:
    """The runtime prints generic instantiations as [...]; so do we after this."""
    return re.sub(r"\[.*\]", "[...]", name)


def parse_dump(text: str) -> dict[int, Dumped]:
    """Every goroutine block in ``text`` by id (the first block wins for a repeated id)."""
    out: dict[int, Dumped] = {}
    cur: Dumped | None = None
    pending: str | None = None
    created = False
    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            cur = Dumped(int(m.group(1)), m.group(2))
            out.setdefault(cur.goid, cur)
            pending, created = None, False
            continue
        if cur is None:
            continue
        if not line.strip():
            cur = None
            continue
        m = CREATED.match(line)
        if m:
            pending, created = m.group(1), True
            cur.parent = int(m.group(2)) if m.group(2) else None
            continue
        fl = FILE_LINE.match(line)
        if fl and pending is not None:
            entry = (normalize_func(pending), fl.group(1), int(fl.group(2)))
            if created:
                cur.created_by = entry
            else:
                cur.frames.append(entry)
            pending = None
            continue
        if line.startswith(("\t", "...")):
            continue
        # a function line: name(args)
        pending = line[: line.rfind("(")] if "(" in line else line
    return out


def goroutine_functions(text: str, goid: int) -> list[str]:
    """Function names of goroutine ``goid`` in a Go traceback, innermost first."""
    dumped = parse_dump(text).get(goid)
    assert dumped, f"goroutine {goid} not in the Go traceback:\n{text}"
    return dumped.functions
