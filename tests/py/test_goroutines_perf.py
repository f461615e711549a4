"""100,000 goroutines: the engine lists them fast and counts them like the runtime does.

The grmany fixture parks GRMANY_N goroutines (default 100000) on a channel in four distinct
stacks, prints runtime.NumGoroutine() (user goroutines: the runtime excludes system ones)
and stops at runtime.Breakpoint under gdb. We read it through /proc/PID/mem from inside gdb.
The times are printed for the log; the budgets are measured in bench/, not asserted here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from conftest import build
from wslgo_testing.gdb import GDB_BATCH, site_dirs
from wslgo_testing.versions import newest

SCRIPT = r"""
import json, site, sys, time
site.addsitedir({site!r})
sys.path.insert(0, {pkg!r})
import gdb
from wslgo import _native
p = _native.Process({binary!r}, gdb.selected_inferior().pid)
p.snapshot()  # warm the page cache of the binary's tables
c0 = time.process_time(); w0 = time.perf_counter()
buckets = json.loads(p.snapshot().render(_native.View("json-group"))["text"])["buckets"]
c1 = time.process_time(); w1 = time.perf_counter()
gs = p.goroutines()
c2 = time.process_time(); w2 = time.perf_counter()
with open({out!r}, "w") as fh:
    json.dump(dict(grouped_cpu=c1 - c0, grouped_wall=w1 - w0, list_cpu=c2 - c1,
                   list_wall=w2 - w1, buckets=buckets, n=len(gs),
                   user=sum(1 for g in gs if not g["system"]),
                   errors=sum(1 for g in gs if g["error"])), fh)
"""


def test_hundred_thousand_goroutines(tmp_path: Path) -> None:
    binary = build("grmany", newest(), "opt")
    out = tmp_path / "perf.json"
    script = tmp_path / "perf.py"
    site_dir, pkg = site_dirs()
    script.write_text(SCRIPT.format(site=site_dir, pkg=pkg, binary=str(binary), out=str(out)))
    argv = list(GDB_BATCH)
    argv += ["-ex", "run", "-ex", f"source {script}", "-ex", "kill", str(binary)]
    env = dict(os.environ, GRMANY_N="100000")
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    assert out.exists(), r.stdout + r.stderr
    doc = json.loads(out.read_text())
    m = re.search(r"with (\d+) goroutines", r.stdout + r.stderr)
    assert m, r.stdout + r.stderr
    assert doc["errors"] == 0
    assert doc["user"] == int(m.group(1)), "user goroutines must equal runtime.NumGoroutine()"
    parked = [b for b in doc["buckets"] if any(f["func"] == "main.leaf" for f in b["frames"])]
    # Four stacks (recursion depth 1..4) hold nearly all; a straggler caught mid-way
    # (e.g. growing its stack) may form a bucket of its own.
    big = [b for b in parked if len(b["goids"]) >= 20_000]
    assert len(big) == 4 and sum(len(b["goids"]) for b in parked) >= 99_000
    depths = sorted(sum(1 for f in b["frames"] if f["func"] == "main.middle") for b in big)
    assert depths == [1, 2, 3, 4]
    g, lst = doc["grouped_cpu"], doc["list_cpu"]
    print(f"\n100k goroutines: grouped {g:.3f}s cpu, goroutines() as dicts {lst:.3f}s cpu")
