"""What a panic or fatal error is, read from the runtime's own structures at a
``break-on-panic`` stop, never by calling Go code.

- runtime.gopanic(e any) (``break-on-panic all``): the panic value is the eface in the
  first two argument registers;
- runtime.fatalpanic(msgs *_panic): the chain of panic records, oldest first, each
  ``panic: VALUE`` with ``[recovered]`` as the runtime prints them;
- runtime.throw / runtime.fatal(s string): ``fatal error: TEXT`` (a deadlock when the
  text says so).

Values are spelled by the native engine (src/runtime/panic.rs) as runtime.printpanicval
would; this module finds the arguments (registers) and decides when to stop. The same
goroutine at the same sp with the same arguments again (the function's stack check sent it
through the scheduler, which runs it again from its entry, maybe on another thread) does
not stop twice, nor does runtime.fatalpanic for a panic already reported at gopanic, nor a
fatal error whose text was reported.
"""

from __future__ import annotations

import gdb

from wslgo import _native
from wslgo.gdb import gofacts, goid, program
from wslgo.text import esc


def _mem(addr: int, size: int) -> bytes:
    return bytes(gdb.selected_inferior().read_memory(addr, size))


def _go_string(addr: int, length: int, limit: int = 4096) -> str:
    if length <= 0 or addr == 0:
        return ""
    return _mem(addr, min(length, limit)).decode("utf-8", "replace")


def value_text(typ: int, data: int) -> str:
    """A panic value (eface type, data) as the runtime prints it after ``panic: ``."""
    tgt, _ = program.target()
    try:
        return tgt.panic_value(typ, data)
    except _native.WslgoError as e:
        raise gdb.error(str(e)) from None


def _chain(first: int) -> list[str]:
    """``panic: ...`` lines of a record chain, oldest first (runtime.printpanics)."""
    tgt, _ = program.target()
    try:
        return tgt.panic_chain(first)
    except _native.WslgoError as e:
        raise gdb.error(str(e)) from None


def _arg_regs(arch: str) -> tuple[int, int]:
    regs = gofacts.ARG_REGS.get(arch)
    if regs is None:
        raise gdb.error(f"panic arguments on {arch} are not known")
    frame = gdb.newest_frame()
    return (
        int(frame.read_register(regs[0])) & 0xFFFFFFFFFFFFFFFF,
        int(frame.read_register(regs[1])) & 0xFFFFFFFFFFFFFFFF,
    )


