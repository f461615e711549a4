"""The threads of the selected inferior as the goroutine engine needs them: each thread's
frame-0 registers and gdb's selected thread. Bottom layer: imports only gdb."""

from __future__ import annotations

import gdb

_MASK = 2**64 - 1


def _read_bp(f: gdb.Frame) -> int:
    for name in ("rbp", "x29", "ebp"):
        try:
            return int(f.read_register(name)) & _MASK
        except (gdb.error, ValueError):
            continue
    return 0


def frame_registers(f: gdb.Frame) -> tuple[int, int, int]:
    """(pc, sp, frame pointer) of frame ``f``."""
    pc = int(f.read_register("pc")) & _MASK
    sp = int(f.read_register("sp")) & _MASK
    return pc, sp, _read_bp(f)


def thread_regs() -> list[dict[str, int]]:
    """{tid, pc, sp, bp} of every thread of the selected inferior (frame 0 registers)."""
    inf = gdb.selected_inferior()
    selected = gdb.selected_thread()
    try:
        frame: gdb.Frame | None = gdb.selected_frame()
    except gdb.error:
        frame = None
    out: list[dict[str, int]] = []
    try:
        for t in inf.threads():
            try:
                t.switch()
                pc, sp, bp = frame_registers(gdb.newest_frame())
                out.append({"tid": int(t.ptid[1] or t.ptid[0]), "pc": pc, "sp": sp, "bp": bp})
            except gdb.error:
                continue
    finally:
        if selected is not None and selected.is_valid():
            selected.switch()
            if frame is not None and frame.is_valid():
                frame.select()
    return out


def current_tid() -> int | None:
    """The OS thread id of gdb's selected thread."""
    t = gdb.selected_thread()
    return None if t is None else int(t.ptid[1] or t.ptid[0])


def thread_numbers() -> dict[int, int]:
    """OS thread id -> gdb's thread number, for the selected inferior's threads."""
    return {int(t.ptid[1] or t.ptid[0]): t.num for t in gdb.selected_inferior().threads()}
