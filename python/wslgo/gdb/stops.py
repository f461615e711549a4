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
from wslgo.gdb import breakpoints, gofacts, goid, panics, params, program, threads
from wslgo.text import esc

STOP_CONTEXT = params.choice(
    "stop-context",
    "What wslgo prints when a Go program stops at runtime.Breakpoint(), a fatal signal,\n"
    "a panic breakpoint or a user breakpoint in Go code: off (nothing), brief (the\n"
    "current goroutine's backtrace and a one-line summary of the others) or full.",
    "Set how much goroutine context wslgo prints when the program stops.",
    ["off", "brief", "full"],
    "brief",
)

GO_BREAKPOINT = params.choice(
    "go-breakpoint",
    "What a runtime.Breakpoint() call in the program does: stop (the default: gdb stops\n"
    "with the caller's frame selected), print (a logpoint: print the stop line and the\n"
    "context, then go on by itself) or off (ignore it: go on, no SIGTRAP).",
    "Set what runtime.Breakpoint() calls do under gdb.",
    ["stop", "print", "off"],
    "stop",
)

SELECT_USER_FRAME = params.boolean(
    "select-user-frame",
    "When on (the default), a stop at runtime.Breakpoint() selects the caller's frame\n"
    "(the user's line), so `list`, `info locals` and `print` work at once. Off keeps\n"
    "frame #0 (runtime.breakpoint) selected.",
    "Set whether a Go breakpoint stop selects the caller's frame.",
    True,
)

ContextPrinter = Callable[[str], None]

#: From this many goroutines on, a fatal stop warns that the crash dump prints each one.
MANY_GOROUTINES = 300
#: How many frames a crash stop reads to find the goroutine's first user frame.
USER_FRAME_DEPTH = 64


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


def caller_frame() -> gdb.Frame | None:
    """The first frame outside runtime.(B|b)reakpoint (the user's call), or None."""
    frame: gdb.Frame | None = gdb.newest_frame()
    for _ in range(8):
        if frame is None:
            break
        if (frame.name() or "??") not in gofacts.BREAKPOINT_FUNCS:
            return frame
        frame = frame.older()
    return None


def caller_description(prog: program.Program) -> str:
    """``main.main at main.go:61``: the first frame outside runtime.(B|b)reakpoint, escaped
    for the terminal (names and paths come from the program's binary)."""
    return esc(_caller(prog))


def _caller(prog: program.Program) -> str:
    newest = gdb.newest_frame()
    if newest.name() is None:  # gdb knows no symbols (stripped): the goroutine engine's frames
        return _goroutine_caller() or f"?? at {newest.pc():#x}"
    frame = caller_frame()
    if frame is None:
        return "??"
    name = frame.name() or "??"
    sal = frame.find_sal()
    if sal.symtab is not None:
        return f"{name} at {sal.symtab.filename}:{sal.line}"
    return _native_position(prog, frame.pc() - 1) or f"{name} at {frame.pc():#x}"


def go_breakpoint_hit(bp: breakpoints.GoBreakpoint) -> bool:
    """At runtime.breakpoint, before gdb decides to stop: True to stop (``go-breakpoint
    stop``); with ``print`` say where and print the context, then skip the trap and go on;
    with ``off`` only skip the trap."""
    mode = str(GO_BREAKPOINT.value or "stop")
    prog = program.current_or_none()
    if mode == "stop" or prog is None:
        return True
    try:
        if mode == "print":
            gdb.write(
                "wslgo: Go breakpoint (print): runtime.Breakpoint() in "
                f"{caller_description(prog)}, {goroutine_label()}\n"
            )
            level = str(STOP_CONTEXT.value or "brief")
            if level != "off" and REPORTER.context is not None:
                REPORTER.context(level)
        breakpoints.ARMED.skip_trap(prog)
    except (gdb.error, _native.WslgoError, OSError) as e:
        gdb.write(f"wslgo: Go breakpoint: {' '.join(str(e).split())}\n", gdb.STDERR)
        return True
    return False


def _silent(bps: list[gdb.Breakpoint]) -> bool:
    """True when every user breakpoint of a stop has commands that start with `silent`."""
    users = [b for b in bps if b.number > 0]
    if not users:
        return False
    for b in users:
        cmds = (b.commands or "").lstrip().split("\n", 1)[0].strip()
        if cmds != "silent":
            return False
    return True


def _selected_thread_frames() -> list[_native.FrameDict]:
    """The engine's frames of the selected thread's stack, unwound from its registers
    (what a stripped binary's stop is described from: gdb knows no names there)."""
    f = gdb.newest_frame()
    pc, sp, bp = threads.frame_registers(f)
    tgt, _ = program.target()
    return list(tgt.unwind(pc=pc, sp=sp, bp=bp, lr=threads.read_lr(f), exact=False)["frames"])


