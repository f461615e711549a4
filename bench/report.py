#!/usr/bin/env python3
"""Bench: `wslgo report BIN CORE -o FILE` at 100,000 goroutines, time and page size.

    WSLGO=.venv/bin/wslgo bench/report.py                 # N = 100,000, Go 1.24
    WSLGO=.venv/bin/wslgo bench/report.py --counts 10000,100000 --repeat 5

The fixture tests/go/bngr (the goroutine bench's: N goroutines parked in six stacks on
channels, a select, a sleep and a sync.Cond) is run to its runtime.Breakpoint() under gdb
and written to a core with gcore (bench/goroutines.py's make_core); `wslgo report` then
reads the core, enumerates every stack, analyses the waits, checks for leaked goroutines and
writes the page. Each run is one process: wall time, CPU time and peak RSS (GNU time), and
the page's size; the fastest and the slowest run are printed (each run counts against the
targets): at most 2 s and 20 MB at 100,000 goroutines.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import common
from goroutines import make_core


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--go", default="1.24", help="Go release of the fixture")
    ap.add_argument("--counts", default="100000", help="comma-separated goroutine counts")
    ap.add_argument("--repeat", type=int, default=3, help="runs per count")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per core or run")
    args = ap.parse_args()
    binary = common.gofixtures.build("bngr", args.go, "opt")
    work = Path(tempfile.mkdtemp(prefix="wslgo-bench-report-"))
    rows: list[list[str]] = []
    for n in (int(c) for c in args.counts.split(",")):
        core = make_core(binary, n, work, args.timeout)
        if core is None:
            rows.append([f"{n:,}", "(no core: gcore failed)", "-", "-", "-", "-", "-", "-"])
            continue
        page = work / f"report-{n}.html"
        cmd = [*common.wslgo_cmd(), "report", str(binary), str(core), "-o", str(page)]
        runs = [common.measure(cmd, timeout=args.timeout) for _ in range(args.repeat)]
        ok = [r for r in runs if r.rc == 0 and not r.timed_out]
        size = f"{page.stat().st_size / 1e6:.2f} MB" if ok and page.exists() else "-"
        walls, cpus = [r.wall for r in ok], [r.cpu for r in ok]
        failed = len(runs) - len(ok)
        rows.append(
            [
                f"{n:,}",
                f"{core.stat().st_size / 2**20:.0f} MiB",
                f"{len(ok)}" + (f" ({failed} failed)" if failed else ""),
                f"{min(walls):.3f}-{max(walls):.3f} s" if ok else "failed",
                f"{min(cpus):.3f}-{max(cpus):.3f} s" if ok else "-",
                f"{max(r.rss_kib for r in ok) / 1024:.0f} MiB" if ok else "-",
                size,
                common.load(),
            ]
        )
        print(f"  N={n}: {rows[-1]}", file=sys.stderr)
        core.unlink()
        page.unlink(missing_ok=True)
    print(f"## `wslgo report` on a core ({common.go_version(common.go_path(args.go))})\n")
    headers = [
        "N",
        "core",
        "runs",
        "wall (min-max)",
        "cpu (min-max)",
        "peak RSS",
        "page",
        "load 1/5/15",
    ]
    print(common.md_table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
