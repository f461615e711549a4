"""The one module that wires wslgo into gdb: event handlers, the goroutine unwinder and
frame filter, the stop context printer, hookpost-run and the ``wslgo`` command list.

Every handler goes through :func:`guarded`: an error becomes one ``wslgo: ...`` line on
stderr (the Python traceback too with ``set wslgo verbose on``), never an exception in gdb.
"""

from __future__ import annotations

import functools
import os
import traceback
from typing import Any, Callable

import gdb
import gdb.unwinder

from wslgo import _native

# basic, leaks, report, symbolfile, traceback, waits: they register on import
from wslgo.gdb import commands, goframes, goid, params, program
from wslgo.gdb.cmds import basic, bt, compat, goroutine, leaks, report, waits, wsl  # noqa: F401
from wslgo.gdb.printers import expressions, printers, unset, watch
from wslgo.gdb.session import (  # noqa: F401
    breakpoints,
    environment,
    follow,
    panics,
    postrun,
    results,
    stepping,
    stops,
    stripped,
    symbolfile,
)
from wslgo.gdb.session import traceback as go_traceback  # noqa: F401

Handler = Callable[[Any], None]


def guarded(what: str) -> Callable[[Handler], Handler]:
    """Wrap an event handler so that nothing it raises reaches gdb."""

    def deco(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def run(event: Any) -> None:
            try:
                fn(event)
            except Exception as e:
                if params.verbose():
                    gdb.write(traceback.format_exc(), gdb.STDERR)
                msg = " ".join(str(e).split()) or type(e).__name__
                gdb.write(f"wslgo: {what}: {msg}\n", gdb.STDERR)

        return run

    return deco


@guarded("loading the program")
def on_new_objfile(event: gdb.NewObjFileEvent) -> None:
    """The main program: open it (once), say one line, set the environment and the
    post-run hook. A live process: arm the internal breakpoints."""
    path = event.new_objfile.filename
    if path and path == gdb.current_progspace().filename and os.path.isfile(path):
        known = compat.AUTOLOAD.known_before(program.SESSION.program)
        try:
            prog = program.SESSION.load(path)
        except (OSError, _native.WslgoError) as e:  # a corrupt binary must not break `file`
            compat.AUTOLOAD.new_objfile(None)
            gdb.write(f"wslgo: {path}: {' '.join(str(e).split())}\n", gdb.STDERR)
            return
        compat.AUTOLOAD.new_objfile(None if prog is None else prog.binary)
        if prog is not None and prog is not known:
            unset.STATE.forget_program()
            gdb.write(prog.describe() + "\n")
            prog.resolved()
        if prog is not None:
            name_stripped(None)
            environment.ENVIRONMENT.set_crash()
            postrun.install()
            follow.install_hooks()  # before stepping's: its hooks run first
            stepping.install_hooks()
    else:
        compat.AUTOLOAD.new_objfile(None)
    if gdb.selected_inferior().pid != 0:
        breakpoints.ARMED.arm()
        goid.guard_dprintfs()
    compat.sync()  # a runtime-gdb.py gdb auto-loaded (safe-path) after an earlier event


@guarded("reading the pclntab's names into gdb")
def name_stripped(_event: Any = None) -> None:
    """A program without DWARF: gdb's symbol file from its pclntab (frame, finish, list)."""
    stripped.give_names()


@guarded("loading the program")
def on_clear_objfiles(event: Any) -> None:
    """gdb is about to read a new main program (`file`, a core, `attach`): outside startup
    it reads the program's scripts before the new_objfile event, so the Go executable's
    runtime-gdb.py is held back here."""
    path = event.progspace.filename
    if not path or not os.path.isfile(path):
        return
    known = program.SESSION.program
    try:
        prog = program.SESSION.load(path)
    except (OSError, _native.WslgoError):
        return  # on_new_objfile says why
    compat.AUTOLOAD.before_program(None if prog is None else prog.binary, known)


@guarded("stop handler")
def on_stop(event: gdb.StopEvent) -> None:
    unset.STATE.forget()
    stepping.STEPPER.note(event)
    follow.FOLLOW.note(event)
    if stepping.STEPPER.active:
        goid.refresh()  # the step decides what to say
    else:
        stops.report(event)
        results.note_mi_stop()


@guarded("breakpoint condition")
def on_breakpoint(bp: gdb.Breakpoint) -> None:
    """A condition that spells ``$goid`` is evaluated through ``$_goid()``; Go index,
    slice and len/cap expressions in it through ``$index`` / ``$slice`` / ``$len``."""
    goid.rewrite_condition(bp)
    expressions.rewrite_condition(bp)


@guarded("prompt")
def on_prompt(event: object) -> None:
    """The Go executable's scripts were skipped: auto-loading is the user's again. gdb may
    have auto-loaded runtime-gdb.py since the last sync (safe-path): wslgo's come first."""
    compat.AUTOLOAD.settle()
    compat.sync()


def on_before_prompt() -> None:  # gdb passes no event
    on_prompt(None)


@guarded("resuming")
def on_cont(event: object) -> None:
    """Saved registers go stale when the program resumes: drop the goroutine selection
    and the goroutine snapshot of the stop."""
    goroutine.resumed()
    unset.STATE.forget()
    results.STATE.last.clear()
    stripped.forget()
    program.SESSION.forget_snapshot()
    compat.AUTOLOAD.resumed()  # past startup: later objfiles' scripts load as usual
    if not stepping.STEPPER.active:
        goid.guard_dprintfs()  # a dprintf made at this stop prints without one


@guarded("memory change")
def on_memory_changed(event: object) -> None:
    """The user wrote to the program's memory: the goroutine snapshot may be stale."""
    program.SESSION.forget_snapshot()


@guarded("process exit")
def on_exited(event: gdb.ExitedEvent) -> None:
    """A panic the exit lost is said; the breakpoints, the selection and the memory target
    belong to the dead process."""
    panics.PANICS.exited(getattr(event, "exit_code", None))
    breakpoints.ARMED.disarm()
    panics.PANICS.forget()
    goroutine.resumed()
    unset.STATE.forget()
    program.SESSION.forget_targets()
    goid.forget()


class Wiring:
    """What :func:`setup` connected (so that it happens once)."""

    def __init__(self) -> None:
        self.connected: list[tuple[Any, Callable[..., None]]] = []
        self.function: gdb.Function | None = None
        self.mi_command: object = None

    def connect(self, registry: Any, handler: Callable[..., None]) -> None:
        registry.connect(handler)
        self.connected.append((registry, handler))

    def disconnect(self) -> None:
        while self.connected:
            registry, handler = self.connected.pop()
            registry.disconnect(handler)


WIRING = Wiring()


def setup() -> None:
    """Wire everything into gdb (idempotent: sourcing the loader twice is harmless)."""
    if WIRING.connected:
        return
    gdb.unwinder.register_unwinder(None, goframes.GoroutineUnwinder(), replace=True)
    gdb.frame_filters["wslgo-goroutine"] = goframes.GoroutineFrameFilter()
    gdb.unwinder.register_unwinder(None, stripped.StrippedUnwinder(), replace=True)
    gdb.frame_filters["wslgo-stripped"] = stripped.StrippedFrameFilter()
    stops.set_context_printer(bt.print_stop_context)
    breakpoints.ARMED.go_hit = stops.go_breakpoint_hit
    breakpoints.ARMED.panic_hit = panics.PANICS.should_stop
    WIRING.connect(gdb.events.clear_objfiles, on_clear_objfiles)
    breakpoints.ARMED.fatal_seen = panics.PANICS.note_fatal
    breakpoints.ARMED.exit_hit = panics.PANICS.at_exit
    WIRING.connect(gdb.events.new_objfile, on_new_objfile)
    WIRING.connect(gdb.events.stop, on_stop)
    WIRING.connect(gdb.events.cont, on_cont)
    WIRING.connect(gdb.events.exited, on_exited)
    WIRING.connect(gdb.events.before_prompt, on_before_prompt)
    WIRING.connect(gdb.events.breakpoint_created, on_breakpoint)
    WIRING.connect(gdb.events.breakpoint_modified, on_breakpoint)
    WIRING.function = goid.GoidFunction()
    if hasattr(gdb, "MICommand"):  # gdb 13+
        WIRING.mi_command = results.MiReturnValues()
    WIRING.connect(gdb.events.memory_changed, on_memory_changed)
    postrun.install()
    # also when the program was loaded before wslgo (`gdb -ex 'source wslgo.py' PROG`)
    follow.install_hooks()
    stepping.install_hooks()
    wsl.register()
    printers.register()
    expressions.register()
    watch.register()
    name_stripped(None)  # a program loaded before wslgo
    postrun.install_hook(compat.SOURCE_HOOK, compat.SYNC_COMMAND)
    compat.sync()
    commands.register_prefix()
