"""``wslgo-goroutine N [COMMAND]``: let gdb's own commands see goroutine N's stack.

gdb only knows OS threads. A goroutine running on a thread is reached by switching to that
thread. A parked goroutine's registers are saved in its ``g.sched`` (pc, sp, bp); writing
them into $pc/$sp (runtime-gdb.py's way) fails on core files (golang/go#17575), so wslgo
registers a gdb unwinder instead. While a goroutine is selected, the unwinder says that the
selected thread's innermost frame (#0) was "called" by the goroutine's saved pc/sp/bp, so
frame #1 is the goroutine's innermost frame and gdb unwinds the rest with the binary's CFI
(``.debug_frame``). A frame filter hides frame #0 (and the null frame after runtime.goexit)
from ``bt``; ``wslgo-goroutine N`` selects frame #1, so ``frame``, ``info locals``, ``up``
and ``down`` act on the goroutine. Nothing is written to the inferior, so it works the same on
a live process and on a core. The selection ends with ``wslgo-goroutine`` (no argument) and
whenever the program resumes.

Goroutine records come from the native goroutine engine (``_native.Process`` on a live
process, ``_native.Callback`` over gdb's memory reads on a core), which also works without
DWARF; when it cannot model the binary, from ``runtime.allgs`` read through gdb (field offsets
from the DWARF type ``runtime.g``), found by address through the native module
(:func:`hooks.address`). For binaries without DWARF (no CFI for gdb) the unwinder also gives
the goroutine's caller frames, from the engine's pcsp unwinding.
"""

from __future__ import annotations

import argparse
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import gdb
import gdb.unwinder

from wslgo import _native
from wslgo.gdb import commands, hooks
from wslgo.gdb import engine as engine_mod

#: Use the native goroutine engine when it works (tests turn it off to check the gdb path).
USE_ENGINE = True

G_RUNNING = 2
G_SCAN = 0x1000
STATUS_NAMES = {
    0: "idle",
    1: "runnable",
    2: "running",
    3: "syscall",
    4: "waiting",
    5: "moribund",
    6: "dead",
    7: "enqueue",
    8: "copystack",
    9: "preempted",
    10: "leaked",
    11: "dead (extra)",
}


@dataclass(frozen=True)
class Goroutine:
    """What the switcher needs of one goroutine."""

    goid: int
    addr: int
    status: int
    pc: int
    sp: int
    bp: int
    #: LWP of the OS thread running it (status running), else None.
    lwp: int | None
    #: Status as the engine names it ("" -> from :data:`STATUS_NAMES`).
    status_text: str = ""

    @property
    def status_name(self) -> str:
        if self.status_text:
            return self.status_text
        return STATUS_NAMES.get(self.status & ~G_SCAN, f"status {self.status}")


# ---------------------------------------------------------------------------- native engine


def engine() -> _native.GoTarget | None:
    """The native goroutine engine for the current process or core (None if unusable).

    The one engine of the session is :func:`wslgo.gdb.engine.target` (one per process or
    core; every call on it reads memory afresh, so it stays valid across stops)."""
    if not USE_ENGINE:
        return None
    try:
        return engine_mod.target()
    except (gdb.GdbError, gdb.error, _native.WslgoError, OSError):
        return None


def forget_engine() -> None:
    """Drop the cached engine (the process exited)."""
    prog = hooks.program_or_none()
    if prog is not None:
        prog.cache.pop("target", None)


def _records() -> list[_native.GoroutineDict] | None:
    """The engine's goroutine records (no stacks), or None when the engine can't."""
    target = engine()
    if target is None:
        return None
    thread = gdb.selected_thread()
    try:
        return list(target.goroutines(max_depth=0, current_tid=thread.ptid[1] if thread else None))
    except _native.WslgoError:
        return None


