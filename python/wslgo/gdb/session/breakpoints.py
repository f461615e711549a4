"""wslgo's internal breakpoints in a live Go process.

Armed when the process starts (the first ``new_objfile`` event that sees a live process:
gdb loads the vDSO right after it created the inferior and relocated a PIE, before any Go
code ran; the first stop and gdb's post-run hook are fallbacks, e.g. after ``attach``):

- ``runtime.breakpoint``: silent, stops *before* the trap; :func:`skip_trap` moves the pc
  past the INT3 (amd64, 1 byte) / BRK (arm64, 4 bytes) so the SIGTRAP never fires and gdb
  stops once per ``runtime.Breakpoint()`` call, reported as a Go breakpoint;
- ``runtime.main`` (one shot, never stops): stores the "crash" traceback level, after
  ``schedinit`` has parsed GOTRACEBACK (see :mod:`wslgo.gdb.session.traceback`);
- runtime.throw, runtime.fatal (never stop): note the fatal error's text for the crash stop;
- runtime.exit, enabled once a panic started (runtime.gopanic, never stops): a panic in
  flight on another goroutine is lost there: say so (stop for it with ``break-on-panic``);
- with ``set wslgo break-on-panic on|all``: runtime.fatalpanic, runtime.throw,
  runtime.fatal (and runtime.gopanic); :mod:`wslgo.gdb.session.panics` decides whether a hit stops.
"""

from __future__ import annotations

from typing import Callable

import gdb

from wslgo.gdb import gofacts, params, program
from wslgo.gdb.session import environment, traceback

#: Decides at a hit of runtime.breakpoint whether gdb stops (``set wslgo go-breakpoint``).
GoHit = Callable[["GoBreakpoint"], bool]
#: Decides at a hit of a panic breakpoint (by its function's name) whether gdb stops.
PanicHit = Callable[[str], bool]
#: Notes a hit of a fatal error's function (by its name); never stops.
FatalSeen = Callable[[str], None]


