"""`wslgo goroutines BIN CORE --pprof FILE` against the program's own goroutine profile:
tests/go/pprofgr writes it (runtime/pprof, debug=0) on SIGUSR1, right after the test took a
gcore of it. The two must have the same stacks, counts and labels, except for the goroutine
that handled the signal (main), and `go tool pprof` must read wslgo's file. `wslgo-bt
--pprof` in gdb (attached, then on the core) writes the same profile; `--pprof-labels
state,wait` adds wslgo's own labels, which `go tool pprof -tagfocus` filters on."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import gofixtures
import pytest
from conftest import build
from wslgo_testing.pprofdecode import Key, decode

WSLGO = [sys.executable, "-m", "wslgo.cli"]


def go_tool(version: str, *args: str) -> str:
    go = gofixtures.go_binary(version)
    r = subprocess.run(
        [str(go), "tool", "pprof", *args],
        capture_output=True,
        text=True,
        env=gofixtures.go_env(go),
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def left_out(key: Key) -> bool:
    """The goroutine that handled the signal: main, at `<-sig` in the core, writing the
    profile in the program's own."""
    return any(fn == "main.main" for loc in key[0] for fn, _ in loc)


@pytest.mark.parametrize("mode", ["opt", "debug"])
def test_pprof_of_a_core_is_the_programs_own_profile(
    gdb_run: Any, go_version: str, mode: str, tmp_path: Path
) -> None:
    binary = build("pprofgr", go_version, mode)
    own, core, ours = tmp_path / "own.pb.gz", tmp_path / "pprofgr.core", tmp_path / "ours.pb.gz"
    in_gdb = {name: tmp_path / f"{name}.pb.gz" for name in ("attached", "core", "labelled")}
    proc = subprocess.Popen([str(binary), str(own)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        assert ready == f"ready {proc.pid}\n", ready
        # The live process (--pid) first: every goroutine is parked, so it equals the core.
        live = subprocess.run(
            [*WSLGO, "goroutines", "--pid", str(proc.pid), "--pprof", "-"],
            capture_output=True,
            timeout=300,
        )
        assert live.returncode == 0, live.stderr
        g = gdb_run(
            [
                f"attach {proc.pid}",
                f"wslgo-bt --pprof {in_gdb['attached']}",
                f"gcore {core}",
                "detach",
            ],
            binary=binary,
        )
        assert core.exists(), g.stderr
        proc.send_signal(signal.SIGUSR1)
        assert proc.stdout.readline() == "written\n"
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait()

    r = subprocess.run(
        [*WSLGO, "goroutines", str(binary), str(core), "--pprof", str(ours)],
        capture_output=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    header, got = decode(ours.read_bytes())
    _, want = decode(own.read_bytes())
    assert header["types"] == [("goroutine", "count")] * 2 and header["period"] == 1
    assert header["time_nanos"] == os.stat(core).st_mtime_ns
    funcs = header["functions"]
    assert isinstance(funcs, dict)
    chan_waiter = [f for f in funcs.values() if f[0] == "main.chanWaiter"]
    assert chan_waiter and chan_waiter[0][1] == "main.chanWaiter"
    assert chan_waiter[0][2].endswith("pprofgr/main.go") and chan_waiter[0][3] > 0

    kept = {k: n for k, n in got.items() if not left_out(k)}
    assert kept == {k: n for k, n in want.items() if not left_out(k)}
    assert sum(got[k] for k in got if left_out(k)) == 1
    # The fixture's labelled groups; optimized, recv is inlined into chanWaiter: one
    # location of two lines, innermost first.
    shards = {dict(k[1]).get("shard"): n for k, n in kept.items() if k[1]}
    assert shards["a"] == 5 and shards["b"] == 3
    inlined = any(
        [fn for fn, _ in loc] == ["main.recv", "main.chanWaiter"] for k in kept for loc in k[0]
    )
    assert inlined == (mode == "opt")

    assert decode(live.stdout)[1] == got
    # The same profile on stdout.
    r = subprocess.run(
        [*WSLGO, "goroutines", str(binary), str(core), "--pprof", "-"],
        capture_output=True,
        timeout=300,
    )
    assert r.returncode == 0 and decode(r.stdout)[1] == got

    # gdb: attached before the gcore, and on the core, plain and with wslgo's labels.
    g = gdb_run(
        [
            f"core {core}",
            f"wslgo-bt --pprof {in_gdb['core']}",
            f"wslgo-bt --pprof {in_gdb['labelled']} --pprof-labels state,wait",
            "wslgo-bt --pprof-labels state",
            "echo alive\\n",
        ],
        binary=binary,
    )
    assert "wslgo-bt: --pprof-labels needs --pprof FILE" in g.stderr and "alive" in g.stdout
    assert decode(in_gdb["attached"].read_bytes())[1] == got
    assert decode(in_gdb["core"].read_bytes())[1] == got
    labelled = decode(in_gdb["labelled"].read_bytes())[1]
    ours_only = {"state", "wait"}
    stripped: Counter[Key] = Counter()
    for (stack, labels), n in labelled.items():
        own_labels = dict(labels)
        assert own_labels["state"] in ("waiting", "syscall"), labels
        if any(fn == "main.chanWaiter" for loc in stack for fn, _ in loc):
            assert own_labels["state"] == "waiting" and own_labels["wait"] == "chan receive"
        stripped[(stack, frozenset(kv for kv in labels if kv[0] not in ours_only))] += n
    assert stripped == got
    r = subprocess.run(
        [
            *WSLGO,
            "goroutines",
            str(binary),
            str(core),
            "--pprof",
            "-",
            "--pprof-labels",
            "state,wait",
        ],
        capture_output=True,
        timeout=300,
    )
    assert r.returncode == 0 and decode(r.stdout)[1] == labelled
    chan = go_tool(go_version, "-top", "-tagfocus=wait=chan receive", str(in_gdb["labelled"]))
    assert "main.chanWaiter" in chan and "main.mutexWaiter" not in chan
    assert "main.mutexWaiter" in go_tool(go_version, "-top", str(in_gdb["labelled"]))

    top = go_tool(go_version, "-top", str(binary), str(ours))
    assert "main.chanWaiter" in top or "runtime.gopark" in top
    traces = go_tool(go_version, "-traces", str(ours))
    assert "main.recv (inline)" in traces or mode == "debug"
    assert "main.chanWaiter" in traces and re.search(r"shard:\s+a\n", traces)
    raw = go_tool(go_version, "-raw", str(ours))
    assert "PeriodType: goroutine count" in raw
    # Against the program's own profile only the left-out goroutine differs.
    diff = go_tool(go_version, "-top", "-diff_base", str(own), str(ours))
    changed = {
        m[1]
        for m in re.finditer(r"^\s*-?[\d.]+\s+\S+%\s+\S+%\s+-?[\d.]+\s+\S+%\s+(\S+)", diff, re.M)
    }
    main_funcs = {fn for k in (*got, *want) if left_out(k) for loc in k[0] for fn, _ in loc}
    assert changed and changed <= main_funcs, (changed - main_funcs, diff)
