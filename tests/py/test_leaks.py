"""`wslgo leaks` and `wslgo-leaks` on tests/go/leaks, against what the program printed about
itself (which goroutines it leaked, which it keeps blocked on reachable objects): from a
gcore core through the CLI and gdb, live in gdb (attach), and on Go 1.26+ against the
runtime's own goroutineleak profile of the same process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import build
from wslgo_testing import pprofdecode, versions
from wslgo_testing.cores import gcore
from wslgo_testing.gdb import marked, section
from wslgo_testing.leaks import Told, running


def check(doc: dict[str, Any], told: Told) -> set[int]:
    """The JSON view against the program's account; the leaked ids it found."""
    assert doc["cannot"] is None and doc["errors"] == []
    # exactly the leaked ones (stacks are read through their stack maps: a dead slot still
    # pointing at a leaked channel does not keep it)
    found = {x["goid"] for x in doc["leaked"]}
    assert found == set(told.leaked)
    causes = {x["goid"]: x["cause"] for x in doc["leaked"]}
    nil = [g for g, how in told.leaked.items() if how == "nil-chan"]
    assert [causes[g] for g in nil] == ["nil chan"]
    assert doc["blocked"] >= len(told.leaked) + len(told.blocked)
    assert doc["heap_bytes"] > 0 and doc["not_roots"] == "finalizers and cleanups are not roots"
    grouped = sorted(g for grp in doc["groups"] for g in grp["goids"])
    assert grouped == sorted(found)
    return found


