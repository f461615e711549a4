"""``wslgo-goroutine N [COMMAND]``: let gdb's own commands see goroutine N's stack.

A running goroutine is shown on its thread (from its innermost frame on its own stack). A
parked one through a gdb unwinder (writing its saved registers into $pc/$sp fails on cores,
golang/go#17575): the selected thread's frame #0 "was called" by the goroutine's saved
pc/sp/bp, so frame #1 is the goroutine's innermost frame; gdb's CFI unwinds the rest, or,
without DWARF, the engine's pcsp unwinding. A frame filter hides the frames that are not the
goroutine's from ``bt``. Nothing is written to the inferior. The selection ends with
``wslgo-goroutine`` (no argument) and when the program resumes. Goroutines come from the
Rust engine (:mod:`wslgo.gdb.program`). When memory becomes unreadable (the process died)
or the architecture is foreign, the unwinder and the filter stop and say why once.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import gdb
import gdb.unwinder

from wslgo import _native
from wslgo.gdb import commands, params, program


@dataclass(frozen=True)
class Goroutine:
    """What the switcher needs of one goroutine."""

    goid: int
    status_name: str
    pc: int
    sp: int
    bp: int
    #: LWP of the OS thread running it (running or in a system call), else None.
    lwp: int | None
    #: [lo, hi) of its stack.
    stack: tuple[int, int] = (0, 0)

    @classmethod
    def from_record(cls, r: _native.GoroutineDict) -> Goroutine:
        tid = r["thread_id"]
        return cls(
            goid=int(r["goid"]),
            status_name=str(r["status_name"]),
            pc=int(r["pc"]),
            sp=int(r["sp"]),
            bp=int(r["bp"]),
            lwp=int(tid) if tid else None,
            stack=(int(r["stack_lo"]), int(r["stack_hi"])),
        )


def find(goid: int) -> Goroutine:
    """Goroutine ``goid`` (raises gdb.GdbError when there is none, or it is dead)."""
    try:
        return Goroutine.from_record(program.goroutine(goid))
    except _native.NotFoundError as e:
        raise gdb.GdbError(f"wslgo-goroutine: {e}") from None


# ---------------------------------------------------------------------------- selection


@dataclass
class Selection:
    goroutine: Goroutine
    #: gdb's global number of the thread showing the goroutine: the one whose frame #0
    #: leads into it (parked), or the thread running it.
    thread: int
    #: `bt` hides frames below this level: #0 of a borrowed thread; for a running
    #: goroutine, the frames of a signal handler or system stack before its own stack.
    hide_below: int = 1
    #: True when the goroutine runs on ``thread`` (no unwinding of ours).
    running: bool = False
    #: (pc, sp) per physical frame from the engine, for binaries without CFI (lazy).
    frames: list[tuple[int, int]] | None = None
    #: Why unwinding the goroutine stopped (said once).
    failed: str | None = None

    def fail(self, why: object) -> None:
        """Stop unwinding this goroutine; tell the user once."""
        if self.failed is None:
            self.failed = " ".join(str(why).split()) or type(why).__name__
            gdb.write(
                f"wslgo-goroutine: stopped unwinding goroutine {self.goroutine.goid}: "
                f"{self.failed}\n",
                gdb.STDERR,
            )


class Switcher:
    """The goroutine gdb's commands see, if any (one per session)."""

    def __init__(self) -> None:
        self.selected: Selection | None = None

    def applies(self) -> Selection | None:
        """The selection when gdb's selected thread is the one it replaces."""
        sel = self.selected
        if sel is None:
            return None
        thread = gdb.selected_thread()
        if thread is None or thread.global_num != sel.thread:
            return None
        return sel


SWITCHER = Switcher()


class _FrameId:
    def __init__(self, sp: gdb.Value, pc: gdb.Value) -> None:
        self.sp = sp
        self.pc = pc


class GoroutineUnwinder(gdb.unwinder.Unwinder):
    """Frame #0 of the selected thread unwinds to the selected goroutine's saved registers."""

    def __init__(self) -> None:
        super().__init__("wslgo-goroutine")

    def __call__(self, pending_frame: gdb.PendingFrame) -> gdb.UnwindInfo | None:
        sel = SWITCHER.applies()
        if sel is None or sel.failed is not None or sel.running:
            return None
        try:
            return self._unwind(pending_frame, sel)
        except (gdb.error, _native.WslgoError, ValueError) as e:  # gdb.MemoryError too
            sel.fail(e)
            return None

    def _unwind(self, pending_frame: gdb.PendingFrame, sel: Selection) -> gdb.UnwindInfo | None:
        arch = pending_frame.architecture().name()
        if "aarch64" in arch:
            pc_reg, sp_reg, bp_reg = "pc", "sp", "x29"
        elif "x86-64" in arch:
            pc_reg, sp_reg, bp_reg = "rip", "rsp", "rbp"
        else:
            sel.fail(f"wslgo cannot unwind goroutines on {arch}")
            return None
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
        prog = program.current_or_none()
        if prog is None or prog.binary.has_dwarf:
            return None  # gdb's DWARF CFI unwinder does it
        if sel.frames is None:
            g = sel.goroutine
            sel.frames = program.physical_frames(g.pc, g.sp, g.bp)
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
        sel = SWITCHER.applies()
        if sel is None:
            return frames  # e.g. `thread apply all bt` on the other threads
        return self._skip(frames, sel)

    @staticmethod
    def _skip(frames: Iterator[object], sel: Selection) -> Iterator[object]:
        last: gdb.Frame | None = None
        while True:
            try:
                dec = next(frames)
                frame = dec.inferior_frame()  # type: ignore[attr-defined]
                level, pc = frame.level(), frame.pc()
                if level >= sel.hide_below and pc != 0:
                    _readable(dec, frame)
            except StopIteration:
                _why_it_ended(last, sel)
                return
            except (gdb.error, _native.WslgoError) as e:  # gdb.MemoryError too
                sel.fail(e)
                return
            if level < sel.hide_below:
                continue
            if pc == 0:
                return
            last = frame
            yield dec


