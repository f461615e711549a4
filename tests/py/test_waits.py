"""`wslgo waits` and `wslgo-waits` on tests/go/waits, against what the program printed about
itself (its objects' addresses, its goroutines' ids, which goroutine waits on what and which
one can unblock it): from a gcore core through the CLI and gdb, and live in gdb (attach)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import build
from wslgo_testing.gdb import marked, section


@dataclass
class Told:
    """What the fixture printed."""

    objects: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> (kind, addr)
    waiters: set[tuple[int, str, str]] = field(default_factory=set)  # (goid, op, name)
    holders: dict[str, set[int]] = field(default_factory=dict)
    sleepers: set[int] = field(default_factory=set)

    def addr(self, name: str) -> int:
        return 0 if name == "nilchan" else self.objects[name][1]


@contextmanager
def running(binary: Path) -> Iterator[tuple[subprocess.Popen[str], Told]]:
    """The fixture, parked and ready, with what it printed; killed afterwards."""
    proc = subprocess.Popen([str(binary)], stdout=subprocess.PIPE, text=True)
    told = Told()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            f = line.split()
            if f == ["ready"]:
                break
            if f[:1] == ["object"]:
                told.objects[f[1]] = (f[2], int(f[3], 16))
            elif f[:1] == ["waiter"]:
                told.waiters.add((int(f[1]), f[2], f[3]))
            elif f[:1] == ["holder"]:
                told.holders.setdefault(f[2], set()).add(int(f[1]))
            elif f[:1] == ["sleeper"]:
                told.sleepers.add(int(f[1]))
        else:
            pytest.fail("the fixture ended before it was ready")
        yield proc, told
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def check(doc: dict[str, Any], told: Told) -> None:
    """The JSON view against the program's account."""
    assert doc["errors"] == []
    objs = {int(o["addr"], 16): o for o in doc["objects"]}
    want: dict[int, set[tuple[int, str]]] = {}
    for goid, op, name in told.waiters:
        want.setdefault(told.addr(name), set()).add((goid, op))
    assert set(objs) == set(want)
    for addr, ws in want.items():
        assert {(w["goid"], w["op"]) for w in objs[addr]["waiters"]} == ws, hex(addr)
        # The fixture ran a collection once every goroutine was parked: the runtime
        # recorded since when each one waits.
        assert all(w["wait_s"] >= 0 for w in objs[addr]["waiters"]), objs[addr]["waiters"]
    for name, (kind, addr) in told.objects.items():
        if addr in objs:
            assert objs[addr]["kind"] == kind, name
    waiting = {g for g, _, _ in told.waiters}
    assert not told.sleepers & waiting
    for name, goids in told.holders.items():
        got = {s["goid"] for s in objs[told.addr(name)]["suspects"]}
        assert got == goids, name
        for s in objs[told.addr(name)]["suspects"]:
            assert s["func"].startswith("main.") and s["file"].endswith("main.go"), s
    # Nobody holds the channel nobody closes.
    assert objs[told.addr("never")]["suspects"] == []
    unbuf = objs[told.addr("unbuf")]
    assert (unbuf["type"], unbuf["len"], unbuf["cap"], unbuf["send_waiting"]) == (
        "chan int",
        0,
        0,
        50,
    )
    assert objs[told.addr("selb")]["type"] == "chan string" and objs[told.addr("selb")]["cap"] == 3
    abba = sorted({g for g, _, n in told.waiters if n.startswith("abba_")})
    assert doc["cycles"] == [
        {"goids": abba, "objects": sorted(hex(told.addr(n)) for n in ("abba_a", "abba_b"))}
    ]


def waits_on(told: Told) -> dict[int, set[tuple[str, str, str]]]:
    """goid -> {(kind, addr, op)} the fixture said each waiter waits on."""
    out: dict[int, set[tuple[str, str, str]]] = {}
    for goid, op, name in told.waiters:
        kind = told.objects[name][0] if name != "nilchan" else "chan"
        out.setdefault(goid, set()).add((kind, hex(told.addr(name)), op))
    return out


def check_goroutines_json(records: list[dict[str, Any]], told: Told) -> None:
    """The goroutine views' `waits_on` against the program's account."""
    got = {
        r["goid"]: {(w["kind"], w["addr"], w["op"]) for w in r["waits_on"]}
        for r in records
        if "waits_on" in r
    }
    assert got == waits_on(told)


def gcore(pid: int, out: Path) -> Path:
    subprocess.run(
        ["gcore", "-o", str(out), str(pid)], check=True, capture_output=True, timeout=120
    )
    return Path(f"{out}.{pid}")


