"""A `-s -w` program in real gdb: `wslgo-break FUNC` resolves the function in the pclntab
and sets the breakpoint by address (gdb alone says "Function not defined" and sets nothing),
and the program stops there; gdb's own `bt`, `frame` and `finish` name functions, files and
lines as on the unstripped build."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
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
    # gdb knows the function from wslgo's symbol file (pclntab names and lines)
    m = re.search(r"Breakpoint 1 at (0x[0-9a-f]+): file (\S+), line (\d+)\.", out)
    assert m and entry <= int(m[1], 16) < entry + 64 and m[2].endswith("main.go"), r.output
    assert re.search(r"Breakpoint 1, main\.visit \(\) at \S+/main\.go:\d+", out), r.output


BT_LINE = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*?\) at (\S+):(\d+)$", re.M)


def _bt(gdb_run, binary) -> list[tuple[str, str, str]]:
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "wslgo-break main.visit",
            "run",  # the fixture's runtime.Breakpoint() first
            "continue",
            "echo @@bt\\n",
            "bt",
            "echo @@end\\n",
            "kill",
        ],
        binary=binary,
    )
    assert "Traceback" not in r.output and "Python Exception" not in r.output, r.output
    text = r.stdout.split("@@bt")[1].split("@@end")[0]
    return [(m[2], m[3].rsplit("/", 1)[-1], m[4]) for m in BT_LINE.finditer(text)]


def test_gdb_bt_of_a_stripped_program_matches_the_unstripped_one(gdb_run, go_version: str) -> None:
    """The same code with and without `-s -w` (the opt and stripped builds differ only in
    link flags): gdb's own `bt` names the same functions, files and lines frame for frame,
    from the pclntab (unwound by it, named by a frame filter) where gdb has no DWARF."""
    unstripped = _bt(gdb_run, build("index", go_version, "opt"))
    stripped = _bt(gdb_run, build("index", go_version, "stripped"))
    assert unstripped[:2] == [
        ("main.visit", "main.go", unstripped[0][2]),
        ("main.main", "main.go", unstripped[1][2]),
    ], unstripped
    assert stripped == unstripped, (stripped, unstripped)


FRAME_LINE = re.compile(r"^#0\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*?\) at (\S+):(\d+)$", re.M)


def _frame(gdb_run, binary) -> list[tuple[str, str, str]]:
    """gdb's `frame` at main.visit, `up` to main.main, `frame` there."""
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "wslgo-break main.visit",
            "run",  # the fixture's runtime.Breakpoint() first
            "continue",
            "echo @@frame\\n",
            "frame",
            "up",
            "frame",
            "echo @@end\\n",
            "kill",
        ],
        binary=binary,
    )
    assert "Traceback" not in r.output and "Python Exception" not in r.output, r.output
    text = r.stdout.split("@@frame")[1].split("@@end")[0]
    text = text.replace("#1  ", "#0  ")  # `up` and `frame` print the caller as #1
    return [(m[1], m[2].rsplit("/", 1)[-1], m[3]) for m in FRAME_LINE.finditer(text)]


def test_gdb_frame_of_a_stripped_program_matches_the_unstripped_one(
    gdb_run, go_version: str
) -> None:
    """gdb's own `frame` (which no frame filter reaches) names the function, file and line
    of a `-s -w` build as of the unstripped one: gdb reads a symbol file wslgo writes from
    the pclntab."""
    unstripped = _frame(gdb_run, build("index", go_version, "opt"))
    stripped = _frame(gdb_run, build("index", go_version, "stripped"))
    assert [f[0] for f in unstripped] == ["main.visit", "main.main", "main.main"], unstripped
    assert stripped == unstripped, (stripped, unstripped)


FINISH_FROM = re.compile(r"^Run till exit from #0\s+(\S+) \(.*?\) at (\S+):(\d+)$", re.M)
CALLER_LINE = re.compile(r"^(?:#0\s+)?(?:0x[0-9a-f]+ in )?(\S+) \(.*?\) at (\S+):(\d+)$", re.M)


def _finish(gdb_run, binary) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """gdb's own `finish` from main.visit, as typed at a prompt (`from_tty`, so gdb says
    "Run till exit from"): the function it leaves, the frame it stops in, and `bt` there.
    A user pauses at the prompt longer than Go's 10 ms preemption slice, after which the
    scheduler may resume the goroutine on another thread, where gdb's thread-bound return
    breakpoint never fires (stripped or not): ``follow-goroutine on`` follows it there."""
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "set wslgo follow-goroutine on",
            "wslgo-break main.visit",
            "run",  # the fixture's runtime.Breakpoint() first
            "continue",
            "shell sleep 0.3",
            "echo @@finish\\n",
            "python gdb.execute('finish', from_tty=True)",
            "echo @@bt\\n",
            "bt",
            "echo @@end\\n",
            "kill",
        ],
        binary=binary,
    )
    assert "Traceback" not in r.output and "Python Exception" not in r.output, r.output
    fin = r.stdout.split("@@finish")[1].split("@@bt")[0]
    bt = r.stdout.split("@@bt")[1].split("@@end")[0]

    def short(m: re.Match[str]) -> tuple[str, str, str]:
        return (m[1], m[2].rsplit("/", 1)[-1], m[3])

    left = [short(m) for m in FINISH_FROM.finditer(fin)]
    rest = fin[fin.index("Run till exit") :].split("\n", 1)[1] if left else fin
    stopped = [short(m) for m in CALLER_LINE.finditer(rest)]
    frames = [(m[2], m[3].rsplit("/", 1)[-1], m[4]) for m in BT_LINE.finditer(bt)]
    return left + stopped[:1], frames


@pytest.mark.parametrize("strip", ["-s -w", "objcopy"])
def test_gdb_finish_of_a_stripped_program_matches_the_unstripped_one(
    gdb_run, go_version: str, strip: str, tmp_path: Path
) -> None:
    """gdb's own `finish` from main.visit of a `-s -w` build (or of the unstripped build
    put through `objcopy --strip-all`) returns to main.main and names it, its file and line
    as the unstripped build's `finish` does; `bt` there matches too."""
    opt = build("index", go_version, "opt")
    if strip == "objcopy":
        binary = tmp_path / "index-objcopy"
        subprocess.run(["objcopy", "--strip-all", str(opt), str(binary)], check=True)
    else:
        binary = build("index", go_version, "stripped")
    unstripped, unstripped_bt = _finish(gdb_run, opt)
    stripped, stripped_bt = _finish(gdb_run, binary)
    assert [(f[0], f[1]) for f in unstripped] == [
        ("main.visit", "main.go"),
        ("main.main", "main.go"),
    ], unstripped
    assert stripped == unstripped, (stripped, unstripped)
    assert unstripped_bt[0][0] == "main.main", unstripped_bt
    assert stripped_bt == unstripped_bt, (stripped_bt, unstripped_bt)
