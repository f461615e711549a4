"""The goroutine engine against the runtime's own dumps.

Oracles, all printed by the Go runtime itself:
- live: the grstates fixture stops at runtime.Breakpoint under gdb; we read it through
  /proc/PID/mem, then gdb delivers the SIGTRAP and the runtime dies printing every goroutine
  (GOTRACEBACK=system: runtime frames and system goroutines included);
- live, second opinion: runtime.Stack(buf, true) written just before the breakpoint. It
  forces traceback level 1 (runtime frames and system goroutines hidden), so we compare
  after the same filtering (runtime.showfuncinfo);
- core: the GOTRACEBACK=crash dump on stderr next to the core it leaves.
For every parked goroutine we must report the same id, the same state (wait reason) and
the same frames (function, file:line), plus the same `created by` line.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, build
from wslgo import _native
from wslgo_testing import pyviews
from wslgo_testing.cores import check_symbols_option, crash_core, strip_copy
from wslgo_testing.gdb import GDB_BATCH, site_dirs
from wslgo_testing.traceback import (
    Dumped,
    base_state,
    compare,
    ours_frames,
    parse_dump,
)
from wslgo_testing.versions import newest

MODES = ["debug", "opt", "nodwarf", "pie", "stripped"]


# ---- running the fixture under gdb -----------------------------------------------------

GDB_SCRIPT = r"""
import json, site, sys
site.addsitedir({site!r})
sys.path.insert(0, {pkg!r})
import gdb
from wslgo import _native
inf = gdb.selected_inferior()
sel = gdb.selected_thread()
threads = []
for t in inf.threads():
    t.switch()
    f = gdb.newest_frame()
    threads.append(dict(tid=t.ptid[1], pc=int(f.pc()),
                        sp=int(gdb.parse_and_eval("$sp")), bp=int(gdb.parse_and_eval("$rbp"))))
sel.switch()
p = _native.Process({binary!r}, inf.pid)
gs = p.goroutines(threads=threads, current_tid=sel.ptid[1])
# The same through gdb's own memory reads (what remote targets use).
cb = _native.Callback({binary!r}, lambda a, n: inf.read_memory(a, n).tobytes(),
                      load_bias=p.info()["load_bias"])
via_gdb = cb.goroutines(threads=threads, current_tid=sel.ptid[1])
with open({out!r}, "w") as fh:
    json.dump(dict(goroutines=gs, info=p.info(), via_gdb=via_gdb), fh)
