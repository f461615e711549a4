"""What wslgo prints when a Go program stops.

On a stop at a Go breakpoint (``runtime.Breakpoint()``), a fatal signal, a panic breakpoint
or a user breakpoint in Go code, wslgo prints one line saying why and, unless ``set wslgo
stop-context off``, the goroutine context through the printer registered with
:func:`set_context_printer` (:mod:`wslgo.gdb.session.events` registers ``wslgo-bt``'s).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import gdb

from wslgo import _native
from wslgo.gdb import gofacts, goid, params, program, threads, userframe
from wslgo.gdb.cmds import goroutine
from wslgo.gdb.session import breakpoints, panics
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

#: The setting lives with the frame search (:mod:`wslgo.gdb.userframe`).
SELECT_USER_FRAME = userframe.SELECT_USER_FRAME

ContextPrinter = Callable[[str], None]

#: From this many goroutines on, a fatal stop warns that the crash dump prints each one.
MANY_GOROUTINES = 300


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


def _user_frame() -> tuple[_native.GoroutineDict, _native.FrameDict] | None:
    """The current goroutine and its first user frame (the engine's choice), or None."""
    try:
        g = program.current_goroutine()
    except (gdb.error, _native.WslgoError, OSError):
        return None
    f = userframe.user_frame(g["goid"]) if g is not None else None
    return None if g is None or f is None else (g, f)


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
        lost = panics.PANICS.lost
        if lost is not None and any(isinstance(b, breakpoints.ExitBreakpoint) for b in bps):
            gid, lines = lost
            return "lost", (
                f"lost panic (stopped at {gofacts.EXIT}), goroutine {gid}\n"
                + "\n\t".join(map(esc, lines))
                + f"\nwslgo: the program exits while goroutine {gid} runs the panic's "
                "defers (main returned first): the exit ends it before the runtime prints "
                f"it; `wslgo-goroutine {gid} bt` shows where it panicked"
            )
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
    goid.refresh()  # before the breakpoint's commands run, `silent` ones too
    if isinstance(event, gdb.BreakpointEvent) and _silent(list(event.breakpoints)):
        return  # the user asked for quiet: compute nothing more
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
        caller = caller_frame() if SELECT_USER_FRAME.value else None
        if caller is not None:
            caller.select()
    if what == "lost":
        gdb.write(f"wslgo: {line}\n")
    elif what == "panic":
        head, text = line.split("\n", 1)
        gdb.write(f"wslgo: {head}, {goroutine_label('no goroutine running')}\n{text}\n")
        _say_user_location(True)
        gdb.write(gdb.execute("frame", to_string=True))
    elif what == "go-breakpoint":
        # These breakpoints are silent: this replaces gdb's own stop line.
        gdb.write(f"wslgo: {line}, {goroutine_label()}\n")
        gdb.write(gdb.execute("frame", to_string=True))
    elif level != "off":
        gdb.write(f"wslgo: {line}, {goroutine_label(NO_GOROUTINE)}\n")
        if what == "signal":
            said = panics.current_panic()  # what the runtime printed before it crashed
            if said is not None:
                gdb.write(said + "\n")
            _say_user_location(True)
    elif what == "signal":
        _say_user_location(False)
    if level != "off" and REPORTER.context is not None:
        REPORTER.context(level)
    if what in ("signal", "panic", "lost") and armed.crash_injected:
        _warn_many(len(program.snapshot("current")))  # the stop context's snapshot


#: The label of a stop on a thread that runs no goroutine (the scheduler found a deadlock).
NO_GOROUTINE = "no goroutine (the runtime's scheduler)"


def _say_user_location(say: bool) -> None:
    """Say (``say``) the goroutine's first user frame and select it (``select-user-frame``)."""
    got = _user_frame()
    if got is None:
        return
    g, f = got
    if say:
        gdb.write(f"wslgo: in user code: {esc(f['func'] + ' at ' + f['file'])}:{f['line']}\n")
    prog = program.current_or_none()
    if prog is None or not prog.binary.has_dwarf:  # gdb knows no frame by name there
        return
    if userframe.select(f) or not SELECT_USER_FRAME.value:
        return
    # gdb's frames end on the system stack (a crash runs there, runtime.systemstack saved
    # the goroutine's registers): show it from them, as `wslgo-goroutine N` shows a
    # parked one; not when the thread runs on the goroutine's own stack
    try:
        sp = int(gdb.newest_frame().read_register("sp"))
    except gdb.error:
        return
    if g["stack_lo"] <= sp < g["stack_hi"]:
        return
    try:
        goroutine.select(dataclasses.replace(goroutine.Goroutine.from_record(g), lwp=None))
    except gdb.GdbError:
        return
    if userframe.select(f):
        gdb.write(
            f"wslgo: showing goroutine {g['goid']}'s frames from its saved registers "
            "(`wslgo-goroutine` for the thread's own)\n"
        )


def _warn_many(count: int) -> None:
    """At a fatal stop with GOTRACEBACK=crash injected: a huge dump is coming."""
    if count > MANY_GOROUTINES:
        gdb.write(
            f"wslgo: {count} goroutines: continuing prints every one of them "
            "(GOTRACEBACK=crash); `wslgo-bt all` shows them grouped\n"
        )
