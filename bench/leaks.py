#!/usr/bin/env python3
"""The leak check on a core with many goroutines and a big heap: `wslgo leaks BIN CORE`'s
wall time and peak RSS, and its marking rate next to the floor of reading that heap once
(reading the core file's bytes sequentially), with its CPU time and the load average (the
machine may be shared). Prints one markdown table; asserts nothing.

    bench/leaks.py --goroutines 100000 --heap-mib 1100
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--goroutines", type=int, default=100_000)
    ap.add_argument("--heap-mib", type=int, default=1100)
    ap.add_argument("--go", default="1.24")
    args = ap.parse_args()
    wslgo = os.environ.get("WSLGO", shutil.which("wslgo") or "wslgo").split()
    out = subprocess.run(
        [sys.executable, str(ROOT / "tests/gofixtures.py"), "leakbench", args.go, "opt"],
        check=True,
        capture_output=True,
        text=True,
    )
    binary = out.stdout.strip()
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as d:
        proc = subprocess.Popen(
            [binary, str(args.goroutines), str(args.heap_mib)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert proc.stdout is not None
            proc.stdout.readline()
            subprocess.run(
                ["gcore", "-o", f"{d}/core", str(proc.pid)], check=True, capture_output=True
            )
        finally:
            proc.kill()
            proc.wait()
        core = f"{d}/core.{proc.pid}"
        t0 = time.perf_counter()
        r = subprocess.run(
            ["/usr/bin/time", "-f", "%M %U %S", *wslgo, "leaks", "--json", binary, core],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - t0
        doc = json.loads(r.stdout)
        load = os.getloadavg()[0]
        rss_kib, user, system = r.stderr.strip().splitlines()[-1].split()
        rss_mib = int(rss_kib) / 1024
        cpu = float(user) + float(system)
        t0 = time.perf_counter()
        with open(core, "rb") as f:
            while f.read(1 << 24):
                pass
        size = os.path.getsize(core)
        read_s = time.perf_counter() - t0
    floor = doc["heap_bytes"] / (size / read_s)
    cols = ["goroutines", "heap", "leaked", "wall", "CPU", "load", "peak RSS", "marking"]
    print("| " + " | ".join([*cols, "scanned", "reading the heap once"]) + " |")
    print("| --- " * (len(cols) + 2) + "|")
    print(
        f"| {args.goroutines:,} | {doc['heap_bytes'] / 2**20:,.0f} MiB | {len(doc['leaked']):,} "
        f"| {wall:.2f} s | {cpu:.2f} s | {load:.1f} | {rss_mib:.0f} MiB | {doc['seconds']:.2f} s "
        f"({doc['scanned_bytes'] / 2**20 / max(doc['seconds'], 1e-9):,.0f} MiB/s) "
        f"| {doc['scanned_bytes'] / 2**20:,.0f} MiB "
        f"| {floor:.2f} s ({size / 2**20 / read_s:,.0f} MiB/s) |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
