"""The Go program gdb is debugging: the bottom layer every wslgo gdb feature stands on.

One :class:`Program` per loaded executable, opened once (one native ``Binary``, one
``Symbols`` over it, and the goroutine engine's memory target built from that ``Symbols``)
and kept until gdb loads another file. It answers: the program's symbols (file addresses),
the load bias of the running image, run-time addresses, whether gdb looks at a core, and the
native target that reads goroutines (``/proc/PID/mem`` for a local process, the core file
for a core, gdb's own memory reads otherwise or with ``set wslgo memory gdb``) and the
value printers' reader (``_native.Values``) over the same Symbols.

What is dropped when: :meth:`Session.load` (a new objfile) replaces the program only when
the file changed; :meth:`Program.forget_process` (exit) drops the targets and the load bias,
:meth:`Program.forget_snapshot` (on resume) the snapshot (:mod:`wslgo.gdb.stopsnapshot`).
"""

from __future__ import annotations

import os
import re
from typing import Any, cast

import gdb

from wslgo import _native
from wslgo.gdb import corefile, gofacts, params
from wslgo.gdb.stopsnapshot import Extras, StopSnapshot, TargetKey
from wslgo.gdb.threads import current_tid, process_alive, thread_regs
from wslgo.text import esc

#: A goroutine record of the engine (see `_native.GoroutineDict`), as a plain dict.
Record = dict[str, Any]

_HEX = re.compile(r"\bat (?:address )?(0x[0-9a-fA-F]+)")


