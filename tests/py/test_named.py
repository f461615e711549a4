"""Values printed with the program's names (tests/go/named), against what the program says
itself: func values name the function they call (runtime.FuncForPC) and where it is; a value
of a named integer type prints its constant; time.Time in the Local location prints as
String() does, monotonic reading included; a chan shows its address, len/cap, closed, and how
many goroutines wait to send and to receive; `print/x` and `print/d` format a map's and a
chan's elements."""

from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import build

SETUP = ["set print elements unlimited", "set width 0", "set height 0"]
NAMES = ["fnSquare", "fnMethod", "fnClosure", "fnNil", "color", "colorOdd", "tmLocal"]
CHANS = ["chSend", "chRecv", "chMixed", "chClose"]


def _printed(out: str) -> dict[str, str]:
    return {m[1]: m[2] for m in re.finditer(r"^@@(\w+)\n(?:\$\d+ = )?(.*)$", out, re.M)}


def _run(gdb_run, go_version: str, tmp_path: Path, extra: list[str]) -> tuple[str, dict]:
    binary = build("named", go_version)
    oracle = tmp_path / "oracle.txt"
    cmds = [*SETUP, "run", "frame 1"]
    for n in NAMES + CHANS:
        cmds += [f"echo @@{n}\\n", f"print 'main.{n}'"]
    r = gdb_run([*cmds, *extra, "kill"], binary=binary, env={"WSLGO_NAMED_ORACLE": str(oracle)})
    assert "Traceback" not in r.output, r.output
    lines = [x.split("\t") for x in oracle.read_text().splitlines()]
    return r.stdout, {x[0]: x[1:] for x in lines}


def test_funcs_constants_and_local_time(gdb_run, go_version: str, tmp_path: Path) -> None:
    out, want = _run(gdb_run, go_version, tmp_path, [])
    got = _printed(out)
    for name in ("fnSquare", "fnMethod", "fnClosure"):
        func, where = want[name]
        file, _, line = where.rpartition(":")
        loc = f" ({os.path.basename(file)}:{line})"
        assert got[name].endswith(f" {func}{loc}"), (name, got[name], want[name])
    assert got["fnSquare"].startswith("func(int) int "), got["fnSquare"]
    assert got["fnNil"] == "func() nil", got["fnNil"]
    assert got["color"] == f"{want['color'][0]} ({want['color'][1]})", got["color"]
    assert got["colorOdd"] == want["colorOdd"][0], got["colorOdd"]  # no constant has 7
    assert got["tmLocal"] == want["tmLocal"][0], got["tmLocal"]
    assert " m=+" in got["tmLocal"], got["tmLocal"]


def test_chans_show_len_cap_closed_and_waiters(gdb_run, go_version: str, tmp_path: Path) -> None:
    out, want = _run(gdb_run, go_version, tmp_path, ["echo @@chX\\n", "print/x 'main.chMixed'"])
    got = _printed(out)
    for name in ("chSend", "chRecv", "chMixed"):
        n, cap, send, recv = want[name]
        head = rf"0x[0-9a-f]+ \(len {n}, cap {cap}; waiting: {send} to send, {recv} to receive\)"
        assert re.match(head + r" chan \w+", got[name]), (name, got[name], want[name])
    assert got["chMixed"].endswith("chan int = {4, 5}"), got["chMixed"]
    assert re.match(r"0x[0-9a-f]+ \(closed, len 1, cap 1;", got["chClose"]), got["chClose"]
    assert got["chClose"].endswith("chan bool = {true}"), got["chClose"]
    assert got["chX"].endswith("chan int = {0x4, 0x5}"), got["chX"]
