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


def core_file() -> str | None:
    """Path of the core file gdb has loaded, if any (gdb 13 has no Python API for it)."""
    out = gdb.execute("info target", to_string=True)
    m = _CORE_RE.search(out)
    return m.group(1) if m else None


def _is_native_live() -> bool:
    out = gdb.execute("info target", to_string=True)
    return "Native process" in out or "Child process" in out


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


def target() -> Any:
    """The native engine for the current inferior (cached per process / core)."""
    prog = state.program()
    inf = gdb.selected_inferior()
    core = core_file()
    if core:
        key: tuple[str, Any] = ("core", core)
    elif inf.pid > 0 and _is_native_live():
        key = ("pid", inf.pid)
    elif inf.pid > 0:
        key = ("remote", inf.pid)
    else:
        raise gdb.GdbError(
            "wslgo: the program is not running; use `run`, `attach PID` or `core FILE`"
        )
    cached = prog.cache.get("target")
    if cached is not None and cached[0] == key:
        return cached[1]
    if key[0] == "core":
        tgt = _native.Core(prog.path, core)
    elif key[0] == "pid":
        tgt = _native.Process(prog.path, inf.pid)
    else:

        def read(addr: int, length: int) -> bytes:
            return bytes(inf.read_memory(addr, length))

        from wslgo.gdb import hooks

        tgt = _native.Callback(prog.path, read, hooks.load_bias(prog))
    prog.cache["target"] = (key, tgt)
    return tgt


def goroutines(max_depth: int | None = None) -> list[Record]:
    """Every goroutine of the current inferior, as the engine reports them."""
    tgt = target()
    kwargs: dict[str, Any] = {"current_tid": current_tid()}
    if core_file() is None:
        kwargs["threads"] = thread_regs()
    if max_depth is not None:
        kwargs["max_depth"] = max_depth
    return tgt.goroutines(**kwargs)
