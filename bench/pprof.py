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
`--pprof` on one, and `wslgo diff BIN CORE1 CORE2`. Cores are deleted afterwards. Prints
markdown tables; asserts nothing.
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
print("BENCH-RESULT " + json.dumps(out))
"""


def size(path: Path) -> str:
    n = path.stat().st_size if path.exists() else 0
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def timed_cli(args: list[str], timeout: float) -> tuple[str, str]:
    r = common.measure([*common.wslgo_cmd(), *args], timeout=timeout)
    if r.timed_out:
        return f"> {timeout:.0f} s", "-"
    if r.rc != 0:
        return f"failed (status {r.rc})", "-"
    return f"{r.wall:.3f} s (cpu {r.cpu:.3f})", f"{r.rss_kib / 1024:.0f} MiB"


def live_rows(binary: Path, n: int, entry: str, timeout: float, work: Path) -> list[list[str]]:
    """The CLI on the stopped process, then the gdb commands, at N goroutines."""
    script = work / "in_gdb.py"
    script.write_text(IN_GDB.format(work=str(work), timeout=timeout))
    argv = [*GDB_BATCH, "-iex", "set width 0", "-iex", "handle SIGURG nostop noprint pass"]
    argv += ["-ex", f"source {entry}", "-ex", "set wslgo stop-context off", "-ex", "run"]
    argv += ["-x", str(script), "-ex", "kill", "--args", str(binary), str(n)]
    gdb = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    rows = []
    try:
        deadline = time.monotonic() + timeout
        while not (work / "pid").exists():
            if time.monotonic() > deadline or gdb.poll() is not None:
                return [[f"{n:,}", "(the fixture did not stop)", "-", "-", "-"]]
            time.sleep(0.1)
        pid = (work / "pid").read_text()
        for what, flag, dest in [
            ("CLI --pid --pprof", "--pprof", work / "cli.pb.gz"),
            ("CLI --pid --save", "--save", work / "cli.snap"),
        ]:
            wall, rss = timed_cli(["goroutines", "--pid", pid, flag, str(dest)], timeout)
            rows.append([f"{n:,}", what, wall, rss, size(dest), common.load()])
        (work / "cli-done").touch()
        out, err = gdb.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        gdb.kill()
        return [*rows, [f"{n:,}", "gdb", f"> {timeout:.0f} s", "-", "-", "-"]]
    got = {}
    for line in out.splitlines():
        if line.startswith("BENCH-RESULT "):
            got = json.loads(line.split(" ", 1)[1])
    for key, what, dest in [
        ("gdb-pprof", "wslgo-bt --pprof (cold)", work / "gdb.pb.gz"),
        ("gdb-save", "wslgo-bt --save (same stop)", work / "gdb.snap"),
    ]:
        wall = f"{got[key]:.3f} s" if key in got else "failed: " + err.strip()[-80:]
        rows.append([f"{n:,}", what, wall, "-", size(dest), common.load()])
    for name in ("pid", "cli-done", "cli.pb.gz", "cli.snap", "gdb.pb.gz", "gdb.snap"):
        (work / name).unlink(missing_ok=True)
    return rows


def core_rows(binary: Path, n: int, timeout: float, work: Path) -> list[list[str]]:
    """--pprof on a core and the diff of two cores, at N goroutines."""
    one = make_core(binary, n, work / "1", timeout)
    two = make_core(binary, n, work / "2", timeout)
    if one is None or two is None:
        return [[f"{n:,}", "(no core: gcore failed)", "-", "-", "-", "-"]]
    rows = []
    prof = work / "core.pb.gz"
    wall, rss = timed_cli(["goroutines", str(binary), str(one), "--pprof", str(prof)], timeout)
    rows.append([f"{n:,}", f"CLI core --pprof ({size(one)} core)", wall, rss, size(prof)])
    wall, rss = timed_cli(["diff", str(binary), str(one), str(two)], timeout)
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
    args = ap.parse_args()
    binary = gofixtures.build("bngr", args.go, "opt")
    entry = subprocess.run(
        [*common.wslgo_cmd(), "gdbinit", "--path"], check=True, capture_output=True, text=True
    ).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory(prefix="wslgo-bench-pprof-", dir=os.getcwd()) as tmp:
        work = Path(tmp)
        for n in [int(c) for c in args.counts.split(",") if c]:
            rows += live_rows(binary, n, entry, args.timeout, work)
        for n in [int(c) for c in args.core.split(",") if c]:
            (work / "1").mkdir(exist_ok=True)
            (work / "2").mkdir(exist_ok=True)
            rows += core_rows(binary, n, args.timeout, work)
    print(f"- fixture: {binary}; wslgo: {' '.join(common.wslgo_cmd())}\n")
    print(md_table(["goroutines", "command", "wall", "peak RSS", "file", "load"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
