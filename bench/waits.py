#!/usr/bin/env python3
"""Bench: `wslgo waits` against the goroutine list in the same run, from a core and in gdb.

    WSLGO=.venv/bin/wslgo bench/waits.py --counts 100000 --repeat 2

The fixture is the goroutine bench's, tests/go/bngr (Go --go, default 1.24, optimised, with
DWARF): N goroutines parked on two channels (receive at three depths, a select), a
sync.Cond and time.Sleep, stopped in runtime.Breakpoint(). For each N:

- from a core (gdb's gcore of the fixture at its breakpoint): `wslgo goroutines BIN CORE`
  then `wslgo waits BIN CORE`, each --repeat times, wall time and peak RSS of the process;
- in gdb (one fresh session per command, as bench/goroutines.py measures): `wslgo-bt
  --list` then `wslgo-waits`, cold and warm wall time, gdb's CPU, gdb's added peak RSS.

Times are the fastest and slowest of the runs (every run counts against a target); the ratio
column is the waits command's time over the list's (fastest runs; in gdb, cold).
Prints markdown tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import goroutines  # noqa: E402
from common import md_table  # noqa: E402

sys.path.insert(0, str(common.ROOT / "tests"))
import gofixtures  # noqa: E402

#: (what, list command, waits command) on a core: arguments of the wslgo CLI.
CORE_PAIR = (["goroutines"], ["waits"])
#: In gdb.
GDB_PAIR = ("wslgo-bt --list", "wslgo-waits")


def core_rows(binary: Path, n: int, work: Path, repeat: int, timeout: float) -> list[list[str]]:
    core = goroutines.make_core(binary, n, work, timeout)
    if core is None:
        return [[f"{n:,}", "(no core: gcore failed)", "-", "-", "-", "-"]]
    runs: dict[str, list[common.Run]] = {}
    failed: dict[str, str] = {}
    try:
        for _ in range(repeat):
            for args in CORE_PAIR:
                r = common.measure(
                    [*common.wslgo_cmd(), *args, str(binary), str(core)], timeout=timeout
                )
                if r.rc == 0 and not r.timed_out:
                    runs.setdefault(args[0], []).append(r)
                else:
                    failed[args[0]] = "timed out" if r.timed_out else f"exit {r.rc}"
    finally:
        core.unlink()
    rows = []
    for args in CORE_PAIR:
        rs = runs.get(args[0])
        if not rs or args[0] in failed:
            why = failed.get(args[0], "no run")
            rows.append([f"{n:,}", f"`wslgo {args[0]}`", f"failed: {why}", "-", "-", common.load()])
            continue
        walls, cpus = [r.wall for r in rs], [r.cpu for r in rs]
        base = runs.get("goroutines")
        ratio = min(walls) / min(r.wall for r in base) if base else 0.0
        rows.append(
            [
                f"{n:,}",
                f"`wslgo {args[0]} BIN CORE`",
                f"{min(walls):.2f}-{max(walls):.2f} s (cpu {min(cpus):.2f}-{max(cpus):.2f} s)",
                f"{max(r.rss_kib for r in rs) / 1024:.0f} MiB",
                f"{ratio:.1f}x",
                common.load(),
            ]
        )
    return rows


def gdb_rows(
    binary: Path, n: int, setup: list[str], repeat: int, timeout: float, work: Path
) -> list[list[str]]:
    res = {
        cmd: goroutines.session(binary, n, setup, cmd, repeat, timeout, work) for cmd in GDB_PAIR
    }
    rows = []
    base = res[GDB_PAIR[0]]
    for cmd, r in res.items():
        if not r.times:
            rows.append([f"{n:,}", f"`{cmd}`", r.error or "timed out", "-", "-", "-", "-"])
            continue
        cpu = f" (cpu {r.cpu[0]:.2f} s)" if r.cpu else ""
        warm = f"{min(r.times[1:]):.3f}-{max(r.times[1:]):.3f} s" if len(r.times) > 1 else "-"
        ratio = f"{r.times[0] / base.times[0]:.1f}x" if base.times else "-"
        rows.append(
            [
                f"{n:,}",
                f"`{cmd}`",
                f"{r.times[0]:.3f} s{cpu}",
                warm,
                f"{r.peak_growth:.0f} MiB",
                ratio,
                common.load(),
            ]
        )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--go", default="1.24", help="Go release of the fixture")
    ap.add_argument("--counts", default="100000", help="comma-separated goroutine counts")
    ap.add_argument("--repeat", type=int, default=2, help="runs per command (first = cold)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per run")
    ap.add_argument("--no-core", action="store_true", help="skip the core rows")
    ap.add_argument("--no-gdb", action="store_true", help="skip the gdb rows")
    args = ap.parse_args()
    binary = gofixtures.build("bngr", args.go, "opt")
    entry = subprocess.run(
        [*common.wslgo_cmd(), "gdbinit", "--path"], check=True, capture_output=True, text=True
    ).stdout.strip()
    setup = [f"source {entry}", "python " + goroutines.OFF]
    work = Path(tempfile.mkdtemp(prefix="wslgo-bench-waits-"))
    core: list[list[str]] = []
    in_gdb: list[list[str]] = []
    for n in [int(c) for c in args.counts.split(",")]:
        if not args.no_core:
            core += core_rows(binary, n, work, args.repeat, args.timeout)
            print(f"  N={n} core: {core[-2:]}", file=sys.stderr)
        if not args.no_gdb:
            in_gdb += gdb_rows(binary, n, setup, args.repeat, args.timeout, work)
            print(f"  N={n} gdb: {in_gdb[-2:]}", file=sys.stderr)
    print(f"- fixture: {binary}; {common.go_version(common.go_path(args.go))}\n")
    if core:
        print("### From a core (fastest-slowest of the runs)\n")
        heads = ["N", "command", "time", "peak RSS", "vs list", "load 1/5/15"]
        print(md_table(heads, core) + "\n")
    if in_gdb:
        print("### In gdb\n")
        heads = ["N", "command", "cold", "warm", "gdb's added peak RSS", "vs list", "load"]
        print(md_table(heads, in_gdb))
    return 0


if __name__ == "__main__":
    sys.exit(main())