def driven_by_mi() -> bool:
    """True when gdb was started with the MI as its interpreter (``--interpreter=mi3``, as
    VS Code's cppdbg starts it): gdb's Python cannot ask, its command line says."""
    try:
        with open("/proc/self/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    for i, arg in enumerate(argv):
        if arg.startswith((b"--interpreter=mi", b"-interpreter=mi", b"-i=mi")):
            return True
        if arg in (b"--interpreter", b"-interpreter", b"-i") and argv[i + 1 : i + 2] != [b""]:
            if argv[i + 1 : i + 2][0].startswith(b"mi"):
                return True
    return False


class GoBreakpoint(gdb.Breakpoint):
    """runtime.breakpoint: stop before the trap (the stop handler skips it). Silent on the
    command line (wslgo prints its own line; gdb's would say "Breakpoint -1"); under the MI
    not, so that its ``*stopped`` record has a reason, the thread and the frame."""

    def __init__(self, addr: int, on_hit: GoHit | None) -> None:
        super().__init__(f"*{addr:#x}", gdb.BP_BREAKPOINT, internal=True)
        self.silent = not driven_by_mi()
        self.addr = addr
        self.on_hit = on_hit

    def stop(self) -> bool:
        return True if self.on_hit is None else self.on_hit(self)


class PanicBreakpoint(gdb.Breakpoint):
    """runtime.fatalpanic / fatalthrow / gopanic (``set wslgo break-on-panic``)."""

    def __init__(self, addr: int, what: str, on_hit: PanicHit | None) -> None:
        super().__init__(f"*{addr:#x}", gdb.BP_BREAKPOINT, internal=True)
        self.silent = True
        self.what = what
        self.on_hit = on_hit

    def stop(self) -> bool:
        return True if self.on_hit is None else self.on_hit(self.what)


class FatalRecorder(gdb.Breakpoint):
    """runtime.throw / runtime.fatal, always: note the text, never stop (a crash stop
    later says it, as the runtime printed it)."""

    def __init__(self, addr: int, what: str, on_hit: FatalSeen | None) -> None:
        super().__init__(f"*{addr:#x}", gdb.BP_BREAKPOINT, internal=True)
        self.silent = True
        self.what = what
        self.on_hit = on_hit

    def stop(self) -> bool:
        if self.on_hit is not None:
            self.on_hit(self.what)
        return False


class ExitBreakpoint(gdb.Breakpoint):
    """runtime.exit, always: a panic still in flight on another goroutine is lost there
    (main returned while the panic ran its defers); :mod:`wslgo.gdb.session.panics` says so, and
    with ``break-on-panic`` on stops for it."""

    def __init__(self, addr: int, on_hit: PanicHit | None) -> None:
        super().__init__(f"*{addr:#x}", gdb.BP_BREAKPOINT, internal=True)
        self.silent = True
        self.on_hit = on_hit

    def stop(self) -> bool:
        return False if self.on_hit is None else self.on_hit(str(BREAK_ON_PANIC.value))


class PanicStart(gdb.Breakpoint):
    """runtime.gopanic, always, never stops: a panic is under way, so the exit breakpoint
    (disabled until then: stepping over runtime.exit can lose the process's exit event)
    is enabled."""

    def __init__(self, addr: int, exit_bp: ExitBreakpoint) -> None:
        super().__init__(f"*{addr:#x}", gdb.BP_BREAKPOINT, internal=True)
        self.silent = True
        self.exit_bp = exit_bp

    def stop(self) -> bool:
        if self.exit_bp.is_valid() and not self.exit_bp.enabled:
            self.exit_bp.enabled = True
        return False


class TracebackBreakpoint(gdb.Breakpoint):
    """One shot at runtime.main: store the crash traceback level, never stop."""

    def __init__(self, addr: int) -> None:
        super().__init__(f"*{addr:#x}", gdb.BP_BREAKPOINT, internal=True, temporary=True)
        self.silent = True
        self.done = False
        self.error: str | None = None

    def stop(self) -> bool:
        if not self.done:
            self.done = True
            try:
                traceback.force_crash()
            except Exception as e:  # reported at the next stop; the program goes on
                self.error = " ".join(str(e).split())
        return False


def _delete(bp: gdb.Breakpoint | None) -> None:
    if bp is not None and bp.is_valid():
        bp.delete()


def _trap_looks_right(addr: int, arch: str) -> bool:
    """runtime.breakpoint must start with INT3 / BRK, or the bias is wrong."""
    try:
        data = bytes(gdb.selected_inferior().read_memory(addr, 4))
    except gdb.error:
        return False
    return gofacts.is_trap(arch, data)


class Armed:
    """The internal breakpoints of one live process."""

    def __init__(self) -> None:
        self.pid = 0
        self.go: GoBreakpoint | None = None
        self.tb: TracebackBreakpoint | None = None
        self.panics: list[PanicBreakpoint] = []
        self.recorders: list[FatalRecorder] = []
        self.exit: ExitBreakpoint | None = None
        self.panic_start: PanicStart | None = None
        #: True once wslgo stored the crash traceback level into this process.
        self.crash_injected = False
        #: What a hit of runtime.breakpoint does (registered by :mod:`wslgo.gdb.session.events`).
        self.go_hit: GoHit | None = None
        #: Whether a panic breakpoint hit stops (registered by :mod:`wslgo.gdb.session.events`).
        self.panic_hit: PanicHit | None = None
        #: Notes a fatal error's text (registered by :mod:`wslgo.gdb.session.events`).
        self.fatal_seen: FatalSeen | None = None
        #: At runtime.exit, given the break-on-panic mode: whether to stop for a lost panic.
        self.exit_hit: PanicHit | None = None

    def disarm(self) -> None:
        """Delete every internal breakpoint wslgo created."""
        _delete(self.go)
        _delete(self.tb)
        _delete(self.exit)
        _delete(self.panic_start)
        self.exit = self.panic_start = None
        for bp in [*self.panics, *self.recorders]:
            _delete(bp)
        self.go = self.tb = None
        self.panics, self.recorders = [], []
        self.pid = 0
        self.crash_injected = False

    def arm(self) -> bool:
        """Arm the breakpoints for the live process (idempotent per pid). True when armed."""
        inf = gdb.selected_inferior()
        if inf.pid == 0 or program.is_core():
            return False
        if self.pid == inf.pid:
            return True
        prog = program.current_or_none()
        if prog is None:
            return False
        brk = prog.address(gofacts.BREAKPOINT)
        if brk is not None and not _trap_looks_right(brk, prog.binary.arch):
            return False  # a PIE not relocated yet; a later event will try again
        self.disarm()
        self.pid = inf.pid
        if brk is not None:
            self.go = GoBreakpoint(brk, self.go_hit)
        if environment.CRASH_TRACEBACK.value and not environment.ENVIRONMENT.honour_users():
            self._arm_traceback(prog)
        self.arm_panics()
        for name in gofacts.THROW_FUNCS:
            addr = prog.address(name)
            if addr is not None:
                self.recorders.append(FatalRecorder(addr, name, self.fatal_seen))
        exit_addr = prog.address(gofacts.EXIT)
        gopanic = prog.address(gofacts.PANIC_FUNC)
        if exit_addr is not None and gopanic is not None:
            self.exit = ExitBreakpoint(exit_addr, self.exit_hit)
            self.exit.enabled = False
            self.panic_start = PanicStart(gopanic, self.exit)
        return True

    def _arm_traceback(self, prog: program.Program) -> None:
        main = prog.address(gofacts.MAIN)
        started = prog.address(gofacts.MAIN_STARTED)
        already = False
        if started is not None:
            try:
                already = bytes(gdb.selected_inferior().read_memory(started, 1))[0] != 0
            except gdb.error:
                already = False
        if already:  # attached to a running program: schedinit is long done
            traceback.force_crash()
            self.crash_injected = True
        elif main is not None:
            self.tb = TracebackBreakpoint(main)

    def arm_panics(self) -> None:
        """(Re)create the panic breakpoints ``set wslgo break-on-panic`` asks for."""
        for bp in self.panics:
            _delete(bp)
        self.panics = []
        mode = BREAK_ON_PANIC.value
        prog = program.current_or_none()
        if mode == "off" or self.pid == 0 or prog is None:
            return
        names = list(gofacts.FATAL_FUNCS)
        if mode == "all":
            names.append(gofacts.PANIC_FUNC)
        for name in names:
            addr = prog.address(name)
            if addr is not None:
                self.panics.append(PanicBreakpoint(addr, name, self.panic_hit))

    def on_break_on_panic_changed(self) -> None:
        if self.pid and self.pid == gdb.selected_inferior().pid:
            self.arm_panics()

    def traceback_outcome(self) -> str | None:
        """Once the runtime.main breakpoint has fired: drop it and return its error."""
        tb = self.tb
        if tb is None or not tb.done:
            return None
        _delete(tb)
        self.tb = None
        self.crash_injected = tb.error is None
        return tb.error

    def skip_trap(self, prog: program.Program) -> None:
        """Move the pc past runtime.breakpoint's trap so the SIGTRAP never fires."""
        go = self.go
        if go is None or gdb.newest_frame().pc() != go.addr:
            return
        step = gofacts.TRAP_SIZE.get(prog.binary.arch, 1)
        gdb.execute(f"set var $pc = {go.addr + step:#x}", to_string=True)

    def return_from_trap(self) -> bool:
        """After :meth:`skip_trap`: return from runtime.breakpoint (frameless assembly,
        `INT3; RET` / `BRK; RET`: the caller's pc and sp are all its return restores) to
        the start of runtime.Breakpoint's last line, so that gdb's own `next`, `step` and
        `until` return to the user's next line instead of stopping in the runtime. What
        it passes over (amd64 only) is the re-establishment of X15 and R14 after a call of
        assembly, which hold already: runtime.breakpoint changed no register. True when it
        did."""
        go = self.go
        newest = gdb.newest_frame()
        if go is None or not go.addr < newest.pc() < go.addr + 8:
            return False
        caller = newest.older()
        if caller is None or caller.name() not in gofacts.BREAKPOINT_FUNCS:
            return False
        pc, sp = caller.pc(), int(caller.read_register("sp"))
        sal = gdb.find_pc_line(pc)
        try:
            block = caller.block()
        except RuntimeError:
            return False
        # the return address starts a line (arm64) or is inside the call's line (amd64:
        # X15 and R14 are set again after a call of assembly)
        starts = gdb.find_pc_line(pc - 1).line != sal.line
        end = pc if starts or sal.last is None else sal.last + 1
        if sal.symtab is None or not block.start <= end < block.end:
            return False
        newest.select()  # $sp and $pc of an outer frame cannot be assigned
        gdb.execute(f"set var $sp = {sp:#x}", to_string=True)
        gdb.execute(f"set var $pc = {end:#x}", to_string=True)
        return True


ARMED = Armed()

BREAK_ON_PANIC = params.choice(
    "break-on-panic",
    "on: stop when the program is about to die of a panic or a fatal error\n"
    "(runtime.fatalpanic, runtime.throw, runtime.fatal), before the runtime prints it;\n"
    "wslgo says what happened (the panic value, the fatal error text) and where.\n"
    "all: also stop at every panic, recovered or not (runtime.gopanic), once per panic.\n"
    "off: never.",
    "Set whether wslgo stops the program at panics.",
    ["off", "on", "all"],
    "off",
    on_set=ARMED.on_break_on_panic_changed,
)
