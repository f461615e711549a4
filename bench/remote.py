#!/usr/bin/env python3
"""Bench: `wslgo-bt --list` over gdbserver (separate PID namespace) vs the local /proc path.

The fixture tests/go/bngr (Go --go, optimised) starts N goroutines and stops at
runtime.Breakpoint. Local: `gdb --args bngr N`, `run` (wslgo reads /proc/PID/mem). Remote:
`unshare --fork --pid --mount-proc gdbserver --once :PORT bngr N` and `target remote` (wslgo
reads through gdb's remote protocol). Each session times REPEAT calls; the first is cold.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

sys.path.insert(0, str(common.ROOT / "tests"))
import gofixtures  # noqa: E402
from wslgo_testing.gdb import GDB_BATCH  # noqa: E402

MEASURE = r"""
import gdb, time
gdb.execute("continue", to_string=True) if {remote} else None
times = []
for _ in range({repeat}):
    t = time.perf_counter()
    out = gdb.execute("wslgo-bt --list", to_string=True)
    times.append(time.perf_counter() - t)
print("BENCH", {repeat}, len(out.splitlines()), " ".join(f"{{x:.3f}}" for x in times))
gdb.execute("kill")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def session(binary: Path, n: int, remote: bool, repeat: int, entry: str, work: Path) -> str:
    script = work / f"m-{remote}.py"
    script.write_text(MEASURE.format(remote=remote, repeat=repeat))
    argv = [*GDB_BATCH, "-iex", "set sysroot /", "-ex", f"source {entry}"]
    argv += ["-ex", "set wslgo stop-context off"]
    server = None
    if remote:
        port = free_port()
        log = work / "gdbserver.log"
        server = subprocess.Popen(
            ["unshare", "--fork", "--pid", "--mount-proc", "gdbserver", "--once"]
            + [f"127.0.0.1:{port}", str(binary), str(n)],
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        while "Listening" not in log.read_text():
            time.sleep(0.05)
        argv += ["-ex", f"file {binary}", "-ex", f"target remote 127.0.0.1:{port}"]
        argv += ["-x", str(script)]
    else:
        argv += ["-ex", "run", "-x", str(script), "--args", str(binary), str(n)]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    finally:
        if server is not None:
            server.kill()
            server.wait()
    lines = [x for x in p.stdout.splitlines() if x.startswith("BENCH ")]
    return lines[0] if lines else "error: " + (p.stderr.strip().splitlines() or ["?"])[-1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--go", default="1.24")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    binary = gofixtures.build("bngr", args.go, "opt")
    entry = subprocess.run(
        [*common.wslgo_cmd(), "gdbinit", "--path"], check=True, capture_output=True, text=True
    ).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="wslgo-bench-remote-"))
    print(f"load {os.getloadavg()[0]:.1f}; Go {args.go}; {args.n} goroutines")
    for remote in (False, True):
        name = "gdbserver (pid ns)" if remote else "local /proc"
        print(f"{name}: {session(binary, args.n, remote, args.repeat, entry, work)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