@pytest.mark.parametrize("mode", ["debug", "stripped"])
def test_leaks_cli_and_gdb_on_a_core(gdb_run, go_version: str, mode: str, tmp_path: Path) -> None:
    """A debug build and a `-s -w` one (runtime.mheap_ found from the runtime's code, layouts
    from the version tables) give the same answer."""
    binary = build("leaks", go_version, mode)
    with running(binary) as (proc, told):
        core = gcore(proc.pid, tmp_path / "core")
    cli = [sys.executable, "-m", "wslgo.cli", "leaks", str(binary), str(core)]
    r = subprocess.run([*cli, "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    found = check(json.loads(r.stdout), told)
    text = subprocess.run(cli, capture_output=True, text=True)
    assert text.returncode == 0, text.stderr
    first = text.stdout.splitlines()[0]
    assert re.match(rf"{len(found)} leaked of \d+ blocked goroutines checked; ", first)
    assert first.endswith("(finalizers and cleanups are not roots)")
    assert "main.recvPrivate" in text.stdout and "main.stage1" not in text.stdout
    g = gdb_run(
        [
            f"core-file {core}",
            *marked("json", "wslgo-leaks --json"),
            *marked("text", "wslgo-leaks"),
        ],
        binary=binary,
    )
    check(json.loads(section(g.stdout, "json")), told)
    assert section(g.stdout, "text").splitlines()[1:] == text.stdout.splitlines()[1:]
    core.unlink()


@pytest.mark.parametrize("mode", ["debug", "stripped"])
def test_wslgo_leaks_live_in_gdb(gdb_run, go_version: str, mode: str) -> None:
    binary = build("leaks", go_version, mode)
    with running(binary) as (proc, told):
        g = gdb_run(
            [f"attach {proc.pid}", *marked("json", "wslgo-leaks --json"), "detach"],
            binary=binary,
        )
    check(json.loads(section(g.stdout, "json")), told)


Stack = tuple[tuple[str, int], ...]


def profile_stacks(text: str) -> Counter[Stack]:
    """(function, line) of each frame of a stack -> count, from a debug=1 goroutine-type
    profile (which leaves out the runtime frames a stack starts with)."""
    out: Counter[Stack] = Counter()
    count, funcs = 0, []
    for line in text.splitlines() + [""]:
        m = re.match(r"(\d+) @", line)
        if m:
            count, funcs = int(m.group(1)), []
        elif line.startswith("#\t0x"):
            f = line.split()
            funcs.append((f[2].rsplit("+", 1)[0], int(f[3].rsplit(":", 1)[1])))
        elif not line.strip() and count:
            out[tuple(funcs)] += count
            count = 0
    return out


def test_leaks_agree_with_the_runtimes_own_profile(tmp_path: Path) -> None:
    version = versions.newest()
    if int(versions.minor(version).split(".")[1]) < 26:
        pytest.skip(f"Go {version} has no goroutineleak profile")
    binary = build("leaks", version, "opt")
    with running(binary) as (proc, told):
        core = gcore(proc.pid, tmp_path / "core")
        assert proc.stdin is not None and proc.stdout is not None
        path = tmp_path / "leak.txt"
        proc.stdin.write(f"profile {path}\n")
        proc.stdin.flush()
        assert proc.stdout.readline().split() == ["profiled"]
        proto = tmp_path / "leak.pb.gz"
        proc.stdin.write(f"profile0 {proto}\n")
        proc.stdin.flush()
        assert proc.stdout.readline().split() == ["profiled"]
    ours_pb = tmp_path / "ours.pb.gz"
    cli = [sys.executable, "-m", "wslgo.cli", "leaks", str(binary), str(core)]
    r = subprocess.run([*cli, "--pprof", str(ours_pb)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    head, samples = pprofdecode.decode(ours_pb.read_bytes())
    their_head, their_samples = pprofdecode.decode(proto.read_bytes())
    assert head["types"] == their_head["types"] == [("goroutineleak", "count")] * 2
    assert samples == their_samples
    r = subprocess.run(
        [sys.executable, "-m", "wslgo.cli", "leaks", "--json", str(binary), str(core)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    check(doc, told)
    ours: Counter[Stack] = Counter()
    for grp in doc["groups"]:
        frames = [(f["func"], f["line"]) for f in grp["frames"] if f["func"] != "runtime.goexit"]
        while frames and frames[0][0].startswith("runtime."):
            frames.pop(0)
        ours[tuple(frames)] += len(grp["goids"])
    theirs = profile_stacks(path.read_text())
    assert ours == theirs, (path.read_text(), doc["groups"])
    core.unlink()


def shown_ids(out: str, mode: str) -> list[int]:
    """The goroutine ids a `wslgo goroutines` / `wslgo-bt` output shows."""
    if mode == "--json":
        doc = json.loads(out)
        return sorted(g["goid"] for g in (doc if isinstance(doc, list) else doc["goroutines"]))
    if mode == "--jsonl":
        return sorted(json.loads(line)["goid"] for line in out.splitlines() if line.strip())
    return sorted(int(m) for m in re.findall(r"^\s*(\d+) \[", out, re.M))


def test_leaked_keeps_only_the_leaked_goroutines(gdb_run, go_version: str, tmp_path: Path) -> None:
    binary = build("leaks", go_version, "debug")
    with running(binary) as (proc, told):
        core = gcore(proc.pid, tmp_path / "core")
    # The leak check's answer on this core: the goroutines the program leaked.
    r = subprocess.run(
        [sys.executable, "-m", "wslgo.cli", "leaks", "--json", str(binary), str(core)],
        capture_output=True,
        text=True,
    )
    leaked = sorted(x["goid"] for x in json.loads(r.stdout)["leaked"])
    nil = [g for g, how in told.leaked.items() if how == "nil-chan"]
    assert set(nil) <= set(leaked) == set(told.leaked)
    cli = [sys.executable, "-m", "wslgo.cli", "goroutines", str(binary), str(core), "--leaked"]
    for mode in ("--list", "--json", "--jsonl"):
        r = subprocess.run([*cli, mode], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert shown_ids(r.stdout, mode) == leaked, mode
    r = subprocess.run([*cli, "--json", "-g"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    grouped = json.loads(r.stdout)["buckets"]
    assert sorted(g for b in grouped for g in b["goids"]) == leaked
    # A goroutine blocked on something still reachable is not leaked: --id keeps nothing.
    other = min(told.blocked)
    r = subprocess.run([*cli, "--id", str(other)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "" and "0 of " in r.stderr
    g = gdb_run(
        [
            f"core-file {core}",
            *marked("list", "wslgo-bt all --leaked --list"),
            *marked("json", "wslgo-bt all --leaked --json --no-group"),
        ],
        binary=binary,
    )
    assert shown_ids(section(g.stdout, "list"), "--list") == leaked
    assert shown_ids(section(g.stdout, "json"), "--json") == leaked
    core.unlink()