def _identity(path: str) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class Program:
    """One Go executable, as wslgo sees it (see the module docstring)."""

    def __init__(self, path: str, binary: _native.Binary, identity: tuple[int, ...]) -> None:
        self.path = path
        self.binary = binary
        self.identity = identity
        try:
            self.go_version: str | None = str(binary.build_info()["go_version"])
        except _native.WslgoError:
            self.go_version = None
        try:
            self.symbols: _native.Symbols | None = _native.Symbols.from_binary(binary)
        except _native.WslgoError:
            self.symbols = None
        self._resolved: dict[str, tuple[int, int] | None] | None = None
        self._bias: dict[int, int] = {}
        self._target: tuple[TargetKey, _native.GoTarget] | None = None
        self._values: tuple[TargetKey, _native.Values] | None = None
        self._snapshot = StopSnapshot()  #: this stop's goroutines, until it resumes

    def describe(self) -> str:
        """The one line wslgo prints when gdb loads a Go program."""
        b = self.binary
        ver = esc(self.go_version or "unknown Go version")  # from the binary: no raw controls
        if b.has_dwarf:
            dwarf = "DWARF present" + (" (compressed)" if b.dwarf_compressed else "")
        elif b.has_symtab:
            dwarf = "no DWARF (-ldflags=-w): goroutines and stacks still work from the pclntab"
        elif self._resolve(gofacts.ALLGS) is not None:
            dwarf = (
                "stripped (-s -w): goroutines, stacks, the Go breakpoint and traceback work "
                "from the pclntab and the runtime's code; no locals, types or gdb globals"
            )
        else:
            dwarf = "stripped (-s -w): runtime.allgs not found, only pc -> function:line works"
        name = esc(os.path.basename(self.path))
        return f"wslgo: {name}: Go program, {ver}, {dwarf}; try `wslgo-bt`"

    # ------------------------------------------------------------------ symbols

    def _resolve(self, name: str) -> tuple[int, int] | None:
        syms = self.symbols
        if syms is not None:
            try:
                funcs = syms.lookup(name)
            except _native.WslgoError:
                funcs = []
            if funcs:
                exact = [f for f in funcs if f[0] in (name, f"{name}.abi0")] or funcs
                _, entry, end = exact[0]
                return entry, max(end - entry, 1)
        # Variables from the ELF symbol table first: a hash lookup, where DWARF's is a scan
        # (4 ms each, at every program gdb loads). Assembly functions carry their ABI in
        # the ELF name (runtime.breakpoint.abi0).
        for candidate in (name, f"{name}.abi0"):
            found = self.binary.elf_symbol(candidate)
            if found is not None:
                return found
        # A stripped binary's variables from DWARF (of `set wslgo symbol-file`'s copy).
        if syms is not None:
            try:
                addr, size, _ = syms.variable(name)
                return addr, size
            except _native.WslgoError:
                pass
        return None

    def resolved(self) -> dict[str, tuple[int, int] | None]:
        """``name -> (file address, size)`` for :data:`gofacts.SYMBOLS`."""
        if self._resolved is None:
            self._resolved = {name: self._resolve(name) for name in gofacts.SYMBOLS}
        return self._resolved

    def load_bias(self) -> int:
        """Distance of the running (or core) image from the file's addresses: 0 unless PIE.

        gdb relocates a PIE's symbols when the process starts; its ``runtime.main`` minus
        the file's is the bias. Cached per process id."""
        if not self.binary.is_pie:
            return 0
        pid = gdb.selected_inferior().pid
        if pid in self._bias:
            return self._bias[pid]
        main = self.resolved().get(gofacts.MAIN)
        if main is None:
            return 0
        try:
            out = gdb.execute(f"info address {gofacts.MAIN}", to_string=True)
        except gdb.error:
            return 0
        m = _HEX.search(out)
        if m is None:
            return 0
        bias = int(m.group(1), 16) - main[0]
        if pid:
            self._bias[pid] = bias
        return bias

    def address(self, name: str) -> int | None:
        """Run-time address of one of :data:`gofacts.SYMBOLS`, or None."""
        found = self.resolved().get(name)
        return None if found is None else found[0] + self.load_bias()

    def pc_in(self, name: str, pc: int) -> bool:
        """True when the run-time ``pc`` lies in function ``name`` (of gofacts.SYMBOLS)."""
        found = self.resolved().get(name)
        if found is None:
            return False
        start = found[0] + self.load_bias()
        return start <= pc < start + max(found[1], 1)

    def frames(self, pc: int) -> list[_native.Frame]:
        """Source frames at the run-time ``pc``, innermost first ([] when unknown)."""
        if self.symbols is None:
            return []
        try:
            return self.symbols.frames(pc - self.load_bias())
        except _native.WslgoError:
            return []

    # ------------------------------------------------------------------ target

    def target(self, key: TargetKey) -> _native.GoTarget:
        """The native goroutine engine reading ``key`` (kept while ``key`` is the same)."""
        if self._target is not None and self._target[0] == key:
            return self._target[1]
        handle: Any = self.symbols if self.symbols is not None else self.binary
        tgt: _native.GoTarget
        if key[0] == "core":
            tgt = _native.Core(handle, key[1].path)
        elif key[0] == "pid":
            tgt = _native.Process(handle, key[1])
        else:
            inf = gdb.selected_inferior()

            def read(addr: int, length: int) -> bytes:
                return bytes(inf.read_memory(addr, length))

            tgt = _native.Callback(handle, read, self.load_bias())
        self._target = (key, tgt)
        return tgt

    def values(self) -> _native.Values:
        """The value printers' native reader of the current inferior, over this program's
        Symbols (kept while gdb reads the same process or core; without a process gdb reads
        the executable's own sections)."""
        try:
            key = target_key()
        except gdb.GdbError:
            key = ("gdb", 0)
        if self._values is not None and self._values[0] == key:
            return self._values[1]
        handle: Any = self.symbols if self.symbols is not None else self.binary
        if key[0] == "pid":
            vals = _native.Values(handle, pid=key[1], load_bias=self.load_bias())
        else:
            inf = gdb.selected_inferior()

            def read(addr: int, length: int) -> bytes:
                return bytes(inf.read_memory(addr, length))

            vals = _native.Values(handle, read=read, load_bias=self.load_bias())
        self._values = (key, vals)
        return vals

    def snapshot(
        self, key: TargetKey, args: dict[str, Any], scope: _native.Scope, dead: bool, ex: Extras
    ) -> _native.Snapshot:
        """This stop's goroutines with at least ``scope``'s stacks (current < user < all)
        and ``ex``'s extras; read once, kept until it resumes."""
        return self._snapshot.get(lambda: self.target(key), key, args, scope, dead, ex)

    def forget_snapshot(self) -> None:
        """The program resumed (or its memory may have changed): read it again."""
        self._snapshot.forget()

    def forget_process(self) -> None:
        """The process is gone: its targets, values reader, snapshot and load bias too."""
        self._target, self._values = None, None
        self._snapshot.forget()
        self._bias.clear()


class Session:
    """The program of this gdb session (one inferior's executable at a time)."""

    def __init__(self) -> None:
        self.program: Program | None = None
        #: (path, identity) of a file known not to be a Go program.
        self.not_go: tuple[str, tuple[int, ...]] | None = None

    def load(self, path: str) -> Program | None:
        """The program at ``path``: the one already open when the file is unchanged, else
        opened now. None when it is not a Go program; raises OSError / WslgoError when it
        cannot be read."""
        ident = _identity(path)
        prog = self.program
        if prog is not None and prog.path == path and prog.identity == ident:
            return prog
        if self.not_go == (path, ident):
            return None
        binary = _native.Binary(path)
        if not binary.is_go:
            self.program, self.not_go = None, (path, ident)
            return None
        self.program, self.not_go = Program(path, binary, ident), None
        return self.program

    def current(self) -> Program:
        """The Go program gdb has loaded; raises gdb.GdbError when there is none."""
        path = gdb.current_progspace().filename
        if not path:
            raise gdb.GdbError("wslgo: no program loaded (use `file PROGRAM` first)")
        if not os.path.isfile(path):
            raise gdb.GdbError(f"wslgo: {path}: not a file")
        try:
            prog = self.load(path)
        except (OSError, _native.WslgoError) as e:
            raise gdb.GdbError(f"wslgo: {path}: {' '.join(str(e).split())}") from None
        if prog is None:
            raise gdb.GdbError(f"wslgo: {path} is not a Go program")
        return prog

    def current_or_none(self) -> Program | None:
        """The current Go program, or None (no file, not Go, unreadable)."""
        try:
            return self.current()
        except gdb.GdbError:
            return None

    def forget_targets(self) -> None:
        if self.program is not None:
            self.program.forget_process()

    def forget_snapshot(self) -> None:
        """Drop the goroutine snapshot of the last stop (the program resumed)."""
        if self.program is not None:
            self.program.forget_snapshot()