class Panics:
    """The panic stops reported so far (to stop exactly once per panic)."""

    def __init__(self) -> None:
        self.last: tuple[int, ...] | None = None
        self.values: set[str] = set()
        self.fatal: set[str] = set()
        #: The text of the last fatal error the runtime threw (what it prints).
        self.said: str | None = None
        #: At a stop at runtime.exit: the goroutine whose panic the exit loses, its lines.
        self.lost: tuple[int, list[str]] | None = None
        #: A panic seen in flight on another goroutine at runtime.exit.
        self.in_flight: tuple[int, list[str]] | None = None

    def at_exit(self, mode: str) -> bool:
        """At runtime.exit (before gdb decides to stop): a panic in flight on another
        goroutine may die with the process (main returned while it ran its defers). True
        (stop) with ``break-on-panic`` on when that panic was not reported yet; it is
        remembered for :meth:`exited` either way."""
        self.lost = None
        try:
            found = _in_flight()
        except (gdb.error, _native.WslgoError, OSError):
            return False
        if found is None:
            return False
        self.in_flight = found
        if mode != "off" and found[1][-1] not in self.values:
            self.values.add(found[1][-1])  # its runtime.fatalpanic hit, if any, is the same
            self.lost = found
            return True
        return False

    def exited(self, code: int | None) -> None:
        """The process ended with ``code`` (None: by a signal): a panic seen in flight at
        its exit that did not end it (status 2) was lost; say so, once."""
        found, self.in_flight = self.in_flight, None
        if found is None or code is None or code == gofacts.PANIC_EXIT_STATUS:
            return
        gid, lines = found
        gdb.write(
            f"wslgo: goroutine {gid} was panicking when the program exited with status "
            f"{code}; the panic was lost (main returned while it ran its defers): "
            f"{esc(lines[-1])}\n"
        )

    def note_fatal(self, what: str) -> None:
        """At runtime.throw / runtime.fatal (never stops): keep the text."""
        prog = program.current_or_none()
        if prog is None:
            return
        try:
            a, b = _arg_regs(prog.binary.arch)
            self.said = _go_string(a, b)
        except gdb.error:
            pass

    def should_stop(self, what: str) -> bool:
        """At a panic breakpoint (before gdb stops): False for a hit already reported."""
        prog = program.current_or_none()
        if prog is None:
            return True
        try:
            a, b = _arg_regs(prog.binary.arch)
            sp = int(gdb.newest_frame().read_register("sp"))
            if what == gofacts.FATAL_PANIC and a:
                lines = _chain(a)
                newest = lines[-1].removesuffix(" [recovered]") if lines else ""
                if newest in self.values:
                    return False  # already stopped at its runtime.gopanic or the exit
                self.values.add(newest)
            if what in gofacts.THROW_FUNCS:
                # a fatal error is reported once (the runtime prints only the first)
                text = _go_string(a, b)
                if text in self.fatal:
                    return False
                self.fatal.add(text)
                return True
        except gdb.error:
            return True
        # A function's stack check can send the goroutine through the scheduler (a
        # preemption request) and run it again from its entry, on any thread: the same
        # goroutine at the same sp with the same arguments is the same panic.
        key = (goid.current(), sp, a, b)
        if key == self.last:
            return False
        self.last = key
        if what == gofacts.PANIC_FUNC:
            try:
                self.values.add("panic: " + value_text(a, b))
            except gdb.error:
                pass
        return True

    def forget(self) -> None:
        self.last = None
        self.values.clear()
        self.fatal.clear()
        self.said = None
        self.lost = None
        self.in_flight = None


PANICS = Panics()


def _in_flight() -> tuple[int, list[str]] | None:
    """A goroutine other than the current one with a panic not recovered, and its
    `panic: ...` lines (oldest first), or None."""
    me = goid.current()
    others = [g for g in program.goroutines(max_depth=1) if g["goid"] != me]
    tgt, _ = program.target()
    for g, lines in zip(others, tgt.panic_lines([g["addr"] for g in others])):
        if lines and not lines[-1].endswith("[recovered]"):
            return int(g["goid"]), lines
    return None


def describe(what: str, arch: str) -> tuple[str, str]:
    """(kind, text the runtime prints) at a stop at ``what``: kind is panic, recovered
    panic, fatal error or deadlock. The program's strings in it are escaped for the
    terminal (:func:`wslgo.text.esc`), one line each."""
    a, b = _arg_regs(arch)
    if what == gofacts.PANIC_FUNC:
        return "panic", "panic: " + esc(value_text(a, b))
    if what == gofacts.FATAL_PANIC:
        lines = _chain(a)
        kind = "recovered panic" if any(ln.endswith("[recovered]") for ln in lines) else "panic"
        return kind, "\n\t".join(map(esc, lines)) if lines else "panic"
    text = _go_string(a, b)
    kind = "deadlock" if gofacts.DEADLOCK_MARK in text else "fatal error"
    return kind, f"fatal error: {esc(text)}"


def current_panic() -> str | None:
    """The `panic: ...` lines of the current goroutine's `_panic` chain (what a crash stop
    leads with), else the `fatal error: ...` line of the runtime's last throw, or None."""
    said = PANICS.said
    fatal = None if said is None else f"fatal error: {esc(said)}"
    try:
        g = program.current_goroutine()
        if g is None:
            return fatal
        tgt, _ = program.target()
        got = tgt.panic_lines([g["addr"]])
    except (gdb.error, _native.WslgoError, OSError):
        return fatal
    lines = got[0] if got else None
    return "\n\t".join(map(esc, lines)) if lines else fatal
