"""The goroutine engine of the gdb session: one native target per process or core.

``wslgo-bt``, ``wslgo-goroutine`` and the stop context all read goroutines through
:func:`target`: ``/proc/PID/mem`` for a local live process, the core file for a core, and
gdb's ``read_memory`` for anything else (remote targets). gdb supplies only what it alone
knows: the OS threads' registers (for running goroutines) and which thread is selected.
"""

from __future__ import annotations

import re
from typing import Any

import gdb

from wslgo import _native
from wslgo.gdb import state

Record = dict[str, Any]

_CORE_RE = re.compile(r"Local core dump file:\s*\n?\s*`([^']+)'")


def target_key() -> tuple[str, Any]:
    """What gdb is looking at, from one `info target`: ("core", path), ("pid", pid) for a
    local live process, or ("remote", pid). gdb 13 has no Python API for the core path."""
    inf = gdb.selected_inferior()
    out = gdb.execute("info target", to_string=True)
    m = _CORE_RE.search(out)
    if m:
        return ("core", m.group(1))
    if inf.pid > 0:
        live = "Native process" in out or "Child process" in out
        return ("pid" if live else "remote", inf.pid)
    raise gdb.GdbError("wslgo: the program is not running; use `run`, `attach PID` or `core FILE`")


def thread_regs() -> list[dict[str, int]]:
    """{tid, pc, sp, bp} of every thread of the selected inferior (frame 0 registers)."""
    inf = gdb.selected_inferior()
    selected = gdb.selected_thread()
    try:
        frame = gdb.selected_frame()
    except gdb.error:
        frame = None
    out: list[dict[str, int]] = []
    try:
        for t in inf.threads():
            try:
                t.switch()
                f = gdb.newest_frame()
                regs = {
                    "tid": int(t.ptid[1] or t.ptid[0]),
                    "pc": int(f.read_register("pc")) & (2**64 - 1),
                    "sp": int(f.read_register("sp")) & (2**64 - 1),
                    "bp": _read_bp(f),
                }
            except gdb.error:
                continue
            out.append(regs)
    finally:
        if selected is not None and selected.is_valid():
            selected.switch()
            if frame is not None and frame.is_valid():
                frame.select()
    return out


def _read_bp(f: gdb.Frame) -> int:
    for name in ("rbp", "x29", "ebp"):
        try:
            return int(f.read_register(name)) & (2**64 - 1)
        except (gdb.error, ValueError):
            continue
    return 0


def current_tid() -> int | None:
    t = gdb.selected_thread()
    if t is None:
        return None
    return int(t.ptid[1] or t.ptid[0])


def target(key: tuple[str, Any] | None = None) -> Any:
    """The native engine for the current inferior (cached per process / core)."""
    prog = state.program()
    if key is None:
        key = target_key()
    cached = prog.cache.get("target")
    if cached is not None and cached[0] == key:
        return cached[1]
    tgt: _native.GoTarget
    if key[0] == "core":
        tgt = _native.Core(prog.path, key[1])
    elif key[0] == "pid":
        tgt = _native.Process(prog.path, key[1])
    else:
        inf = gdb.selected_inferior()

        def read(addr: int, length: int) -> bytes:
            return bytes(inf.read_memory(addr, length))

        from wslgo.gdb import hooks

        tgt = _native.Callback(prog.path, read, hooks.load_bias(prog))
    prog.cache["target"] = (key, tgt)
    return tgt


def thread_args(key: tuple[str, Any]) -> dict[str, Any]:
    """What gdb tells the engine about threads: the selected one, and every thread's
    registers unless it is a core (the engine reads those from the core's notes)."""
    args: dict[str, Any] = {"current_tid": current_tid()}
    if key[0] != "core":
        args["threads"] = thread_regs()
    return args


def goroutines(max_depth: int | None = None, include_dead: bool = False) -> list[Record]:
    """Every goroutine of the current inferior, as the engine reports them."""
    key = target_key()
    tgt = target(key)
    kwargs = thread_args(key)
    if include_dead:
        kwargs["include_dead"] = True
    if max_depth is not None:
        kwargs["max_depth"] = max_depth
    return tgt.goroutines(**kwargs)