def _from_record(r: _native.GoroutineDict) -> Goroutine:
    status = int(r["status"])
    running = r.get("status_name") == "running" or status & ~G_SCAN == G_RUNNING
    tid = r.get("thread_id")
    return Goroutine(
        goid=int(r["goid"]),
        addr=int(r["addr"]),
        status=status,
        pc=int(r["pc"]),
        sp=int(r["sp"]),
        bp=int(r["bp"]),
        lwp=int(tid) if running and tid else None,
        status_text=str(r.get("status_name") or ""),
    )


def engine_frames(g: Goroutine) -> list[tuple[int, int]]:
    """(pc, sp) of each physical frame of ``g`` from the engine's pcsp unwinder, or []."""
    target = engine()
    if target is None:
        return []
    try:
        res = target.unwind(pc=g.pc, sp=g.sp, bp=g.bp, exact=False)
    except _native.WslgoError:
        return []
    out: list[tuple[int, int]] = []
    # frame dicts are shared between goroutines; each frame's sp is in the parallel list
    for f, sp in zip(res["frames"], res["frame_sp"]):
        key = (int(f["pc"]), int(sp))
        if not out or out[-1] != key:  # inlined frames share their physical frame
            out.append(key)
    return out


# ---------------------------------------------------------------------------- reading


def _read(addr: int, size: int) -> bytes:
    return bytes(gdb.selected_inferior().read_memory(addr, size))


def _u64(addr: int) -> int:
    return int(struct.unpack("<Q", _read(addr, 8))[0])


def _u32(addr: int) -> int:
    return int(struct.unpack("<I", _read(addr, 4))[0])


class _Layout:
    """Offsets in runtime.g / gobuf / m, from DWARF through gdb (moves between releases)."""

    def __init__(self) -> None:
        try:
            g = gdb.lookup_type("runtime.g")
            m = gdb.lookup_type("runtime.m")
        except gdb.error:
            raise gdb.GdbError(
                "wslgo-goroutine: this binary has no DWARF type runtime.g (built with -w?); "
                "goroutine switching needs it until the native goroutine engine is merged"
            ) from None
        gf = {f.name: f for f in g.fields()}
        mf = {f.name: f for f in m.fields()}
        sched = gf["sched"]
        sf = {f.name: f for f in sched.type.strip_typedefs().fields()}
        self.goid = gf["goid"].bitpos // 8
        self.status = gf["atomicstatus"].bitpos // 8  # uint32, or atomic.Uint32{value}
        self.sched_sp = (sched.bitpos + sf["sp"].bitpos) // 8
        self.sched_pc = (sched.bitpos + sf["pc"].bitpos) // 8
        self.sched_bp = (sched.bitpos + sf["bp"].bitpos) // 8 if "bp" in sf else None
        self.m = gf["m"].bitpos // 8
        self.m_procid = mf["procid"].bitpos // 8
        self.m_curg = mf["curg"].bitpos // 8
        self.m_g0 = mf["g0"].bitpos // 8


_layout_cache: dict[str, _Layout] = {}


def layout() -> _Layout:
    path = gdb.current_progspace().filename or ""
    lay = _layout_cache.get(path)
    if lay is None:
        lay = _layout_cache[path] = _Layout()
    return lay


def all_g_addrs() -> list[int]:
    """Addresses of every g in runtime.allgs (dead ones included)."""
    allgs = hooks.address("runtime.allgs")
    if allgs is None:
        raise gdb.GdbError("wslgo-goroutine: runtime.allgs not found (stripped binary?)")
    array, length = _u64(allgs), _u64(allgs + 8)
    if length > 10_000_000:
        raise gdb.GdbError(f"wslgo-goroutine: runtime.allgs looks corrupt (len {length})")
    raw = _read(array, 8 * length) if length else b""
    return [v for (v,) in struct.iter_unpack("<Q", raw) if v]


