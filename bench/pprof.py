#!/usr/bin/env python3
"""Bench: goroutine profiles (`--pprof`), snapshots (`--save`) and `wslgo diff` at scale.

    WSLGO=.venv/bin/wslgo bench/pprof.py --counts 100000,1000000 --core 100000

The fixture tests/go/bngr (Go --go, default 1.24, optimised) starts N goroutines and stops
in runtime.Breakpoint() under gdb. While gdb holds it stopped (a Python loop in gdb waits
for this script), the CLI is timed on the live process: `wslgo goroutines --pid PID
--pprof FILE` and `--save FILE` (wall time and peak RSS, GNU time); then, inside gdb,
`wslgo-bt --pprof FILE` (cold: it reads the goroutines) and `wslgo-bt --save FILE` (the
same stop's snapshot). Each row gives the file's size. With --core N, two gcores of the
fixture with N goroutines (two runs) are made, and the CLI is timed on them:
`--pprof` on one, and `wslgo diff BIN CORE1 CORE2`. Cores are deleted afterwards. With
--repeat R each CLI row runs R times and the gdb session R times (a new stop each time);
every row gives the fastest and the slowest run, since a target met only in some runs is not
met. Prints markdown tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import md_table  # noqa: E402
from goroutines import make_core  # noqa: E402

sys.path.insert(0, str(common.ROOT / "tests"))
import gofixtures  # noqa: E402
from wslgo_testing.gdb import GDB_BATCH  # noqa: E402

#: Runs in gdb at the breakpoint: hands the pid to the bench, waits until the bench has
#: timed the CLI, then times the gdb commands.
IN_GDB = r"""
import gdb, json, os, time
work = {work!r}
with open(os.path.join(work, "pid.tmp"), "w") as f:
    f.write(str(gdb.selected_inferior().pid))
os.rename(os.path.join(work, "pid.tmp"), os.path.join(work, "pid"))
deadline = time.monotonic() + {timeout}
while not os.path.exists(os.path.join(work, "cli-done")) and time.monotonic() < deadline:
    time.sleep(0.05)
out = {{}}
for key, cmd in [("gdb-pprof", "wslgo-bt --pprof"), ("gdb-save", "wslgo-bt --save")]:
    dest = os.path.join(work, "gdb.pb.gz" if "pprof" in key else "gdb.snap")
    t = time.perf_counter()
    gdb.execute(f"{{cmd}} {{dest}}", to_string=True)
    out[key] = time.perf_counter() - t
    out[key + "-bytes"] = os.path.getsize(dest) if os.path.exists(dest) else 0