def _goroutine_caller() -> str | None:
    """The first frame of the selected thread's stack outside runtime.(B|b)reakpoint."""
    try:
        frames = _selected_thread_frames()
    except (gdb.error, _native.WslgoError, OSError):
        return None
    for f in frames:
        if f["func"] not in gofacts.BREAKPOINT_FUNCS and f["file"]:
            return f"{f['func']} at {f['file']}:{f['line']}"
    return None


def goroutine_label(none: str = "goroutine ?") -> str:
    """``goroutine 7`` for the goroutine of the selected thread (``none`` if it runs none)."""
    try:
        g = program.current_goroutine()
    except (gdb.error, _native.WslgoError, OSError):
        g = None
    return f"goroutine {g['goid']}" if g is not None else none


def user_location() -> str | None:
    """``main.process at /src/main.go:40``: the current goroutine's first user frame (the
    engine's choice: main module first, then non-standard-library code), escaped for the
    terminal, or None."""
    try:
        g = program.current_goroutine()
        if g is None:
            return None
        tgt, kwargs = program.target()
        rec = tgt.goroutine(g["goid"], max_depth=USER_FRAME_DEPTH, **kwargs)
    except (gdb.error, _native.WslgoError, OSError):
        return None
    i = rec["user_frame"]
    if i is None or i >= len(rec["frames"]):
        return None
    f = rec["frames"][i]
    return esc(f"{f['func']} at {f['file']}:{f['line']}")


#: How many innermost frames of the stopped thread are searched for the runtime's crash.
CRASH_DEPTH = 10


def _runtime_is_crashing(prog: program.Program) -> bool:
    """True when the selected thread is in the runtime's crash (runtime.crash or
    dieFromSignal among its innermost frames): from the engine's unwinding, which knows the
    names of a stripped binary and inlined calls, else gdb's frames."""
    try:
        frames = _selected_thread_frames()[:CRASH_DEPTH]
    except (gdb.error, _native.WslgoError, OSError):
        frames = []
    if any(f["func"] in gofacts.CRASH_FUNCS for f in frames):
        return True
    frame: gdb.Frame | None = gdb.newest_frame()
    for _ in range(CRASH_DEPTH):
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
                try:
                    kind, text = panics.describe(b.what, prog.binary.arch)
                except gdb.error as e:
                    kind, text = "panic", f"(the panic value is unreadable: {e})"
                return "panic", f"{kind} (stopped at {b.what})\n{text}"
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
    if isinstance(event, gdb.BreakpointEvent) and _silent(list(event.breakpoints)):
        return  # the user asked for quiet: compute nothing
    prog = program.current_or_none()
    if prog is None:
        return
    goid.refresh()
    kind = classify(prog, event)
    if kind is None:
        return
    what, line = kind
    level = str(STOP_CONTEXT.value or "brief")
    if what == "go-breakpoint":
        armed.skip_trap(prog)
        line = f"{line} in {caller_description(prog)}"
        caller = caller_frame() if SELECT_USER_FRAME.value else None
        if caller is not None:
            caller.select()
    if what == "panic":
        head, text = line.split("\n", 1)
        gdb.write(f"wslgo: {head}, {goroutine_label('no goroutine running')}\n{text}\n")
        _say_user_location()
        gdb.write(gdb.execute("frame", to_string=True))
    elif what == "go-breakpoint":
        # These breakpoints are silent: this replaces gdb's own stop line.
        gdb.write(f"wslgo: {line}, {goroutine_label()}\n")
        gdb.write(gdb.execute("frame", to_string=True))
    elif level != "off":
        gdb.write(f"wslgo: {line}, {goroutine_label()}\n")
        if what == "signal":
            said = panics.current_panic()  # what the runtime printed before it crashed
            if said is not None:
                gdb.write(said + "\n")
            _say_user_location()
    if level != "off" and REPORTER.context is not None:
        REPORTER.context(level)
    if what in ("signal", "panic") and armed.crash_injected:
        _warn_many(len(program.snapshot("current")))  # the stop context's snapshot


def _say_user_location() -> None:
    where = user_location()
    if where is not None:
        gdb.write(f"wslgo: in user code: {where}\n")


def _warn_many(count: int) -> None:
    """At a fatal stop with GOTRACEBACK=crash injected: a huge dump is coming."""
    if count > MANY_GOROUTINES:
        gdb.write(
            f"wslgo: {count} goroutines: continuing prints every one of them "
            "(GOTRACEBACK=crash); `wslgo-bt all` shows them grouped\n"
        )