def read_goroutine(addr: int) -> Goroutine:
    lay = layout()
    status = _u32(addr + lay.status)
    lwp = None
    if status & ~G_SCAN == G_RUNNING:
        m = _u64(addr + lay.m)
        if m:
            lwp = _u64(m + lay.m_procid) or None
    return Goroutine(
        goid=_u64(addr + lay.goid),
        addr=addr,
        status=status,
        pc=_u64(addr + lay.sched_pc),
        sp=_u64(addr + lay.sched_sp),
        bp=_u64(addr + lay.sched_bp) if lay.sched_bp is not None else 0,
        lwp=lwp,
    )


def find(goid: int) -> Goroutine:
    """Goroutine ``goid`` (raises gdb.GdbError when there is none)."""
    records = _records()
    if records is not None:
        for r in records:
            if int(r["goid"]) == goid:
                return _from_record(r)
        raise gdb.GdbError(f"wslgo-goroutine: no goroutine {goid}")
    lay = layout()
    for addr in all_g_addrs():
        if _u64(addr + lay.goid) == goid:
            g = read_goroutine(addr)
            if g.status & ~G_SCAN == 6:
                raise gdb.GdbError(f"wslgo-goroutine: goroutine {goid} is dead")
            return g
    raise gdb.GdbError(f"wslgo-goroutine: no goroutine {goid}")


def current_g_addr() -> int | None:
    """Address of the g the selected thread runs (its user goroutine, not g0), or None."""
    prog = hooks.program_or_none()
    if prog is None:
        return None
    lay = layout()
    candidates: list[int] = []
    arch = prog.binary.arch
    try:
        if arch == "amd64":
            fs = int(gdb.parse_and_eval("$fs_base"))
            if fs:
                candidates.append(_u64(fs - 8))  # Go's TLS slot for g
            candidates.append(int(gdb.parse_and_eval("$r14")))  # ABIInternal g register
        elif arch == "arm64":
            candidates.append(int(gdb.parse_and_eval("$x28")))
    except gdb.error:
        pass
    for g in candidates:
        if not g:
            continue
        try:
            m = _u64(g + lay.m)
            if not m:
                continue
            curg, g0 = _u64(m + lay.m_curg), _u64(m + lay.m_g0)
        except gdb.error:
            continue
        if g == curg:
            return g
        if g == g0:  # on the system stack: report the user goroutine it serves
            return curg or None
    return None


def current_goid() -> int | None:
    """Id of the goroutine the selected thread runs, or None."""
    records = _records()
    if records is not None:
        return next((int(r["goid"]) for r in records if r.get("current")), None)
    g = current_g_addr()
    return None if g is None else _u64(g + layout().goid)


# ---------------------------------------------------------------------------- selection


@dataclass
class Selection:
    goroutine: Goroutine
    #: gdb's global number of the thread whose frame #0 leads into the goroutine.
    thread: int
    #: (pc, sp) per physical frame from the engine, for binaries without CFI (lazy).
    frames: list[tuple[int, int]] | None = None


_selected: Selection | None = None


def selected() -> Selection | None:
    return _selected


class _FrameId:
    def __init__(self, sp: gdb.Value, pc: gdb.Value) -> None:
        self.sp = sp
        self.pc = pc


