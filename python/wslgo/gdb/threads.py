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


def read_lr(f: gdb.Frame) -> int:
    """The link register (arm64 x30: a frameless leaf's return address), 0 elsewhere."""
    try:
        return int(f.read_register("x30")) & _MASK
    except (gdb.error, ValueError):
        return 0


def frame_registers(f: gdb.Frame) -> tuple[int, int, int]:
    """(pc, sp, frame pointer) of frame ``f``."""
    pc = int(f.read_register("pc")) & _MASK
    sp = int(f.read_register("sp")) & _MASK
    return pc, sp, _read_bp(f)


def thread_regs() -> list[dict[str, int]]:
    """{tid, pc, sp, bp, lr} of every thread of the selected inferior (frame 0 registers)."""
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
                f = gdb.newest_frame()
                pc, sp, bp = frame_registers(f)
                tid = int(t.ptid[1] or t.ptid[0])
                out.append({"tid": tid, "pc": pc, "sp": sp, "bp": bp, "lr": read_lr(f)})
            except (gdb.error, RuntimeError):  # RuntimeError: a thread gone since the stop
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


def process_alive(pid: int) -> bool:
    """False when local process ``pid`` has ended (a zombie gdb has not reaped yet, after a
    SIGKILL from outside, or no process at all): its memory can no longer be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rpartition(b")")[2].split()[:1]
    except OSError:
        return False
    return state not in ([b"Z"], [b"X"])