SESSION = Session()

MEMORY = params.choice(
    "memory",
    "How wslgo reads the program's memory: auto (a local process through /proc/PID/mem,\n"
    "a core file directly; anything else through gdb) or gdb (every read through gdb, as\n"
    "for a remote target: slower, but it sees exactly what gdb sees).",
    "Set how wslgo reads the program's memory.",
    ["auto", "gdb"],
    "auto",
    on_set=lambda: SESSION.forget_targets(),
)


def current() -> Program:
    """The Go program gdb has loaded (gdb.GdbError when there is none)."""
    return SESSION.current()


def current_or_none() -> Program | None:
    """The Go program gdb has loaded, or None."""
    return SESSION.current_or_none()


# ---------------------------------------------------------------------- the inferior


def is_core() -> bool:
    """True when gdb is looking at a core file rather than a process."""
    conn = gdb.selected_inferior().connection
    return conn is not None and conn.type == "core"


def target_key() -> TargetKey:
    """What gdb is looking at, as the key of its native target."""
    inf = gdb.selected_inferior()
    if is_core():
        core = corefile.find(gdb.execute("info target", to_string=True))
        if core is None:
            raise gdb.GdbError("wslgo: cannot tell which core file gdb has open")
        return ("gdb" if MEMORY.value == "gdb" else "core", core)
    if inf.pid > 0:
        conn = inf.connection
        local = conn is not None and conn.type == "native"
        if local and not process_alive(inf.pid):
            raise gdb.GdbError(f"wslgo: process {inf.pid} has ended (killed?): no live process")
        return ("pid" if local and MEMORY.value == "auto" else "gdb", inf.pid)
    raise gdb.GdbError("wslgo: the program is not running; use `run`, `attach PID` or `core FILE`")


def thread_args(key: TargetKey) -> dict[str, Any]:
    """What gdb tells the engine about threads: the selected one, and every thread's
    registers unless the engine reads a core (it takes those from the core's notes)."""
    args: dict[str, Any] = {"current_tid": current_tid()}
    if key[0] != "core":
        args["threads"] = thread_regs()
    return args


def target() -> tuple[_native.GoTarget, dict[str, Any]]:
    """The native target of the current inferior and the thread arguments for its calls."""
    key = target_key()
    return current().target(key), thread_args(key)


def snapshot(
    scope: _native.Scope = "all", dead: bool = False, panics: bool = False, waits: bool = False
) -> _native.Snapshot:
    """The current stop's goroutines (cached until it resumes) with ``scope``'s stacks,
    with ``panics`` each one's panic, with ``waits`` what each blocked one waits on."""
    key = target_key()
    return current().snapshot(key, thread_args(key), scope, dead, (panics, waits))


def goroutines(max_depth: int | None = None, include_dead: bool = False) -> list[Record]:
    """Every goroutine of the current inferior as a dict (for the few callers that need
    every record; the views use :func:`snapshot`)."""
    tgt, kwargs = target()
    if include_dead:
        kwargs["include_dead"] = True
    if max_depth is not None:
        kwargs["max_depth"] = max_depth
    return cast(list[Record], tgt.goroutines(**kwargs))


def goroutine(goid: int) -> _native.GoroutineDict:
    """Goroutine ``goid`` without its stack (NotFoundError: none, or dead)."""
    tgt, kwargs = target()
    return tgt.goroutine(goid, **kwargs)


def current_goroutine() -> _native.GoroutineDict | None:
    """The goroutine gdb's selected thread runs, or None (found by the thread id the
    runtime's m records: no thread registers needed)."""
    tgt = current().target(target_key())
    return tgt.current_goroutine(current_tid())


def physical_frames(pc: int, sp: int, bp: int) -> list[tuple[int, int]]:
    """(pc, sp) of each physical frame the engine unwinds from saved registers, or []."""
    tgt, _ = target()
    res = tgt.unwind(pc=pc, sp=sp, bp=bp, exact=False)
    out: list[tuple[int, int]] = []
    for f, fsp in zip(res["frames"], res["frame_sp"]):
        key = (int(f["pc"]), int(fsp))
        if not out or out[-1] != key:  # inlined frames share their physical frame
            out.append(key)
    return out