def test_waits_cli_and_gdb_on_a_core(gdb_run, go_version: str, tmp_path: Path) -> None:
    binary = build("waits", go_version, "debug")
    with running(binary) as (proc, told):
        core = gcore(proc.pid, tmp_path / "core")
    cli = [sys.executable, "-m", "wslgo.cli", "waits", str(binary), str(core)]
    r = subprocess.run([*cli, "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    check(json.loads(r.stdout), told)
    text = subprocess.run(cli, capture_output=True, text=True)
    assert text.returncode == 0, text.stderr
    abba = sorted({g for g, _, n in told.waiters if n.startswith("abba_")})
    assert text.stdout.startswith(f"cycle: goroutines {abba[0]} {abba[1]} wait on each other")
    assert "50 waiting:" in text.stdout and "warning" not in text.stdout
    # The goroutine list and its JSON say what each blocked goroutine waits on.
    gcli = [sys.executable, "-m", "wslgo.cli", "goroutines", str(binary), str(core)]
    r = subprocess.run([*gcli, "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    check_goroutines_json(json.loads(r.stdout)["goroutines"], told)
    r = subprocess.run([*gcli, "--jsonl"], capture_output=True, text=True)
    check_goroutines_json([json.loads(line) for line in r.stdout.splitlines()], told)
    r = subprocess.run([*gcli, "--waits"], capture_output=True, text=True)
    lines = {int(line.split()[0]): line for line in r.stdout.splitlines()}
    for goid, on in waits_on(told).items():
        for kind, addr, _ in on:
            want = "nil chan" if addr == "0x0" else f"{kind} {addr}"
            assert want in lines[goid].split("(waits on ", 1)[1], lines[goid]
    # The chain from a sender: the receiver, the mutex holder, the WaitGroup's worker, then
    # the channel nobody can close.
    sender = min(g for g, op, n in told.waiters if n == "unbuf")
    r = subprocess.run([*cli, "--id", str(sender), "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    chain = json.loads(r.stdout)
    holder = {n: min(gs) for n, gs in told.holders.items()}
    assert [s["goid"] for s in chain["chain"]] == [
        sender,
        holder["unbuf"],
        holder["chainmu"],
        holder["wg"],
    ]
    assert [s["kind"] for s in chain["chain"]] == ["chan", "mutex", "waitgroup", "chan"]
    assert chain["end"] == {"kind": "nobody", "addr": hex(told.addr("never"))}
    g = gdb_run(
        [
            f"core-file {core}",
            *marked("json", "wslgo-waits --json"),
            *marked("chain", f"wslgo-waits {abba[0]}"),
            *marked("bt", "wslgo-bt all --no-group --json"),
            *marked("bt1", f"wslgo-bt {abba[0]} --waits"),
        ],
        binary=binary,
    )
    check(json.loads(section(g.stdout, "json")), told)
    lines = section(g.stdout, "chain").splitlines()
    assert lines[0].startswith(f"goroutine {abba[0]} [sync.Mutex.Lock] lock on mutex ")
    assert lines[-1] == f"back at goroutine {abba[0]}: a wait cycle", lines
    check_goroutines_json(json.loads(section(g.stdout, "bt"))["goroutines"], told)
    ((kind, addr, _),) = waits_on(told)[abba[0]]
    head = section(g.stdout, "bt1").splitlines()[0]
    assert head == f"goroutine {abba[0]} [sync.Mutex.Lock]: waits on {kind} {addr}", head


def test_wslgo_waits_live_in_gdb(gdb_run, go_version: str) -> None:
    binary = build("waits", go_version, "debug")
    with running(binary) as (proc, told):
        g = gdb_run(
            [
                f"attach {proc.pid}",
                *marked("json", "wslgo-waits --json"),
                *marked("bt", "wslgo-bt all --no-group --jsonl"),
                "detach",
            ]
        )
    doc = json.loads(section(g.stdout, "json"))
    check(doc, told)
    assert doc["wait_relative"] is False
    bt = [json.loads(line) for line in section(g.stdout, "bt").splitlines()]
    check_goroutines_json(bt, told)


def test_waits_cli_errors_are_one_line(go_version: str, tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "wslgo.cli", "waits"]
    r = subprocess.run(cli, capture_output=True, text=True)
    assert r.returncode != 0 and "give BINARY CORE" in r.stderr
    bogus = tmp_path / "not-a-core"
    bogus.write_bytes(b"\0" * 64)
    binary = build("waits", go_version, "debug")
    r = subprocess.run([*cli, str(binary), str(bogus)], capture_output=True, text=True)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("wslgo waits: ") and "Traceback" not in r.stderr