class GoroutineUnwinder(gdb.unwinder.Unwinder):
    """Frame #0 of the selected thread unwinds to the selected goroutine's saved registers."""

    def __init__(self) -> None:
        super().__init__("wslgo-goroutine")

    def __call__(self, pending_frame: gdb.PendingFrame) -> gdb.UnwindInfo | None:
        sel = _selected
        if sel is None:
            return None
        thread = gdb.selected_thread()
        if thread is None or thread.global_num != sel.thread:
            return None
        arch = pending_frame.architecture().name()
        pc_reg, sp_reg, bp_reg = ("pc", "sp", "x29") if "aarch64" in arch else ("rip", "rsp", "rbp")
        pc = pending_frame.read_register(pc_reg)
        sp = pending_frame.read_register(sp_reg)
        if pending_frame.level() != 0:
            return self._caller_without_cfi(pending_frame, sel, pc, sp, pc_reg, sp_reg)
        g = sel.goroutine
        # Frame #0's id says its stack is below everything so gdb's "previous frame inner to
        # this frame" check accepts a goroutine stack anywhere in memory.
        info = pending_frame.create_unwind_info(_FrameId(gdb.Value(0x1000).cast(sp.type), pc))
        info.add_saved_register(pc_reg, gdb.Value(g.pc).cast(pc.type))
        info.add_saved_register(sp_reg, gdb.Value(g.sp).cast(sp.type))
        info.add_saved_register(bp_reg, gdb.Value(g.bp).cast(sp.type))
        return info

    @staticmethod
    def _caller_without_cfi(
        pending_frame: gdb.PendingFrame,
        sel: Selection,
        pc: gdb.Value,
        sp: gdb.Value,
        pc_reg: str,
        sp_reg: str,
    ) -> gdb.UnwindInfo | None:
        """Goroutine frames of a binary without DWARF (gdb has no CFI): the caller from the
        engine's pcsp unwinding (caller pc at [sp+framesize], caller sp past it)."""
        prog = hooks.program_or_none()
        if prog is None or prog.binary.has_dwarf:
            return None  # gdb's DWARF CFI unwinder does it
        if sel.frames is None:
            sel.frames = engine_frames(sel.goroutine)
        key = (int(pc), int(sp))
        for i, frame in enumerate(sel.frames[:-1]):
            if frame == key:
                caller_pc, caller_sp = sel.frames[i + 1]
                func = gdb.block_for_pc(int(pc))
                start = func.function.value().address if func and func.function else pc
                info = pending_frame.create_unwind_info(
                    _FrameId(gdb.Value(caller_sp).cast(sp.type), start)
                )
                info.add_saved_register(pc_reg, gdb.Value(caller_pc).cast(pc.type))
                info.add_saved_register(sp_reg, gdb.Value(caller_sp).cast(sp.type))
                return info
        return None


class GoroutineFrameFilter:
    """Hide the thread's own frame #0 (and the null frame past goexit) in `bt`."""

    def __init__(self) -> None:
        self.name = "wslgo-goroutine"
        self.priority = 100
        self.enabled = True

    def filter(self, frames: Iterator[object]) -> Iterator[object]:
        thread = gdb.selected_thread()
        if _selected is None or thread is None or thread.global_num != _selected.thread:
            return frames  # e.g. `thread apply all bt` on the other threads
        return self._skip(frames)

    @staticmethod
    def _skip(frames: Iterator[object]) -> Iterator[object]:
        for dec in frames:
            frame = dec.inferior_frame()  # type: ignore[attr-defined]
            if frame.level() == 0:
                continue
            if frame.pc() == 0:
                break
            yield dec


_registered = False


def register() -> None:
    """Register the unwinder and the frame filter once, for every objfile."""
    global _registered
    if _registered:
        return
    gdb.unwinder.register_unwinder(None, GoroutineUnwinder(), replace=True)
    gdb.frame_filters["wslgo-goroutine"] = GoroutineFrameFilter()
    _registered = True


def _thread_for_lwp(lwp: int) -> gdb.InferiorThread | None:
    for t in gdb.selected_inferior().threads():
        if t.ptid[1] == lwp:
            return t
    return None


def _frame_at_level(level: int) -> gdb.Frame | None:
    frame: gdb.Frame | None = gdb.newest_frame()
    for _ in range(level):
        if frame is None:
            return None
        frame = frame.older()
    return frame


def clear() -> None:
    """Back to the thread's own stack (no redraw)."""
    global _selected
    if _selected is not None:
        _selected = None
        gdb.invalidate_cached_frames()


