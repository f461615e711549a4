"""``wslgo-goroutine N [COMMAND]`` on a live process and on a core file, against the Go
runtime's own view: runtime-gdb.py's `goroutine N bt` on the live process, the
GOTRACEBACK=crash dump for the core (where runtime-gdb.py fails, golang/go#17575)."""

from __future__ import annotations

import re
from pathlib import Path

import gofixtures
import pytest
from conftest import build
from wslgo_testing import gdb as gdb_support
from wslgo_testing.cores import make_core
from wslgo_testing.gdb import bt_functions, marked, section
from wslgo_testing.sources import goids
from wslgo_testing.traceback import goroutine_functions


def runtime_gdb_py(go_version: str) -> Path:
    return gdb_support.runtime_gdb_py(gofixtures.go_binary(gofixtures.full_version(go_version)))


def goroutine_cmd(index: int, command: str = "") -> str:
    """`wslgo-goroutine <main.ids[index]> COMMAND` (the fixture stores goroutine ids there)."""
    return f"eval \"wslgo-goroutine %d {command}\", 'main.ids'[{index}]"


#: How the engine reads memory: directly (/proc/PID/mem, the core file) or through gdb's
#: own reads (a `_native.Callback`, what remote targets use); each prints the target's class.
SOURCES = {
    "direct": "set wslgo memory auto",
    "gdb": "set wslgo memory gdb",
}
SHOW_SOURCE = (
    "python from wslgo.gdb import program; print('SOURCE', type(program.target()[0]).__name__)"
)


def check_source(out: str, source: str) -> None:
    if source == "gdb":
        assert "SOURCE Callback" in out, out
    else:
        assert re.search(r"^SOURCE (Process|Core)$", out, re.M), out


@pytest.mark.parametrize("source", list(SOURCES))
def test_live_goroutine_bt_locals_up_down(gdb_run, go_version: str, source: str) -> None:
    binary = build("hkbreak", go_version)
    r = gdb_run(
        [
            "set wslgo select-user-frame off",  # frame #0 is the thread's own reference
            "run",
            SOURCES[source],
            SHOW_SOURCE,
            "set wslgo compat off",  # runtime-gdb.py's `goroutine` is the oracle
            f"source {runtime_gdb_py(go_version)}",
            *marked("REF", "eval \"goroutine %d bt\", 'main.ids'[1]"),
            *marked("BT", goroutine_cmd(1, "bt")),
            *marked("AFTER", "frame"),
            *marked("LOCALS", goroutine_cmd(2), "frame function main.hold", "info locals"),
            *marked("UP", "up"),
            *marked("DOWN", "down"),
            *marked("ALL", "thread apply all bt 1"),
            *marked("BACK", "wslgo-goroutine"),
            *marked("SPIN", goroutine_cmd(3, "info locals"), "wslgo-goroutine 'main.ids'[3] bt 2"),
            goroutine_cmd(1),
            *marked("CONT", "continue", "bt 1"),
            "kill",
        ],
        binary=binary,
    )
    out = r.stdout
    check_source(out, source)
    ids = goids(r.output, "hkbreak")
    ref = bt_functions(section(out, "REF"))
    mine = bt_functions(section(out, "BT"))
    # runtime-gdb.py (register writes, live only) is the oracle for the frames; gdb's own
    # bt ends its listing with the null frame past goexit, which wslgo hides
    assert "main.hold" in ref and ref[-1] == "??", out
    ref = ref[:-1]
    assert mine == ref, (mine, ref)
    assert re.search(r"^#\d+ .*main\.hold \(id=1,", section(out, "BT"), re.M)
    # one-shot: no selection message
    assert f"[goroutine {ids['hold1']}: waiting" not in section(out, "BT")
    # the one-shot form restored the thread's own frame
    assert re.match(r"#0\s+runtime\.breakpoint ", section(out, "AFTER"))
    locals_ = section(out, "LOCALS")
    assert f"[goroutine {ids['hold2']}: waiting" in locals_, locals_
    assert "secret = 4002" in locals_, locals_
    assert "main.hold" not in section(out, "UP")
    assert "main.hold (id=2," in section(out, "DOWN")
    # only the selected thread's frame #0 is replaced; the others keep theirs
    every = section(out, "ALL")
    assert re.search(r"^#1 .* in runtime\.gopark ", every, re.M), every
    assert re.search(r"^#0 ", every, re.M), every
    assert re.search(r"#0\s+runtime\.breakpoint ", section(out, "BACK"))
    # a running goroutine is shown through its own thread
    spin = section(out, "SPIN")
    assert re.search(r"^spins = \d+$", spin, re.M), spin
    assert "main.spin" in spin, spin
    # resuming drops the selection: the next stop shows the thread's own stack
    cont = section(out, "CONT")
    assert re.search(r"^#0\s+runtime\.breakpoint ", cont, re.M), cont
    assert "gopark" not in cont, cont


