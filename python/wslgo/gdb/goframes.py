"""How gdb sees a selected goroutine: the selection, the unwinder that leads the selected
thread's frame #0 into a parked goroutine's saved registers, and the frame filter (or, for
the captured backtraces of ``goroutine all bt``, :func:`trim_backtrace`) that hides the
frames that are not the goroutine's.

A parked goroutine is shown through a gdb unwinder (writing its saved registers into
$pc/$sp fails on cores, golang/go#17575): the selected thread's frame #0 "was called" by the
goroutine's saved pc/sp/bp, so frame #1 is the goroutine's innermost frame; gdb's CFI
unwinds the rest, or, without DWARF, the engine's pcsp unwinding. gdb asks the unwinder about
every frame, so for a binary with DWARF it answers only frame #0 and returns at once for the
others. The frame filter is enabled only while a goroutine is selected: any enabled frame
filter sends gdb's ``bt`` through its Python frame printing, which costs several times
gdb's own. When memory becomes unreadable (the process died) or the architecture is
foreign, the unwinder and the filter stop and say why once.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

import gdb
import gdb.unwinder

from wslgo import _native
from wslgo.gdb import program


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


@dataclass(frozen=True)
class Frame0:
    """A stopped thread's own frame #0, as a parked goroutine shown on it needs it."""

    #: Its CFA (the caller's sp), None when gdb cannot unwind it.
    cfa: int | None
    #: True when its function has arguments or variables (read from the CFA).
    reads_cfa: bool

    def shows(self, goroutine_sp: int) -> bool:
        """True when frame #0 stays readable under a goroutine saved at ``goroutine_sp``:
        its CFA can be its frame id (:meth:`Selection.frame0_id`), or it reads nothing."""
        return not self.reads_cfa or (self.cfa is not None and self.cfa <= goroutine_sp)


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
    #: True when gdb has DWARF CFI for the program: the unwinder answers frame #0 only.
    cfi: bool = True
    #: The CFA of the thread's own frame #0 (read before the selection), else None.
    frame0_cfa: int | None = None
    #: gdb's global number of the user's thread when ``thread`` is borrowed, else None.
    origin: int | None = None

    def frame0_id(self) -> int | None:
        """Frame #0's real CFA for its frame id (gdb reads its variables from it) when the
        goroutine's stack lies above it (gdb stops at a frame inner to the one it called)."""
        cfa = self.frame0_cfa
        return cfa if cfa is not None and cfa <= self.goroutine.sp else None

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
        #: True while backtraces are captured and trimmed (:func:`trim_backtrace`) instead
        #: of filtered: the frame filter is off, so gdb prints them itself.
        self.trimming = False
        #: Per architecture name, what the unwinder needs of it (:class:`ArchRegs`).
        self.arch_regs: dict[str, ArchRegs] = {}
        #: Per thread (gdb's global number), its own frame #0 at this stop.
        self.frame0: dict[int, Frame0] = {}

    def applies(self) -> Selection | None:
        """The selection when gdb's selected thread is the one it replaces."""
        sel = self.selected
        if sel is None:
            return None
        thread = gdb.selected_thread()
        if thread is None or thread.global_num != sel.thread:
            return None
        return sel


@dataclass(frozen=True)
class ArchRegs:
    """The registers the unwinder saves for frame #0's caller, on one architecture."""

    pc: str
    sp: str
    bp: str
    #: Frame #0's stack address in its frame id (see :meth:`GoroutineUnwinder._unwind`).
    frame0_sp: gdb.Value
    #: The type a saved register's value is cast to, None when a plain ``gdb.Value(int)``
    #: already has the register's size (gdb copies the bytes; only the size must match).
    cast: gdb.Type | None

    @classmethod
    def of(cls, pending_frame: gdb.PendingFrame) -> ArchRegs | None:
        """The architecture's registers (cached per name), None for a foreign one."""
        arch = pending_frame.architecture().name()
        known = SWITCHER.arch_regs.get(arch)
        if known is not None:
            return known
        if "aarch64" in arch:
            pc_reg, sp_reg, bp_reg = "pc", "sp", "x29"
        elif "x86-64" in arch:
            pc_reg, sp_reg, bp_reg = "rip", "rsp", "rbp"
        else:
            return None
        sp_type = pending_frame.read_register(sp_reg).type
        same = gdb.Value(0).type.sizeof == sp_type.sizeof
        regs = cls(
            pc_reg, sp_reg, bp_reg, gdb.Value(0x1000).cast(sp_type), None if same else sp_type
        )
        SWITCHER.arch_regs[arch] = regs
        return regs

    def value(self, number: int) -> gdb.Value:
        """``number`` as a saved register's value."""
        v = gdb.Value(number)
        return v if self.cast is None else v.cast(self.cast)


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
        sel = SWITCHER.selected
        if sel is None or sel.failed is not None or sel.running:
            return None
        if sel.cfi and pending_frame.level() != 0:
            return None  # gdb's DWARF CFI unwinder does the goroutine's own frames
        if SWITCHER.applies() is None:
            return None
        try:
            return self._unwind(pending_frame, sel)
        except (gdb.error, _native.WslgoError, ValueError) as e:  # gdb.MemoryError too
            sel.fail(e)
            return None

    def _unwind(self, pending_frame: gdb.PendingFrame, sel: Selection) -> gdb.UnwindInfo | None:
        regs = ArchRegs.of(pending_frame)
        if regs is None:
            sel.fail(f"wslgo cannot unwind goroutines on {pending_frame.architecture().name()}")
            return None
        pc = pending_frame.read_register(regs.pc)
        if pending_frame.level() != 0:
            sp = pending_frame.read_register(regs.sp)
            return self._caller_without_cfi(pending_frame, sel, pc, sp, regs.pc, regs.sp)
        g = sel.goroutine
        # Frame #0's id is its own CFA when the goroutine's stack is above it; else it says
        # its stack is below everything so gdb's "previous frame inner to this frame" check
        # accepts a goroutine stack anywhere (frame #0's variables then read wrong).
        cfa = sel.frame0_id()
        sp = regs.frame0_sp if cfa is None else gdb.Value(cfa).cast(regs.frame0_sp.type)
        info = pending_frame.create_unwind_info(_FrameId(sp, pc))
        info.add_saved_register(regs.pc, regs.value(g.pc))
        info.add_saved_register(regs.sp, regs.value(g.sp))
        info.add_saved_register(regs.bp, regs.value(g.bp))
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


