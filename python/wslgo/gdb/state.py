"""Per-session state of the gdb layer: the Go program gdb has loaded, opened once.

Caches are dropped when gdb loads a new objfile (see :mod:`wslgo.gdb.events`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import gdb

from wslgo import _native


@dataclass
class Program:
    """The main executable gdb is debugging, as wslgo sees it."""

    path: str
    binary: _native.Binary
    go_version: str | None
    cache: dict[str, Any] = field(default_factory=dict)


_program: Program | None = None


def reset() -> None:
    """Forget the cached program (new objfile, new inferior)."""
    global _program
    _program = None


def open_program(path: str) -> Program | None:
    """Open ``path``; None if it is not a Go binary. Raises on unreadable files."""
    binary = _native.Binary(path)
    if not binary.is_go:
        return None
    try:
        go_version: str | None = binary.build_info()["go_version"]
    except _native.WslgoError:
        go_version = None
    return Program(path=path, binary=binary, go_version=go_version)


def program() -> Program:
    """The current Go program; raises gdb.GdbError when there is none."""
    global _program
    path = gdb.current_progspace().filename
    if not path:
        raise gdb.GdbError("wslgo: no program loaded (use `file PROGRAM` first)")
    if _program is None or _program.path != path:
        if not os.path.isfile(path):
            raise gdb.GdbError(f"wslgo: {path}: not a file")
        prog = open_program(path)
        if prog is None:
            raise gdb.GdbError(f"wslgo: {path} is not a Go program")
        _program = prog
    return _program