def _readable(dec: object, frame: gdb.Frame) -> None:
    """Read what `bt` prints of a frame (name, arguments) now, so that an unreadable
    frame ends the unwind here instead of failing in the middle of its line."""
    dec.function()  # type: ignore[attr-defined]
    for arg in dec.frame_args() or ():  # type: ignore[attr-defined]
        sym = arg.symbol()
        value = arg.value() if hasattr(arg, "value") else None
        if value is None and isinstance(sym, gdb.Symbol):
            value = frame.read_var(sym)
        if isinstance(value, gdb.Value):
            value.fetch_lazy()


def _why_it_ended(last: gdb.Frame | None, sel: Selection) -> None:
    """Say why gdb's unwinding stopped early (unreadable memory, a bad frame)."""
    if last is None:
        return
    try:
        reason = last.unwind_stop_reason()
    except gdb.error as e:
        sel.fail(e)
        return
    if reason not in (gdb.FRAME_UNWIND_NO_REASON, gdb.FRAME_UNWIND_OUTERMOST):
        sel.fail(gdb.frame_stop_reason_string(reason))


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


def _innermost_on_stack(g: Goroutine) -> gdb.Frame:
    """The selected thread's innermost frame on ``g``'s own stack: a thread caught in a
    signal handler or on the system stack shows those frames first."""
    newest = gdb.newest_frame()
    frame: gdb.Frame | None = newest
    lo, hi = g.stack
    for _ in range(32):
        if frame is None:
            break
        try:
            sp = int(frame.read_register("sp"))
        except (gdb.error, ValueError):
            break
        if lo <= sp < hi:
            return frame
        frame = frame.older()
    return newest


#: gdb stops unwinding at main.main: held on while a parked goroutine is shown from there.
PAST_MAIN = params.Held("backtrace past-main", True)


def clear() -> None:
    """Back to the thread's own stack (no redraw)."""
    PAST_MAIN.release()
    if SWITCHER.selected is not None:
        SWITCHER.selected = None
        gdb.invalidate_cached_frames()


def select(g: Goroutine) -> str:
    """Make gdb see goroutine ``g``; returns how (for the message)."""
    clear()
    if g.lwp is not None:
        thread = _thread_for_lwp(g.lwp)
        if thread is not None:
            thread.switch()
            own = _innermost_on_stack(g)
            SWITCHER.selected = Selection(
                goroutine=g, thread=thread.global_num, hide_below=own.level(), running=True
            )
            own.select()
            return f"running on thread {thread.num} (LWP {g.lwp})"
    thread = gdb.selected_thread()
    if thread is None:
        raise gdb.GdbError("wslgo-goroutine: no thread to show the goroutine on")
    SWITCHER.selected = Selection(goroutine=g, thread=thread.global_num)
    PAST_MAIN.hold()
    gdb.invalidate_cached_frames()
    top = gdb.newest_frame().older()
    if top is None or top.pc() != g.pc:
        clear()
        raise gdb.GdbError(
            f"wslgo-goroutine: gdb could not unwind into goroutine {g.goid} (pc {g.pc:#x})"
        )
    top.select()
    return f"{g.status_name}, saved pc {g.pc:#x} sp {g.sp:#x}"


# ---------------------------------------------------------------------------- command


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


def parse_goid(text: str, command: str = "wslgo-goroutine") -> int:
    """A goroutine id: a number or a gdb expression (`'main.ids'[1]`); UsageError else."""
    with contextlib.suppress(ValueError):
        return int(text, 0)
    try:
        return int(gdb.parse_and_eval(text))
    except (gdb.error, ValueError) as e:
        raise commands.UsageError(f"{command}: bad goroutine id {text!r}: {e}") from None


@commands.command("wslgo-goroutine", _parser, argv=commands.first_word_and_rest)
def wslgo_goroutine(args: argparse.Namespace) -> None:
    if args.goid is None:
        if SWITCHER.selected is None:
            gdb.write("wslgo-goroutine: no goroutine selected; showing the thread's own stack\n")
        clear()
        if gdb.selected_thread() is not None:
            gdb.newest_frame().select()
            gdb.write(gdb.execute("frame", to_string=True))
        return
    g = find(parse_goid(args.goid))
    if args.command is None:
        how = select(g)
        gdb.write(f"[goroutine {g.goid}: {how}]\n")
        gdb.write(gdb.execute("frame", to_string=True))
        return
    run_in(g, args.command)


def _restore(saved: Selection | None, thread: gdb.InferiorThread | None, level: int) -> None:
    if thread is not None and thread.is_valid():
        thread.switch()
    SWITCHER.selected = saved
    PAST_MAIN.hold() if saved is not None and not saved.running else PAST_MAIN.release()
    gdb.invalidate_cached_frames()
    frame = _frame_at_level(level)
    if frame is not None:
        frame.select()


def run_in(g: Goroutine, command: str) -> None:
    """Run one gdb ``command`` with ``g`` selected, then restore the selection."""
    saved = SWITCHER.selected
    thread = gdb.selected_thread()
    level = gdb.selected_frame().level()
    try:
        select(g)
        gdb.execute(command)
    finally:
        _restore(saved, thread, level)
