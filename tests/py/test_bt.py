"""`wslgo-bt` in real gdb: what a user sees on a stopped Go program and on a core file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import build
from wslgo_testing.cores import crash_core
from wslgo_testing.gdb import marked, section
from wslgo_testing.sources import line_of
from wslgo_testing.versions import newest


def test_bt_on_a_stopped_program(gdb_run, go_version: str) -> None:
    binary = build("hello", go_version, "debug")
    line = line_of("hello", "BREAK-HERE")
    cmds = ["run"]
    for name, cmd in [
        ("default", "wslgo-bt"),
        ("all", "wslgo-bt all"),
        ("list", "wslgo-bt -l"),
        ("json", "wslgo-bt all --no-group --json"),
        ("one", "wslgo-bt 1"),
        ("filter", "wslgo-bt -l -w chan -u"),  # the short flags of `wslgo goroutines`
        ("bad", "wslgo-bt nope"),
        ("missing", "wslgo-bt 1 99999"),
    ]:
        cmds += marked(name, cmd)
    r = gdb_run(cmds, binary=binary, timeout=240)
    out = r.stdout

    default = section(out, "default")
    # The current goroutine first, stopped in main.main at the Breakpoint line.
    assert re.match(r"goroutine 1 \[running\]:\n", default), default
    assert f"main.go:{line} " in default
    # The others as one line per group: the three workers fold into one.
    m = re.search(
        r"^\s+3 \[chan receive\] main\.\(\*worker\)\.wait at \S+main\.go:17\s+ids: "
        r"(\d+), (\d+), (\d+)$",
        default,
        re.M,
    )
    assert m, default

    doc = json.loads(section(out, "json"))
    gs = {g["goid"]: g for g in doc["goroutines"]}
    workers = sorted(int(x) for x in m.groups())
    for goid in workers:
        assert gs[goid]["wait_reason"] == "chan receive"
        assert [f["func"] for f in gs[goid]["frames"]][:4] == [
            "runtime.gopark",
            "runtime.chanrecv",
            "runtime.chanrecv1",
            "main.(*worker).wait",
        ]
        assert gs[goid]["go_statement"]["func"] == "main.main"
    sleeper = [g for g in gs.values() if any(f["func"] == "main.sleeper" for f in g["frames"])]
    assert len(sleeper) == 1 and sleeper[0]["wait_reason"] == "sleep"

    def rows(text: str) -> list[str]:
        return [ln for ln in text.strip().splitlines() if not re.match(r"\d+ goroutines \(", ln)]

    listing = rows(section(out, "list"))
    total = re.search(r"^(\d+) goroutines", out, re.M)
    assert total and len(listing) == int(total.group(1)) == len(gs)
    assert listing[0].startswith("*      1 [running] main.main")

    assert "main.sleeper" in section(out, "all")
    one = section(out, "one")
    assert one.startswith("goroutine 1 [running]:") and "goroutine 6" not in one
    filtered = rows(section(out, "filter"))
    assert sorted(int(x.split()[0]) for x in filtered) == workers
    assert "wslgo-bt: 'nope' is neither `all` nor a goroutine id" in r.stderr
    assert re.search(r"^wslgo-bt: no goroutine 99999 \(closest: \d+, \d+, \d+\)$", r.stderr, re.M)
    assert section(out, "missing").startswith("goroutine 1 [running]:")
    assert "Traceback" not in r.output


def test_bt_on_a_core_equals_the_cli(gdb_run, go_version: str, tmp_path: Path) -> None:
    binary = build("grstates", go_version, "opt")
    core, dumped = crash_core(binary, tmp_path)
    r = gdb_run(
        [
            f"core-file {core}",
            *marked("all", "wslgo-bt all"),
            *marked("list", "wslgo-bt -l"),
            *marked("full", "wslgo-bt all --no-group"),
            *marked("json", "wslgo-bt all --no-group --json"),
            *marked("jsonl", "wslgo-bt all --no-group --jsonl"),
        ],
        binary=binary,
        timeout=240,
    )
    gdb_all = section(r.stdout, "all")
    gdb_list = "\n".join(
        ln for ln in section(r.stdout, "list").splitlines() if " goroutines (" not in ln
    )
    cli = [sys.executable, "-m", "wslgo.cli", "goroutines", str(binary), str(core)]
    cli_all = subprocess.run([*cli, "--group"], capture_output=True, text=True, check=True)
    cli_list = subprocess.run(cli, capture_output=True, text=True, check=True)
    gdb_all = "\n".join(ln for ln in gdb_all.splitlines() if " goroutines (" not in ln)
    assert gdb_all.strip() == cli_all.stdout.strip()
    assert gdb_list.strip() == cli_list.stdout.strip()
    for name, flag in [("full", "--full"), ("json", "--json"), ("jsonl", "--jsonl")]:
        got = subprocess.run([*cli, flag], capture_output=True, text=True, check=True).stdout
        out = section(r.stdout, name)
        if name == "full":
            out = "\n".join(ln for ln in out.splitlines() if " goroutines (" not in ln)
        assert out.strip() == got.strip(), name
    doc = json.loads(section(r.stdout, "json"))["goroutines"]
    assert [json.loads(ln) for ln in section(r.stdout, "jsonl").splitlines() if ln] == doc
    # and both know every goroutine of the runtime's own crash dump
    ids = {int(ln.split()[1 if ln.startswith("*") else 0]) for ln in gdb_list.splitlines() if ln}
    assert set(dumped) <= ids, set(dumped) - ids


def test_bt_without_a_process_says_so(gdb_run) -> None:
    binary = build("hello", newest(), "debug")
    r = gdb_run(["wslgo-bt"], binary=binary)
    assert "wslgo: the program is not running; use `run`, `attach PID` or `core FILE`" in (r.stderr)


def test_bt_uses_gdb_styling_and_respects_style_off(gdb_run) -> None:
    binary = build("hello", newest(), "debug")
    r = gdb_run(
        [
            "run",
            "set style enabled on",
            "set style function foreground magenta",
            *marked("on", "wslgo-bt -l"),
            "set style enabled off",
            *marked("off", "wslgo-bt -l"),
        ],
        binary=binary,
    )
    on, off = section(r.stdout, "on"), section(r.stdout, "off")
    assert "\x1b[35mmain.main\x1b[0m" in on, on
    assert "\x1b[" not in off and "main.main at" in off