print("BENCH-RESULT " + json.dumps(out))
"""


def size(path: Path) -> str:
    return size_of(path.stat().st_size if path.exists() else 0)


def size_of(n: float) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def timed_cli(args: list[str], timeout: float, repeat: int) -> tuple[str, str]:
    """Wall time as `min-max s (cpu min-max)` over REPEAT runs, and the largest peak RSS;
    a failed or timed-out run makes the row say so instead of a time."""
    runs = [common.measure([*common.wslgo_cmd(), *args], timeout=timeout) for _ in range(repeat)]
    if any(r.timed_out for r in runs):
        return f"failed: > {timeout:.0f} s", "-"
    bad = [r.rc for r in runs if r.rc != 0]
    if bad:
        return f"failed: status {bad[0]}", "-"
    return (
        f"{span([r.wall for r in runs])} s (cpu {span([r.cpu for r in runs])})",
        f"{max(r.rss_kib for r in runs) / 1024:.0f} MiB",
    )


def span(xs: list[float]) -> str:
    lo, hi = min(xs), max(xs)
    return f"{lo:.3f}" if len(xs) == 1 else f"{lo:.3f}-{hi:.3f}"


def live_rows(
    binary: Path, n: int, entry: str, timeout: float, work: Path, repeat: int
) -> list[list[str]]:
    """The CLI on the stopped process, then the gdb commands, at N goroutines; the gdb
    session is run REPEAT times (each a cold start) and its rows give the range."""
    rows: list[list[str]] = []
    gdb_walls: dict[str, list[float]] = {}
    for i in range(repeat):
        cli, walls = live_once(binary, n, entry, timeout, work, repeat if i == 0 else 0)
        rows += cli
        if walls is None:
            return rows + [[f"{n:,}", "gdb", "failed: the fixture did not stop", "-", "-", "-"]]
        if isinstance(walls, str):
            return rows + [[f"{n:,}", "gdb", walls, "-", "-", "-"]]
        for k, v in walls.items():
            gdb_walls.setdefault(k, []).append(v)
    for key, what in [
        ("gdb-pprof", "wslgo-bt --pprof (cold)"),
        ("gdb-save", "wslgo-bt --save (same stop)"),
    ]:
        ws = gdb_walls.get(key, [])
        wall = f"{span(ws)} s" if len(ws) == repeat else "failed: no result from gdb"
        written = gdb_walls.get(key + "-bytes", [])
        rows.append([f"{n:,}", what, wall, "-", size_of(max(written, default=0)), common.load()])
    return rows


def live_once(
    binary: Path, n: int, entry: str, timeout: float, work: Path, cli_repeat: int
) -> tuple[list[list[str]], dict[str, float] | str | None]:
    """One gdb session at N goroutines: the CLI rows (CLI_REPEAT runs each, none when 0)
    while gdb holds the stop, then the gdb commands' times."""
    script = work / "in_gdb.py"
    script.write_text(IN_GDB.format(work=str(work), timeout=timeout))
    argv = [*GDB_BATCH, "-iex", "set width 0", "-iex", "handle SIGURG nostop noprint pass"]
    argv += ["-ex", f"source {entry}", "-ex", "set wslgo stop-context off", "-ex", "run"]
    argv += ["-x", str(script), "-ex", "kill", "--args", str(binary), str(n)]
    gdb = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    rows: list[list[str]] = []
    try:
        deadline = time.monotonic() + timeout
        while not (work / "pid").exists():
            if time.monotonic() > deadline or gdb.poll() is not None:
                gdb.kill()
                gdb.communicate()
                return rows, None
            time.sleep(0.1)
        pid = (work / "pid").read_text()
        for what, flag, dest in [
            ("CLI --pid --pprof", "--pprof", work / "cli.pb.gz"),
            ("CLI --pid --save", "--save", work / "cli.snap"),
        ]:
            if cli_repeat:
                args = ["goroutines", "--pid", pid, flag, str(dest)]
                wall, rss = timed_cli(args, timeout, cli_repeat)
                rows.append([f"{n:,}", what, wall, rss, size(dest), common.load()])
        (work / "cli-done").touch()
        out, err = gdb.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        gdb.kill()
        gdb.communicate()
        return rows, f"failed: > {timeout:.0f} s"
    got: dict[str, float] | str = "failed: " + err.strip()[-80:]
    for line in out.splitlines():
        if line.startswith("BENCH-RESULT "):
            got = json.loads(line.split(" ", 1)[1])
    for name in ("pid", "cli-done", "cli.pb.gz", "cli.snap", "gdb.pb.gz", "gdb.snap"):
        (work / name).unlink(missing_ok=True)
    return rows, got


def core_rows(binary: Path, n: int, timeout: float, work: Path, repeat: int) -> list[list[str]]:
    """--pprof on a core and the diff of two cores, at N goroutines."""
    one = make_core(binary, n, work / "1", timeout)
    two = make_core(binary, n, work / "2", timeout)
    if one is None or two is None:
        return [[f"{n:,}", "(no core: gcore failed)", "-", "-", "-", "-"]]
    rows = []
    prof = work / "core.pb.gz"
    args = ["goroutines", str(binary), str(one), "--pprof", str(prof)]
    wall, rss = timed_cli(args, timeout, repeat)
    rows.append([f"{n:,}", f"CLI core --pprof ({size(one)} core)", wall, rss, size(prof)])
    wall, rss = timed_cli(["diff", str(binary), str(one), str(two)], timeout, repeat)
    rows.append([f"{n:,}", "CLI diff CORE1 CORE2", wall, rss, "-"])
    for p in (one, two, prof):
        p.unlink(missing_ok=True)
    return [[*r, common.load()] for r in rows]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--counts", default="100000", help="goroutine counts (comma-separated)")
    ap.add_argument("--core", default="", help="counts for the core rows (comma-separated)")
    ap.add_argument("--go", default="1.24", help="pinned Go version of the fixture")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each row (default 3)")
    args = ap.parse_args()
    binary = gofixtures.build("bngr", args.go, "opt")
    entry = subprocess.run(
        [*common.wslgo_cmd(), "gdbinit", "--path"], check=True, capture_output=True, text=True
    ).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory(prefix="wslgo-bench-pprof-", dir=os.getcwd()) as tmp:
        work = Path(tmp)
        for n in [int(c) for c in args.counts.split(",") if c]:
            rows += live_rows(binary, n, entry, args.timeout, work, args.repeat)
        for n in [int(c) for c in args.core.split(",") if c]:
            (work / "1").mkdir(exist_ok=True)
            (work / "2").mkdir(exist_ok=True)
            rows += core_rows(binary, n, args.timeout, work, args.repeat)
    print(f"- fixture: {binary}; wslgo: {' '.join(common.wslgo_cmd())}\n")
    head = ["goroutines", "command", f"wall, {args.repeat} runs", "peak RSS", "file", "load"]
    print(md_table(head, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