def select(g: Goroutine) -> str:
    """Make gdb see goroutine ``g``; returns how (for the message)."""
    global _selected
    clear()
    if g.lwp is not None:
        thread = _thread_for_lwp(g.lwp)
        if thread is not None:
            thread.switch()
            gdb.newest_frame().select()
            return f"running on thread {thread.num} (LWP {g.lwp})"
    thread = gdb.selected_thread()
    if thread is None:
        raise gdb.GdbError("wslgo-goroutine: no thread to show the goroutine on")
    _selected = Selection(goroutine=g, thread=thread.global_num)
    gdb.invalidate_cached_frames()
    top = gdb.newest_frame().older()
    if top is None or top.pc() != g.pc:
        clear()
        raise gdb.GdbError(
            f"wslgo-goroutine: gdb could not unwind into goroutine {g.goid} (pc {g.pc:#x})"
        )
    top.select()
    return f"{g.status_name}, saved pc {g.pc:#x} sp {g.sp:#x}"


def on_cont(event: object) -> None:
    """The program resumes: saved registers go stale, drop the selection."""
    clear()


def on_exited(event: object) -> None:
    clear()
    forget_engine()
    _layout_cache.clear()


# ---------------------------------------------------------------------------- command


def _split(arg: str) -> list[str]:
    """``N rest of line`` -> ``[N, 'rest of line']``: the gdb command keeps its quoting."""
    arg = arg.strip()
    if not arg:
        return []
    head, _, rest = arg.partition(" ")
    if head.startswith("-"):
        return [head, *([rest.strip()] if rest.strip() else [])]
    return [head, rest.strip()] if rest.strip() else [head]


_parser = commands.parser(
    "wslgo-goroutine",
    "Show goroutine N's stack to gdb's own commands (bt, frame, info locals, up, down).",
    epilog=(
        "wslgo-goroutine N           select goroutine N until the program resumes\n"
        "wslgo-goroutine N COMMAND   run one gdb COMMAND with N selected, then restore\n"
        "wslgo-goroutine             back to the thread's own stack\n\n"
        "A running goroutine is shown by switching to its thread. A parked one is shown\n"
        "through an unwinder (works on core files): its frames start at #1, frame #0\n"
        "stays the thread's own frame and `bt` hides it."
    ),
)
_parser.add_argument(
    "goid", nargs="?", help="goroutine id: a number or a gdb expression without spaces ($1)"
)
_parser.add_argument("command", nargs="?", help="gdb command to run with N selected")


def _goid(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        pass
    try:
        return int(gdb.parse_and_eval(text))
    except (gdb.error, ValueError) as e:
        raise commands.UsageError(f"wslgo-goroutine: bad goroutine id {text!r}: {e}") from None


def _describe(g: Goroutine, how: str) -> str:
    return f"[goroutine {g.goid}: {how}]"


@commands.command("wslgo-goroutine", _parser, argv=_split)
def wslgo_goroutine(args: argparse.Namespace) -> None:
    if args.goid is None:
        if _selected is None:
            gdb.write("wslgo-goroutine: no goroutine selected; showing the thread's own stack\n")
        clear()
        if gdb.selected_thread() is not None:
            gdb.newest_frame().select()
            gdb.write(gdb.execute("frame", to_string=True))
        return
    g = find(_goid(args.goid))
    if args.command is None:
        how = select(g)
        gdb.write(_describe(g, how) + "\n")
        gdb.write(gdb.execute("frame", to_string=True))
        return
    saved_sel = _selected
    thread = gdb.selected_thread()
    level = gdb.selected_frame().level()
    try:
        select(g)
        gdb.execute(args.command)
    finally:
        _restore(saved_sel, thread, level)


def _restore(saved: Selection | None, thread: gdb.InferiorThread | None, level: int) -> None:
    global _selected
    if thread is not None and thread.is_valid():
        thread.switch()
    _selected = saved
    gdb.invalidate_cached_frames()
    frame = _frame_at_level(level)
    if frame is not None:
        frame.select()
