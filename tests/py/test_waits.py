"""`wslgo waits` and `wslgo-waits` on tests/go/waits, against what the program printed about
itself (its objects' addresses, its goroutines' ids, which goroutine waits on what and which
one can unblock it): from a gcore core through the CLI and gdb, and live in gdb (attach)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import build
from wslgo_testing.cores import gcore
from wslgo_testing.gdb import marked, section
from wslgo_testing.waits import check, check_goroutines_json, running, waits_on


def test_waits_cli_and_gdb_on_a_core(gdb_run, go_version: str, tmp_path: Path) -> None:
    binary = build("waits", go_version, "debug")
    with running([str(binary)]) as (proc, told):
        core = gcore(proc.pid, tmp_path / "core")
    cli = [sys.executable, "-m", "wslgo.cli", "waits", str(binary), str(core)]
    r = subprocess.run([*cli, "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    check(json.loads(r.stdout), told)
    text = subprocess.run(cli, capture_output=True, text=True)
    assert text.returncode == 0, text.stderr
    abba = told.abba()
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
    with running([str(binary)]) as (proc, told):
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


@pytest.mark.parametrize("mode", ["opt", "stripped"])
def test_waits_optimized_and_stripped_core_and_live(
    gdb_run, go_version: str, mode: str, tmp_path: Path
) -> None:
    """An optimized build and a `-s -w` one (layouts from the version tables, names from
    pclntab): `wslgo waits --json` on a gcore core, and `wslgo-waits --json` attached live."""
    binary = build("waits", go_version, mode)
    with running([str(binary)]) as (proc, told):
        core = gcore(proc.pid, tmp_path / "core")
        g = gdb_run(
            [f"attach {proc.pid}", *marked("json", "wslgo-waits --json"), "detach"],
            binary=binary,
        )
    try:
        cli = [sys.executable, "-m", "wslgo.cli", "waits", str(binary), str(core), "--json"]
        r = subprocess.run(cli, capture_output=True, text=True)
    finally:
        core.unlink()
    assert r.returncode == 0, r.stderr
    check(json.loads(r.stdout), told)
    check(json.loads(section(g.stdout, "json")), told)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(shutil.which("gdbserver") is None, reason="gdbserver not installed")
@pytest.mark.parametrize("mode", ["debug", "stripped"])
def test_wslgo_waits_over_gdbserver(gdb_run, go_version: str, mode: str, tmp_path: Path) -> None:
    """gdbserver attached to the parked fixture and gdb on `target remote`: memory is read
    through gdb (not /proc), and `wslgo-waits` matches the program's account."""
    binary = build("waits", go_version, mode)
    with running([str(binary)]) as (proc, told):
        port = free_port()
        log_path = tmp_path / "gdbserver.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(
                ["gdbserver", "--once", "--attach", f"127.0.0.1:{port}", str(proc.pid)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 20
            while "Listening on port" not in log_path.read_text() and time.monotonic() < deadline:
                if server.poll() is not None:
                    break
                time.sleep(0.05)
            assert "Listening on port" in log_path.read_text(), log_path.read_text()
            g = gdb_run(
                [
                    f"target remote 127.0.0.1:{port}",
                    *marked(
                        "path",
                        "python print(__import__('wslgo.gdb.program', fromlist=['x'])"
                        ".target_key()[0])",
                    ),
                    *marked("json", "wslgo-waits --json"),
                    *marked("bt", "wslgo-bt all --no-group --jsonl"),
                    "detach",
                ],
                binary=binary,
            )
        finally:
            server.kill()
            server.wait()
    assert section(g.stdout, "path").strip() == "gdb", g.output
    check(json.loads(section(g.stdout, "json")), told)
    bt = [json.loads(line) for line in section(g.stdout, "bt").splitlines()]
    check_goroutines_json(bt, told)