@pytest.mark.parametrize("source", list(SOURCES))
def test_core_goroutine_bt_and_locals(
    gdb_run, go_version: str, tmp_path: Path, source: str
) -> None:
    binary = build("hkcrash", go_version)
    core, crash = make_core(binary, tmp_path)
    ids = goids(crash, "hkcrash")
    expected = goroutine_functions(crash, ids["hold1"])
    assert "main.hold" in expected and expected[0] == "runtime.gopark", crash
    r = gdb_run(
        [
            f"file {binary}",
            f"core-file {core}",
            SOURCES[source],
            SHOW_SOURCE,
            "set wslgo compat off",  # runtime-gdb.py's `goroutine` is the oracle
            f"source {runtime_gdb_py(go_version)}",
            *marked("REF", f"goroutine {ids['hold1']} bt"),
            *marked("BT", f"wslgo-goroutine {ids['hold1']} bt"),
            *marked(
                "LOCALS",
                f"wslgo-goroutine {ids['hold1']}",
                "frame function main.hold",
                "info locals",
                "up",
                "down",
            ),
            *marked("BACK", "wslgo-goroutine", "bt 1"),
        ]
    )
    out, err = r.stdout, r.stderr
    check_source(out, source)
    # the reference script cannot do it on a core ...
    assert "You can't do that without a process to debug." in err, r.output
    assert not bt_functions(section(out, "REF"))
    # ... wslgo shows the same frames the runtime printed when it crashed
    mine = bt_functions(section(out, "BT"))
    assert mine == expected, (mine, expected)
    locals_ = section(out, "LOCALS")
    assert "secret = 4001" in locals_, locals_
    # `up` left main.hold, `down` came back to it
    up_down = (
        r"^#(\d+) .* in main\.hold \(id=1,(?:.*\n)+"
        r"#\d+ .* in (?!main\.hold)(?:.*\n)+"
        r"#\1 .* in main\.hold \(id=1,"
    )
    assert re.search(up_down, locals_, re.M), locals_
    back = section(out, "BACK")
    assert re.search(r"#0\s+(?:0x[0-9a-f]+ in )?runtime\.raise ", back), back


def test_core_without_dwarf(gdb_run, go_version: str, tmp_path: Path) -> None:
    """-ldflags=-w: no DWARF types, no CFI; the engine's records and pcsp unwinding."""
    binary = build("hkcrash", go_version, "nodwarf")
    core, crash = make_core(binary, tmp_path)
    ids = goids(crash, "hkcrash")
    expected = goroutine_functions(crash, ids["hold2"])
    r = gdb_run(
        [
            f"file {binary}",
            f"core-file {core}",
            *marked("BT", f"wslgo-goroutine {ids['hold2']} bt"),
            *marked("ALL", "goroutine all bt"),
        ]
    )
    bt = section(r.stdout, "BT")
    # gdb names static functions of .symtab runtime[gopark], assembly ones with .abi0
    names = [re.sub(r"\[(.*)\]$", r".\1", n).removesuffix(".abi0") for n in bt_functions(bt)]
    assert names == expected, (names, expected, r.output)
    # `goroutine all bt`: the same frames, from gdb's own (trimmed) backtrace
    every = section(r.stdout, "ALL")
    block = every.split(f"goroutine {ids['hold2']} [waiting]:\n", 1)[1].split("goroutine ")[0]
    assert bt_functions(block) == bt_functions(bt), (block, bt)
