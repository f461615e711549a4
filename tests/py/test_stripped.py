"""A `-s -w` program in real gdb: `wslgo-break FUNC` resolves the function in the pclntab
and sets the breakpoint by address (gdb alone says "Function not defined" and sets nothing),
and the program stops there."""

from __future__ import annotations

import re

from conftest import build
from wslgo import _native


def test_break_on_a_function_of_a_stripped_program(gdb_run, go_version: str) -> None:
    binary = build("index", go_version, "stripped")  # main.visit is not inlined
    ((name, entry, _),) = _native.Symbols(str(binary)).lookup("main.visit")
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "wslgo-break main.visit",
            "info breakpoints",
            "run",
            "continue",
            "kill",
        ],
        binary=binary,
    )
    out = r.stdout
    assert name == "main.visit"
    assert f"Breakpoint 1 at {entry:#x}" in out, r.output
    assert re.search(rf"Breakpoint 1, {entry:#018x} in \?\? \(\)", out), r.output
