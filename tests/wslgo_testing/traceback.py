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


# ---- comparing the engine's records with a dump ------------------------------------


def base_state(state: str) -> str:
    """'chan receive, 3 minutes, locked to thread' -> 'chan receive'."""
    return state.split(",")[0].strip()


def ours_frames(g: dict, hide_wrappers: bool = False) -> list[tuple[str, str, int]]:
    return [
        (normalize_func(f["func"]), f["file"], f["line"])
        for i, f in enumerate(g["frames"])
        # FuncIDWrapper frames are elided unless they called a panic function.
        if not (
            hide_wrappers and f.get("wrapper") and not (i and "panic" in g["frames"][i - 1]["func"])
        )
    ]


def shown_at_level_1(frames: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """runtime.showfuncinfo at GOTRACEBACK=single/all: hide unexported runtime frames."""
    out = []
    for i, (name, file, line) in enumerate(frames):
        if name == "runtime.gopanic" and i > 0:
            out.append((name, file, line))
            continue
        if "." not in name:
            continue
        if name.startswith("runtime.") and not name[len("runtime.") :][:1].isupper():
            continue
        out.append((name, file, line))
    return out


def compare(
    gs: list[dict], dumped: dict[int, Dumped], *, skip: set[int], level1: bool = False
) -> int:
    """Assert agreement for every waiting goroutine; return how many were compared."""
    ours = {g["goid"]: g for g in gs}
    assert not [g for g in gs if g.get("error")], [g["error"] for g in gs if g.get("error")]
    assert set(dumped) <= set(ours), f"missing goroutines: {sorted(set(dumped) - set(ours))}"
    compared = 0
    for goid, d in dumped.items():
        g = ours[goid]
        if d.created_by:
            gs_ = g["go_statement"]
            got = (normalize_func(gs_["func"]), gs_["file"], gs_["line"])
            assert got == d.created_by, f"goroutine {goid}: created by {got} != {d.created_by}"
            if d.parent is not None:
                assert g.get("parent_goid", 0) == d.parent, goid
        if goid in skip or g["status_name"] not in ("waiting", "syscall"):
            continue
        assert base_state(g["state"]) == base_state(d.state), (goid, g["state"], d.state)
        mine = shown_at_level_1(ours_frames(g, True)) if level1 else ours_frames(g)
        assert mine == d.frames, f"goroutine {goid} [{d.state}]"
        # The frame-pointer chain agrees with the pcsp unwind on every parked stack.
        assert g.get("fp_mismatches", 0) == 0 or g["status_name"] == "syscall", g
        compared += 1
    return compared
