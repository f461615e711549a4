"""What wslgo prints when a Go program stops.

On a stop at a Go breakpoint (``runtime.Breakpoint()``), a fatal signal, a panic breakpoint
or a user breakpoint in Go code, wslgo prints one line saying why and, unless ``set wslgo
stop-context off``, the goroutine context through the printer registered with
:func:`set_context_printer` (:mod:`wslgo.gdb.events` registers ``wslgo-bt``'s).
"""

from __future__ import annotations

from typing import Callable

import gdb

from wslgo import _native
from wslgo.gdb import breakpoints, gofacts, params, program

STOP_CONTEXT = params.choice(
    "stop-context",
    "What wslgo prints when a Go program stops at runtime.Breakpoint(), a fatal signal,\n"
    "a panic breakpoint or a user breakpoint in Go code: off (nothing), brief (the\n"
    "current goroutine's backtrace and a one-line summary of the others) or full.",
    "Set how much goroutine context wslgo prints when the program stops.",
    ["off", "brief", "full"],
    "brief",
)

ContextPrinter = Callable[[str], None]


class Reporter:
    """Who prints the goroutine context of a stop (``level`` is brief or full)."""

    def __init__(self) -> None:
        self.context: ContextPrinter | None = None


REPORTER = Reporter()


def set_context_printer(fn: ContextPrinter | None) -> ContextPrinter | None:
    """Register ``fn(level)`` as the stop context printer; returns the previous one."""
    previous, REPORTER.context = REPORTER.context, fn
    return previous


def _native_position(prog: program.Program, pc: int) -> str | None:
    """``func at file:line`` of a run-time pc from the native symbols (no DWARF needed)."""
    # innermost first: runtime.Breakpoint may be inlined into its caller
    for f in prog.frames(pc):
        if f.function not in gofacts.BREAKPOINT_FUNCS and f.file:
            return f"{f.function} at {f.file}:{f.line}"
    return None


def caller_description(prog: program.Program) -> str:
    """``main.main at main.go:61``: the first frame outside runtime.(B|b)reakpoint."""
    frame: gdb.Frame | None = gdb.newest_frame()
    for _ in range(8):
        if frame is None:
            break
        name = frame.name()
        if name is None:  # gdb knows no symbols (stripped): the goroutine engine's frames
            return _goroutine_caller() or f"?? at {frame.pc():#x}"
        if name not in gofacts.BREAKPOINT_FUNCS:
            sal = frame.find_sal()
            if sal.symtab is not None:
                return f"{name} at {sal.symtab.filename}:{sal.line}"
            return _native_position(prog, frame.pc() - 1) or f"{name} at {frame.pc():#x}"
        frame = frame.older()
    return "??"


def _goroutine_caller() -> str | None:
    """The first frame of the selected thread's stack outside runtime.(B|b)reakpoint."""
    try:
        frames = program.selected_thread_frames()
    except (gdb.error, _native.WslgoError, OSError):
        return None
    for f in frames:
        if f["func"] not in gofacts.BREAKPOINT_FUNCS and f["file"]:
            return f"{f['func']} at {f['file']}:{f['line']}"
    return None


def goroutine_label() -> str:
    """``goroutine 7`` for the goroutine of the selected thread (``goroutine ?``)."""
    try:
        g = program.current_goroutine()
    except (gdb.error, _native.WslgoError, OSError):
        g = None
    return f"goroutine {g['goid']}" if g is not None else "goroutine ?"


def _runtime_is_crashing(prog: program.Program) -> bool:
    frame: gdb.Frame | None = gdb.newest_frame()
    for _ in range(10):
        if frame is None:
            return False
        pc = frame.pc()
        if any(prog.pc_in(n, pc) for n in gofacts.CRASH_FUNCS):
            return True
        frame = frame.older()
    return False


def classify(prog: program.Program, event: gdb.StopEvent) -> tuple[str, str] | None:
    """(kind, one-line description) for stops that get context, else None."""
    if isinstance(event, gdb.BreakpointEvent):
        bps = list(event.breakpoints)
        go = breakpoints.ARMED.go
        if go is not None and any(b is go for b in bps):
            return "go-breakpoint", "Go breakpoint: runtime.Breakpoint()"
        for b in bps:
            if isinstance(b, breakpoints.PanicBreakpoint):
                return "panic", f"stopped at {b.what} (panic)"
        if any(b.number > 0 for b in bps) and gdb.solib_name(gdb.newest_frame().pc()) is None:
            nums = ", ".join(str(b.number) for b in bps if b.number > 0)
            return "breakpoint", f"breakpoint {nums}"
        return None
    if isinstance(event, gdb.SignalEvent) and event.stop_signal in gofacts.FATAL_SIGNALS:
        sig = event.stop_signal
        if sig == "SIGABRT" and _runtime_is_crashing(prog):
            return "signal", (
                f"{sig} from the Go runtime's crash (GOTRACEBACK=crash): "
                "`continue` to let it die and dump core"
            )
        if sig in ("SIGSEGV", "SIGBUS", "SIGFPE"):
            return "signal", (
                f"fatal signal {sig}: `continue` passes it to the Go runtime "
                "(a panic, or a crash traceback)"
            )
        return "signal", f"fatal signal {sig}"
    return None


def report(event: gdb.StopEvent) -> None:
    """Arm late if needed, then print what the stop means for the Go program."""
    armed = breakpoints.ARMED
    if armed.pid != gdb.selected_inferior().pid:
        armed.arm()
    error = armed.traceback_outcome()
    if error:
        gdb.write(f"wslgo: could not set the crash traceback level: {error}\n", gdb.STDERR)
    prog = program.current_or_none()
    if prog is None:
        return
    kind = classify(prog, event)
    if kind is None:
        return
    what, line = kind
    level = str(STOP_CONTEXT.value or "brief")
    if what == "go-breakpoint":
        armed.skip_trap(prog)
        line = f"{line} in {caller_description(prog)}"
    if what in ("go-breakpoint", "panic"):
        # These breakpoints are silent: this replaces gdb's own stop line.
        gdb.write(f"wslgo: {line}, {goroutine_label()}\n")
        gdb.write(gdb.execute("frame", to_string=True))
    elif level != "off":
        gdb.write(f"wslgo: {line}, {goroutine_label()}\n")
    if level != "off" and REPORTER.context is not None:
        REPORTER.context(level)
