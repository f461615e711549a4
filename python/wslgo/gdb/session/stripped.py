"""gdb's own ``bt`` on a program without DWARF (``-s -w``, ``-w``, objcopy'd): frames unwound
by the pclntab and named from it, as the unstripped program's ``bt`` names them.

Without DWARF gdb has no CFI and no function bounds: it guesses callers from the frame
pointer (wrong at a function's entry, before it pushes one) and prints ``?? ()``.
:class:`StrippedUnwinder` gives each frame's caller from the native pcsp unwinding of the
thread's stack (computed once per stop from frame #0, as the goroutine unwinder does for a
selected goroutine), and :class:`StrippedFrameFilter` names each frame gdb cannot: function,
file and line from the pclntab (a caller's line at its call, ``pc - 1``). Inlined calls are
not split into frames (gdb's DWARF does that): a physical frame shows its innermost
function. Both are registered by ``events.setup``.

``frame``, ``finish``, ``list`` and ``info line`` print without frame filters: for them
:func:`give_names` has gdb read a symbol file written from the pclntab
(``_native.Symbols.symbol_file``: ELF symbols and DWARF names, files and lines, no CFI, so
the unwinder above still unwinds), once per program, when the program is loaded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import gdb
import gdb.unwinder
from gdb.FrameDecorator import FrameDecorator

from wslgo import _native, symfile
from wslgo.gdb import goframes, program


class StrippedState:
    """The current stop's physical frames of frame #0's stack, and whether the program has
    DWARF (then gdb needs none of this)."""

    def __init__(self) -> None:
        #: (pc, sp) of frame #0 -> [(pc, sp)] of its stack, outermost last.
        self.chain: tuple[tuple[int, int], list[tuple[int, int]]] | None = None
        #: program path -> it has no DWARF.
        self.no_dwarf: dict[str, bool] = {}
        #: program path -> the pclntab symbol file gdb has read for it.
        self.named: dict[str, str] = {}


STATE = StrippedState()


def applies() -> bool:
    """True for a loaded Go program without DWARF."""
    prog = program.current_or_none()
    if prog is None or prog.symbols is None:
        return False
    path = gdb.current_progspace().filename or ""
    known = STATE.no_dwarf.get(path)
    if known is None:
        known = not prog.binary.has_dwarf  # (Symbols.info reads the DWARF too: 10 ms)
        STATE.no_dwarf[path] = known
    return known


class _FrameId:
    def __init__(self, sp: gdb.Value, pc: gdb.Value) -> None:
        self.sp = sp
        self.pc = pc


class StrippedUnwinder(gdb.unwinder.Unwinder):
    """A Go frame's caller from the pclntab when the program has no DWARF CFI."""

    def __init__(self) -> None:
        super().__init__("wslgo-stripped")

    def __call__(self, pending_frame: gdb.PendingFrame) -> gdb.UnwindInfo | None:
        if goframes.SWITCHER.applies() is not None or not applies():
            return None  # a selected goroutine: the goroutine unwinder's
        try:
            return self._unwind(pending_frame)
        except (gdb.error, _native.WslgoError, ValueError):
            return None

    @staticmethod
    def _unwind(pending_frame: gdb.PendingFrame) -> gdb.UnwindInfo | None:
        regs = goframes.ArchRegs.of(pending_frame)
        if regs is None:
            return None
        pc_v = pending_frame.read_register(regs.pc)
        sp_v = pending_frame.read_register(regs.sp)
        key = (int(pc_v), int(sp_v))
        if pending_frame.level() == 0 or STATE.chain is None or STATE.chain[0] != key:
            if pending_frame.level() == 0:
                bp = int(pending_frame.read_register(regs.bp))
                STATE.chain = (key, _physical_frames(key[0], key[1], bp))
        if STATE.chain is None:
            return None
        frames = STATE.chain[1]
        for i, frame in enumerate(frames[:-1]):
            if frame == key:
                caller_pc, caller_sp = frames[i + 1]
                entry = _entry(key[0], exact=pending_frame.level() == 0)
                info = pending_frame.create_unwind_info(
                    _FrameId(regs.value(caller_sp), regs.value(entry or key[0]))
                )
                info.add_saved_register(regs.pc, regs.value(caller_pc))
                info.add_saved_register(regs.sp, regs.value(caller_sp))
                return info
        return None


def _physical_frames(pc: int, sp: int, bp: int) -> list[tuple[int, int]]:
    """(pc, sp) of each physical frame from frame #0's registers. Not
    :func:`program.physical_frames`: its thread arguments read gdb's frames, which must not
    happen inside an unwinder (gdb 13 crashes)."""
    tgt = program.current().target(program.target_key())
    res = tgt.unwind(pc=pc, sp=sp, bp=bp, exact=True)
    out: list[tuple[int, int]] = []
    for f, fsp in zip(res["frames"], res["frame_sp"]):
        k = (int(f["pc"]), int(fsp))
        if not out or out[-1] != k:  # inlined frames share their physical frame
            out.append(k)
    return out