def _other_unwinders() -> bool:
    """True when an enabled unwinder other than wslgo's is registered anywhere."""
    lists = [o.frame_unwinders for o in gdb.objfiles()]
    lists += [gdb.current_progspace().frame_unwinders, gdb.frame_unwinders]
    return any(u.enabled and not isinstance(u, GoroutineUnwinder) for us in lists for u in us)


@contextlib.contextmanager
def frame_zero_dispatch(cfi: bool) -> Iterator[None]:
    """While a command runs over many goroutines of a program with DWARF CFI, let gdb's
    Python unwinder dispatch answer frames after #0 at once. gdb calls its
    ``gdb._execute_unwinders`` (looked up by name each time) for every frame it builds,
    and that walks every objfile's, the progspace's and the global unwinder lists (9,700
    calls for ``goroutine all bt`` at 1,000 goroutines). With CFI wslgo's unwinder answers
    frame #0 only, so when no other unwinder is enabled, the frames after #0 have no taker
    anyway. Nothing changes when another unwinder is enabled, without CFI, or when gdb has
    no such function."""
    original = getattr(gdb, "_execute_unwinders", None)
    if not cfi or original is None or _other_unwinders():
        yield
        return

    def dispatch(pending_frame: gdb.PendingFrame) -> object:
        if pending_frame.level() != 0:
            return None
        return original(pending_frame)

    gdb._execute_unwinders = dispatch
    try:
        yield
    finally:
        gdb._execute_unwinders = original


def filters_enabled() -> bool:
    """True when some frame filter is enabled now (gdb's ``bt`` then prints through
    Python's frame printing; ``-no-filters`` would change its output)."""
    dicts = [o.frame_filters for o in gdb.objfiles()]
    dicts += [gdb.current_progspace().frame_filters, gdb.frame_filters]
    return any(f.enabled for d in dicts for f in d.values())


class GoroutineFrameFilter:
    """Hide the thread's own frame #0 (and the null frame past goexit) in `bt`."""

    def __init__(self) -> None:
        self.name = "wslgo-goroutine"
        self.priority = 100
        #: `enable/disable frame-filter global wslgo-goroutine`.
        self.user_enabled = True

    @property
    def enabled(self) -> bool:
        """On only while a goroutine is selected (and its backtraces are not trimmed)."""
        return self.user_enabled and SWITCHER.selected is not None and not SWITCHER.trimming

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self.user_enabled = bool(value)

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


#: The null frame gdb shows past runtime.goexit.
_NULL_FRAME = re.compile(r"#\d+\s+0x0+ in \?\? \(\)")
#: gdb's lines after the frames; any other line belongs to the frame above it (`bt full`:
#: its locals, "No locals.").
_AFTER_FRAMES = ("(More stack frames follow", "Backtrace stopped")
#: Where a block of gdb's backtrace starts: a frame's first line (``#LEVEL`` then spaces)
#: or one of gdb's lines after the frames.
_BLOCK = re.compile(
    r"^(?:#(\d+)\s|" + "|".join(re.escape(a) for a in _AFTER_FRAMES) + ")", re.MULTILINE
)


def trim_backtrace(text: str, hide_below: int) -> str:
    """gdb's own backtrace ``text`` without the frames the frame filter hides: levels below
    ``hide_below`` (the borrowed thread's frame #0, a signal handler's frames) and the null
    frame past goexit, each with the lines under it (``bt full``: its locals)."""
    starts = list(_BLOCK.finditer(text))
    if not starts:
        return text
    keep = [text[: starts[0].start()]]
    for m, end in zip(starts, [*(n.start() for n in starts[1:]), len(text)]):
        level = m.group(1)
        if level is not None and (
            int(level) < hide_below or _NULL_FRAME.match(text, m.start()) is not None
        ):
            continue
        keep.append(text[m.start() : end])
    return "".join(keep)
