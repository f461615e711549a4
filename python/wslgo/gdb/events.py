"""gdb event handlers, connected and disconnected in one place."""

from __future__ import annotations

import os
from typing import Any, Callable

import gdb

from wslgo.gdb import state
from wslgo.text import esc

_connected: list[tuple[Any, Callable[..., None]]] = []


def describe(prog: state.Program) -> str:
    """The one line wslgo prints when gdb loads a Go program."""
    b = prog.binary
    ver = esc(prog.go_version or "unknown Go version")  # from the binary: no raw controls
    if b.has_dwarf:
        dwarf = "DWARF present" + (" (compressed)" if b.dwarf_compressed else "")
    else:
        dwarf = "no DWARF (-ldflags=-w): goroutines and stacks still work from the pclntab"
    return f"wslgo: {os.path.basename(prog.path)}: Go program, {ver}, {dwarf}; try `wslgo-bt`"


def on_new_objfile(event: gdb.NewObjFileEvent) -> None:
    """Say one line when the main program is a Go binary."""
    objfile = event.new_objfile
    path = objfile.filename
    if not path or path != gdb.current_progspace().filename or not os.path.isfile(path):
        return
    state.reset()
    try:
        prog = state.open_program(path)
    except Exception as e:  # a corrupt binary must not break `file`
        gdb.write(f"wslgo: {path}: {' '.join(str(e).split())}\n", gdb.STDERR)
        return
    if prog is not None:
        gdb.write(describe(prog) + "\n")


def _connect(registry: Any, handler: Callable[..., None]) -> None:
    registry.connect(handler)
    _connected.append((registry, handler))


def connect() -> None:
    """Connect every handler (idempotent)."""
    if _connected:
        return
    _connect(gdb.events.new_objfile, on_new_objfile)
    # gdbhooks: arm Go breakpoints, print stop context, drop goroutine selections.
    from wslgo.gdb import goroutine, hooks

    _connect(gdb.events.new_objfile, hooks.on_new_objfile)
    _connect(gdb.events.stop, hooks.on_stop)
    _connect(gdb.events.exited, hooks.on_exited)
    _connect(gdb.events.cont, goroutine.on_cont)
    _connect(gdb.events.exited, goroutine.on_exited)


def disconnect() -> None:
    """Disconnect every handler connected by :func:`connect`."""
    while _connected:
        registry, handler = _connected.pop()
        registry.disconnect(handler)