def _frames(pc: int, exact: bool) -> list[Any]:
    """The pclntab's frames at ``pc`` (a return address looks up its call: ``pc - 1``)."""
    return program.current().frames(pc if exact else pc - 1)


def _entry(pc: int, exact: bool) -> int | None:
    """The run-time entry of the function holding ``pc``."""
    prog = program.current()
    frames = _frames(pc, exact)
    if not frames or prog.symbols is None:
        return None
    bias = prog.load_bias()
    for _name, entry, size in prog.symbols.lookup(frames[-1].function):
        if entry + bias <= pc <= entry + bias + max(size, 1):
            return int(entry + bias)
    return None


class _Named(FrameDecorator):
    """A frame gdb cannot name, named from the pclntab."""

    def __init__(self, base: Any, func: str, file: str, line: int) -> None:
        super().__init__(base)
        self._func, self._file, self._line = func, file, line

    def function(self) -> str:
        return _native.escape_text(self._func)

    def filename(self) -> str:
        return _native.escape_text(self._file)

    def line(self) -> int:
        return self._line


class StrippedFrameFilter:
    """Names, files and lines from the pclntab for the frames gdb prints as ``??``."""

    def __init__(self) -> None:
        self.name = "wslgo-stripped"
        self.priority = 90
        #: `enable/disable frame-filter global wslgo-stripped`.
        self.user_enabled = True

    @property
    def enabled(self) -> bool:
        """On only for a program without DWARF: elsewhere gdb prints its own frames (an
        enabled filter would route every `bt` through Python's frame printing)."""
        try:
            return self.user_enabled and applies()
        except (gdb.error, _native.WslgoError, OSError):
            return False

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self.user_enabled = bool(value)

    def filter(self, frames: Iterator[Any]) -> Iterator[Any]:
        return self._name(frames)

    @staticmethod
    def _name(frames: Iterator[Any]) -> Iterator[Any]:
        try:
            past_main = bool(gdb.parameter("backtrace past-main"))
        except gdb.error:
            past_main = False
        for dec in frames:
            frame = dec.inferior_frame()
            pc = frame.pc()
            func = frame.name()
            if func is None and pc != 0:
                exact = frame.level() == 0 or frame.type() != gdb.NORMAL_FRAME
                try:
                    found = _frames(pc, exact)
                except (gdb.error, _native.WslgoError, ValueError, OverflowError):
                    found = []
                if found:
                    inner = found[0]
                    dec = _Named(dec, inner.function, inner.file, inner.line)
                    func = found[-1].function
            yield dec
            if func == MAIN and not past_main:
                return  # gdb's `backtrace past-main off`, as with the unstripped program


#: The Go program's main function, where gdb's backtrace stops (``backtrace past-main``).
MAIN = "main.main"


def forget() -> None:
    """The program resumed: the stop's stack is gone."""
    STATE.chain = None


#: ELF e_type of a position-independent executable.
_EM_X86_64 = 62
_ET_DYN = 3


def _named_here(path: str) -> bool:
    """An x86-64 executable that is not a PIE: gdb would not move the symbol file's
    addresses with a PIE's, and on arm64 gdb's frames over it lose the caller of
    ``runtime.Breakpoint`` (the pclntab unwinder alone names them there)."""
    with open(path, "rb") as f:
        head = f.read(20)
    if len(head) < 20:
        return False
    kind, machine = (int.from_bytes(head[i : i + 2], "little") for i in (16, 18))
    return kind != _ET_DYN and machine == _EM_X86_64


def give_names() -> None:
    """A loaded Go program without DWARF: gdb reads the symbol file written from its
    pclntab, so its own ``frame``, ``finish``, ``list`` name functions, files and lines as
    for the unstripped program. Once per program; x86-64 executables that are not PIEs
    (:func:`_named_here`)."""
    path = gdb.current_progspace().filename or ""
    if not path or path in STATE.named or not applies() or not _named_here(path):
        return
    prog = program.current()
    if prog.symbols is None:
        return
    out = symfile.cache_file(path, _native.__file__)  # a new wslgo writes it anew
    if out is None:
        return
    if not os.path.isfile(out):
        data = prog.symbols.symbol_file()
        tmp = f"{out}.{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, out)
    gdb.execute(f"add-symbol-file {out}", to_string=True)
    STATE.named[path] = out


def drop_names() -> None:
    """gdb forgets the pclntab symbol files it read (another symbol file replaces them:
    ``set wslgo symbol-file``, whose DWARF must win)."""
    for sym in STATE.named.values():
        try:
            gdb.execute(f"remove-symbol-file {sym}", to_string=True)
        except gdb.error:
            pass  # gone with the program already
    STATE.named.clear()