"""


def live_records(
    binary: Path, tmp_path: Path
) -> tuple[list[dict], dict, dict[int, Dumped], dict[int, Dumped]]:
    dump = tmp_path / "stack.txt"
    out = tmp_path / "gs.json"
    script = tmp_path / "read.py"
    site_dir, pkg = site_dirs()
    script.write_text(GDB_SCRIPT.format(site=site_dir, pkg=pkg, binary=str(binary), out=str(out)))
    env = dict(os.environ, WSLGO_STACK_FILE=str(dump), GOTRACEBACK="system")
    argv = list(GDB_BATCH)
    argv += ["-ex", "run", "-ex", f"source {script}", "-ex", "signal SIGTRAP", str(binary)]
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert out.exists(), f"gdb run failed:\n{r.stdout}\n{r.stderr}"
    doc = json.loads(out.read_text())
    death = parse_dump(r.stdout + r.stderr)
    assert len(death) > 20, f"no SIGTRAP dump:\n{r.stdout}\n{r.stderr}"
    assert doc["via_gdb"] == doc["goroutines"], "Callback(gdb memory) differs from Process"
    return doc["goroutines"], doc["info"], death, parse_dump(dump.read_text())


# ---- comparisons -----------------------------------------------------------------------


def by_user_func(gs: list[dict], name: str) -> dict:
    for g in gs:
        if any(f["func"] == name for f in g["frames"]):
            return g
    raise AssertionError(f"no goroutine with a frame in {name}")


@pytest.mark.parametrize("mode", MODES)
def test_live_process_matches_runtime_stack(go_version: str, mode: str, tmp_path: Path) -> None:
    binary = build("grstates", go_version, mode)
    gs, info, death, stack = live_records(binary, tmp_path)
    nodwarf = mode in ("nodwarf", "stripped")
    assert info["layout"] == ("dwarf" if not nodwarf else f"fallback {go_version}")
    assert (info["load_bias"] != 0) == (mode == "pie")
    n = compare(gs, death, skip=set())
    assert n >= 20, f"only {n} parked goroutines compared"
    # runtime.Stack ran in goroutine 1 just before the breakpoint: skip that one.
    assert compare(gs, stack, skip={1}, level1=True) >= 20
    main = next(g for g in gs if g["goid"] == 1)
    assert main["current"] and main["regs"] == "thread"
    assert ours_frames(main) == death[1].frames
    assert pyviews.user_frame(main)["func"] == "main.main"
    assert main["frames"][0]["func"] in ("runtime.breakpoint", "runtime.Breakpoint")
    # Specific states the fixture creates.
    waits = {base_state(g["state"]) for g in gs}
    for w in ("chan send", "chan receive (nil chan)", "select (no cases)", "sleep", "IO wait"):
        assert w in waits, (w, waits)
    labelled = by_user_func(gs, "main.labelled")
    assert labelled["labels"] == {"worker": "grstates", "shard": "7"}
    locked = by_user_func(gs, "main.lockedThread")
    assert locked["locked_to_thread"]
    sysc = by_user_func(gs, "main.blockingSyscall")
    assert sysc["status_name"] == "syscall" and sysc["thread_id"], sysc
    for name in ("main.spin",):
        busy = [g for g in gs if any(f["func"] == name for f in g["frames"])]
        assert len(busy) == 2, [g["state"] for g in busy]
    system = {g["start_func"] for g in gs if g["system"]}
    assert "runtime.forcegchelper" in system
    assert not by_user_func(gs, "main.chanSend")["system"]


@pytest.mark.parametrize("mode", MODES)
def test_core_matches_crash_dump(go_version: str, mode: str, tmp_path: Path) -> None:
    binary = build("grstates", go_version, mode)
    core, dumped = crash_core(binary, tmp_path)
    target = _native.Core(binary, core)
    gs = target.goroutines()
    n = compare(gs, dumped, skip={1})
    assert n >= 20, n
    cur = [g for g in gs if g["current"]]
    assert len(cur) == 1 and pyviews.user_frame(cur[0])["func"] == "main.main", cur
    # The CLI prints the same thing.
    r = subprocess.run(
        [sys.executable, "-m", "wslgo.cli", "goroutines", str(binary), str(core), "--json"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert sorted(g["goid"] for g in doc["goroutines"]) == sorted(g["goid"] for g in gs)


def test_core_of_another_binary_is_refused(tmp_path: Path) -> None:
    binary = build("grstates", newest(), "opt")
    core, _ = crash_core(binary, tmp_path)
    other = build("grstates", newest(), "debug")
    with pytest.raises(_native.MismatchError, match="not written by"):
        _native.Core(other, core)


def test_truncated_core_is_a_clear_error(tmp_path: Path) -> None:
    binary = build("grstates", newest(), "opt")
    core, _ = crash_core(binary, tmp_path)
    cut = tmp_path / "cut.core"
    data = core.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(_native.WslgoError, match="truncated"):
        _native.Core(binary, cut)


def patch_allgs(binary: Path, core: Path, out: Path, damage: str) -> None:
    """Write a copy of `core` with runtime.allgs damaged: "allglen" sets len and cap to
    50,000,000, "zeroed" zeroes the pointer array."""
    addr = _native.Symbols(str(binary)).variable("runtime.allgs")[0]
    data = bytearray(core.read_bytes())
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    (phnum,) = struct.unpack_from("<H", data, 0x38)

    def file_offset(vaddr: int) -> int:
        for i in range(phnum):
            phdr = struct.unpack_from("<IIQQQQQQ", data, phoff + i * 56)
            kind, off, va, filesz = phdr[0], phdr[2], phdr[3], phdr[5]
            if kind == 1 and va <= vaddr < va + filesz:
                return off + vaddr - va
        raise AssertionError(f"{vaddr:#x} is not dumped in {core}")

    hdr = file_offset(addr)
    ptr, length, _ = struct.unpack_from("<QQQ", data, hdr)
    if damage == "allglen":
        struct.pack_into("<QQ", data, hdr + 8, 50_000_000, 50_000_000)
    else:
        arr = file_offset(ptr)
        data[arr : arr + 8 * length] = bytes(8 * length)
    out.write_bytes(data)


@pytest.mark.parametrize("damage", ["allglen", "zeroed"])
def test_corrupt_allgs_ends_at_once_with_a_summary_line(tmp_path: Path, damage: str) -> None:
    binary = build("grstates", newest(), "opt")
    core, _ = crash_core(binary, tmp_path)
    bad = tmp_path / "bad.core"
    patch_allgs(binary, core, bad, damage)
    want = {
        "allglen": r"[\d,]+ unreadable records past the mapped memory at 0x[0-9a-f]+ "
        r"\(allgs\[\d+\.\.50000000\]\); runtime\.allgs looks corrupt",
        "zeroed": r"[\d,]+ unreadable records at 0x0 \(allgs\[0\.\.\d+\]\); "
        r"runtime\.allgs looks corrupt",
    }[damage]
    for extra in ([], ["--json"]):
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run(
            [sys.executable, "-m", "wslgo.cli", "goroutines", str(binary), str(bad), *extra],
            capture_output=True,
            text=True,
            timeout=60,
        )
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        assert r.returncode == 0, r.stderr
        # Reading 50,000,000 records one by one would not end within the timeout; the
        # figure is printed for the log, not asserted (timings belong in bench/).
        print(f"{damage} {extra}: {cpu:.2f} s of CPU")
        assert len(r.stdout) < 1_000_000, f"{damage} {extra}: {len(r.stdout)} bytes"
        if extra:
            errors = [g["error"] for g in json.loads(r.stdout)["goroutines"] if "error" in g]
        else:
            errors = [line for line in r.stdout.splitlines() if "[unreadable]" in line]
        summaries = [e for e in errors if re.search(want, e)]
        assert len(summaries) == 1, errors[:20]
        if damage == "zeroed":
            assert len(errors) == 1, errors[:20]


def test_non_go_process_is_a_clear_error(tmp_path: Path) -> None:
    sleep = shutil.which("sleep")
    assert sleep
    proc = subprocess.Popen([sleep, "30"])
    try:
        with pytest.raises(_native.WslgoError, match="not a Go binary"):
            _native.Process(sleep, proc.pid)
        # A Go binary's model pointed at a process that is not that binary.
        go = build("grstates", newest(), "opt")
        mismatch = f"process {proc.pid} does not run .*grstates"
        with pytest.raises(_native.MismatchError, match=mismatch):
            _native.Process(go, proc.pid)
    finally:
        proc.kill()
        proc.wait()


def test_cli_goroutines_on_a_core(tmp_path: Path) -> None:
    binary = build("grstates", newest(), "debug")
    core, dumped = crash_core(binary, tmp_path)
    cli = [sys.executable, "-m", "wslgo.cli", "goroutines", str(binary), str(core)]
    r = subprocess.run([*cli, "--wait", "nil chan"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1 and "[chan receive (nil chan)] main.nilChan at" in lines[0], lines
    r = subprocess.run([*cli, "--group", "--user"], capture_output=True, text=True)
    assert re.search(r"^\d+ goroutines \[chan receive\]: ", r.stdout, re.M), r.stdout
    r = subprocess.run(
        [*cli, "--full", "--label", "worker=grstates"], capture_output=True, text=True
    )
    assert "main.labelled" in r.stdout and '"shard":"7"' in r.stdout, r.stdout
    assert ROOT.exists()


def test_cli_pid_reads_a_running_process(tmp_path: Path) -> None:
    binary = build("grstates", newest(), "opt")
    env = dict(os.environ, WSLGO_HOLD="30s")
    proc = subprocess.Popen([str(binary)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        # The fixture prints nothing until it stops; wait for its goroutines to park.
        deadline = time.monotonic() + 10
        target = None
        while time.monotonic() < deadline:
            gs = _native.Process(binary, proc.pid).goroutines()
            if any(g["state"] == "chan receive (nil chan)" for g in gs):
                target = gs
                break
            time.sleep(0.1)
        assert target, "fixture never parked its goroutines"
        cli = [sys.executable, "-m", "wslgo.cli", "goroutines", "--pid", str(proc.pid)]
        r = subprocess.run([*cli, "--wait", "select (no cases)"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert re.search(r"\[select \(no cases\)\] main\.selectNoCases at ", r.stdout), r.stdout
        r = subprocess.run([*cli, "--json", "--label", "shard=7"], capture_output=True, text=True)
        doc = json.loads(r.stdout)
        assert [g["labels"] for g in doc["goroutines"]] == [{"shard": "7", "worker": "grstates"}]
    finally:
        proc.kill()
        proc.wait()


def test_stripped_core_with_symbol_file(go_version: str, tmp_path: Path) -> None:
    """--symbols: the unstripped copy of the very binary (strip keeps the build ids) gives
    the same goroutines as the stripped binary alone; another build is refused (matched by
    ELF build id, or by Go build id where the linker wrote no ELF one: before Go 1.24)."""
    debug = build("grstates", go_version, "debug")
    stripped = strip_copy(debug, tmp_path / "grstates-stripped")
    core, dumped = crash_core(stripped, tmp_path)
    info = subprocess.run(
        [sys.executable, "-m", "wslgo.cli", "info", str(stripped)], capture_output=True, text=True
    )
    assert "goroutines, stacks, the Go breakpoint and traceback still work" in info.stdout
    assert "runtime.allgs" in info.stdout, info.stdout
    check_symbols_option(stripped, core, debug, build("grstates", go_version, "opt"), dumped)
