"""The bottom of the gdb layer (wslgo.gdb.program): one native Binary per program, the
settings listing, the core file gdb has open, and unwinding that stops cleanly."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import gofixtures
from conftest import build
from wslgo import _native
from wslgo_testing.cores import make_core
from wslgo_testing.sources import goids

OPENED = "python from wslgo import _native; print('OPENED', _native.binaries_opened())"


def opened(out: str) -> list[int]:
    return [int(n) for n in re.findall(r"^OPENED (\d+)$", out, re.M)]


def test_one_binary_per_program_across_a_session(gdb_run, go_version: str) -> None:
    binary = build("hkbreak", go_version)
    r = gdb_run(
        [
            OPENED,
            "run",  # stops at runtime.Breakpoint(): the stop line and the stop context
            "wslgo-info",
            "wslgo-bt",
            "wslgo-bt -l",
            "eval \"wslgo-goroutine %d bt\", 'main.ids'[1]",
            "wslgo-goroutine 1",
            "continue",  # the second runtime.Breakpoint() stop
            OPENED,
            "kill",
        ],
        binary=binary,
    )
    out = r.stdout
    assert "wslgo: Go breakpoint: runtime.Breakpoint()" in out, r.output
    assert "main.hold" in out and "build-id" in out, r.output
    assert opened(out) == [1, 1], r.output


#: Values read through the native value reader: a map walk, a chan queue, a dynamic type
#: named from the DWARF (inner.Err lives at a longer import path) and $len of a map.
PRINTS = [
    "print 'main.mapSmall'",
    "print 'main.chBuf'",
    "print 'main.errInner'",
    "print $len('main.map10k')",
]


def test_printing_values_opens_nothing_again(gdb_run, go_version: str) -> None:
    """The value printers read through the program's one Symbols, and their reader goes with
    the process: a second run prints the same values, still with one Binary opened."""
    binary = build("values", go_version)
    r = gdb_run(
        [OPENED, "run", *PRINTS, OPENED, "kill", "run", *PRINTS, OPENED, "kill"],
        binary=binary,
    )
    out = r.stdout
    assert out.count("chan int = {2, 3, 4, 5, 6}") == 2, r.output
    assert out.count("*inner.Err {Code = 7}") == 2, r.output
    assert len(re.findall(r"^\$\d+ = 10000$", out, re.M)) == 2, r.output
    assert len(re.findall(r"^\$\d+ = map\[string\]int = \{", out, re.M)) == 2, r.output
    assert opened(out) == [1, 1, 1], r.output


def test_show_wslgo_lists_every_setting(gdb_run) -> None:
    r = gdb_run(["show wslgo", "set wslgo stop-context full", "echo AFTER\\n", "show wslgo"])
    before, _, after = r.stdout.partition("AFTER\n")
    settings = dict(re.findall(r"^wslgo (\S+) is (\S+)\.$", before, re.M))
    assert settings == {
        "break-on-panic": "off",
        "compat": "on",
        "crash-traceback": "on",
        "follow-goroutine": "off",
        "go-breakpoint": "stop",
        "go-expressions": "on",
        "memory": "auto",
        "select-user-frame": "on",
        "stop-context": "brief",
        "verbose": "off",
    }, r.output
    assert "wslgo stop-context is full." in after, r.output
    # every setting `show wslgo` lists is one `help set wslgo` documents
    helped = gdb_run(["help set wslgo"]).stdout
    for name in settings:
        assert f"set wslgo {name}" in helped, helped


def test_core_path_with_an_apostrophe(gdb_run, go_version: str, tmp_path: Path) -> None:
    """`info target` says `DIR/it's.core', file type ...: the core is DIR/it's.core, not
    DIR/it (a file that exists too)."""
    binary = build("hkcrash", go_version)
    (tmp_path / "run").mkdir()
    core, crash = make_core(binary, tmp_path / "run")
    ids = goids(crash, "hkcrash")
    odd = tmp_path / "it's.core"
    shutil.move(core, odd)
    (tmp_path / "it").write_bytes(b"not the core gdb has open\n")
    r = gdb_run([f"core-file {odd}", "wslgo-bt -l"], binary=binary)
    out = r.stdout
    for goid in (ids["hold1"], ids["hold2"]):
        assert re.search(rf"^\s*{goid}\s.*main\.hold", out, re.M), r.output
    assert "Python Exception" not in r.output and "wslgo-bt:" not in r.stderr, r.output


#: SIGKILL the inferior behind gdb's back and wait until the kernel has made it a zombie.
KILL = (
    "python import os, signal, time; pid = gdb.selected_inferior().pid; "
    "os.kill(pid, signal.SIGKILL); "
    "[time.sleep(0.01) for _ in range(500) "
    "if open(f'/proc/{pid}/stat').read().split(') ')[1][0] != 'Z']"
)


def test_unwinding_a_dead_process_stops_once(gdb_run, go_version: str) -> None:
    """The process dies while a goroutine is selected: `bt` says why once, no raw
    `Python Exception <class 'gdb.MemoryError'>` line."""
    binary = build("hkbreak", go_version)
    r = gdb_run(
        [
            "run",
            "eval \"wslgo-goroutine %d\", 'main.ids'[1]",
            KILL,
            "echo BT\\n",
            "bt",
            "bt",
            "wslgo-goroutine",
        ],
        binary=binary,
    )
    out = r.output
    assert "BT" in r.stdout, out
    assert "Python Exception" not in out, out
    assert out.count("wslgo-goroutine: stopped unwinding goroutine") == 1, out


def test_foreign_architecture_says_why_once(gdb_run, go_version: str, tmp_path: Path) -> None:
    """A 386 program: the goroutine unwinder knows amd64 and arm64 registers only; it says
    so in one line, and `bt` stays gdb's own (no raw `Python Exception`)."""
    go = gofixtures.go_binary(gofixtures.full_version(go_version))
    env = {**gofixtures.go_env(go), "GOARCH": "386"}
    binary = tmp_path / "hkbreak-386"
    subprocess.run(
        [str(go), "build", "-buildvcs=false", "-gcflags=all=-N -l", "-o", str(binary), "."],
        cwd=gofixtures.GO_DIR / "hkbreak",
        env=env,
        check=True,
        capture_output=True,
    )
    r = gdb_run(
        ["run", "eval \"wslgo-goroutine %d bt\", 'main.ids'[1]", "echo BT\\n", "bt 3", "kill"],
        binary=binary,
    )
    out = r.output
    assert "BT" in r.stdout, out
    assert "Python Exception" not in out, out
    assert out.count("wslgo cannot unwind goroutines on i386") == 1, out


def test_targets_share_an_open_symbols(go_version: str, tmp_path: Path) -> None:
    """A Core built from an open Symbols opens no second Binary and sees what a Core
    opened by path sees; goroutine(goid) and current_goroutine(tid) pick one record."""
    binary = build("hkcrash", go_version)
    core, crash = make_core(binary, tmp_path)
    ids = goids(crash, "hkcrash")
    before = _native.binaries_opened()
    syms = _native.Symbols(str(binary))
    by_handle = _native.Core(syms, str(core))
    assert _native.binaries_opened() - before == 1
    by_path = _native.Core(str(binary), str(core))
    assert _native.binaries_opened() - before == 2
    want = sorted(g["goid"] for g in by_path.goroutines(max_depth=0))
    assert sorted(g["goid"] for g in by_handle.goroutines(max_depth=0)) == want
    hold = by_handle.goroutine(ids["hold1"])
    assert hold["goid"] == ids["hold1"] and hold["frames"] == []
    deep = by_handle.goroutine(ids["hold1"], max_depth=64)
    assert "main.hold" in [f["func"] for f in deep["frames"]], deep
    unwound = by_handle.unwind(goid=ids["hold1"])
    assert [f["func"] for f in unwound["frames"]] == [f["func"] for f in deep["frames"]]
    assert len(unwound["frame_sp"]) == len(unwound["frames"])
    try:
        by_handle.goroutine(max(want) + 1000)
        raise AssertionError("a missing goroutine was found")
    except _native.NotFoundError as e:
        assert f"no goroutine {max(want) + 1000}" in str(e)
    crashed = by_handle.threads()[0]["tid"]
    cur = by_handle.current_goroutine(crashed)
    assert cur is not None and cur["current"] and cur["goid"] == ids["crasher"], cur
    assert by_handle.current_goroutine(-1) is None
