#!/usr/bin/env python3
"""Bench 3: printing big Go values in gdb, wslgo vs runtime-gdb.py.

One gdb session on the tests/go/values fixture (debug build) stopped at its
runtime.Breakpoint(), with `set print elements unlimited`, times `print` of

    main.map10k    map[int]string, 10,000 entries
    main.bigSlice  []string, 100,000 elements

three ways in the same session on the same process: with wslgo's printers, with the
toolchain's own GOROOT/src/runtime/runtime-gdb.py (its printers put in front of wslgo's),
and, as the floor of gdb's own value printing, `print` of a C array of as many `long`s as
the value has children (20,000 for the map: keys and values; 100,000 for the slice) at the
same address. Each is timed around gdb.execute(cmd, to_string=True) with time.perf_counter()
(wall) and time.process_time() (gdb's CPU time, user + system, /proc reads included: steadier
than wall time on a loaded machine): the first call (cold), then the minimum and median of
--repeat more; the ratio is each printer's CPU time over the C array's, the floor. It also
checks what each printed (entry count, first element) so a fast wrong answer is visible.
runtime-gdb.py's printers are measured alone (wslgo's lookup taken out of the objfile's list,
where wslgo's compat mode puts it first).

Then, on the tests/go/index fixture run with WSLGO_INDEX_BIG=1, it times Go index
expressions through wslgo's `print` (issue #22's targets: 10 ms each): `m[key]` on a
1,000,000-entry map[int]int (a key found, where its hash says; an absent key, for which the
whole map is scanned) and
`s[i]` on a 100,000,000-element []byte; the first call and the median of --repeat more.

    bench/values.py [--go 1.21] [--repeat 3] [--index-only]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, fmt_s, load, md_table

sys.path.insert(0, str(ROOT / "tests"))
import gofixtures  # noqa: E402
from wslgo_testing.gdb import GDB_BATCH  # noqa: E402

MEASURE = r"""
import gdb, json, re, time
gdb.execute("set print elements unlimited")
gdb.execute("set print repeats unlimited")
gdb.execute("set width 0")
gdb.execute("set max-value-size unlimited")
gdb.execute("set python print-stack full")
wslgo = list(gdb.pretty_printers)
gdb.execute("source {runtime_gdb}")
obj = gdb.objfiles()[0]
ref = [p for p in obj.pretty_printers if not getattr(p, "__module__", "").startswith("wslgo")]
results = {{}}

def seen(var, out):
    return out.count(" = ") if "map" in var else out.count(", ") + 1

def timed(cmd):
    times = []
    out = ""
    for _ in range({repeat} + 1):
        t, c = time.perf_counter(), time.process_time()
        out = gdb.execute(cmd, to_string=True)
        times.append((time.perf_counter() - t, time.process_time() - c))
    return times, out

for var, kids in (("main.map10k", 20000), ("main.bigSlice", 100000)):
    # wslgo: runtime-gdb.py's objfile printers off (they would win over global ones)
    obj.pretty_printers[:] = []
    gdb.pretty_printers[:] = wslgo
    t, out = timed(f"print '{{var}}'")
    results[var + " wslgo"] = (t, out[:400], seen(var, out))
    obj.pretty_printers[:] = ref
    gdb.pretty_printers[:] = []
    t, out = timed(f"print '{{var}}'")
    results[var + " runtime-gdb.py"] = (t, out[:400], seen(var, out))
    obj.pretty_printers[:] = []
    v = gdb.parse_and_eval(f"'{{var}}'")
    addr = int(v) if "map" in var else int(v["array"])
    gdb.execute("set language c")
    t, out = timed(f"print *(long (*)[{{kids}}]) {{addr}}")
    gdb.execute("set language auto")
    results[var + " C array"] = (t, out[:60], out.count(", ") + 1)
print("BENCH-RESULT " + json.dumps(results))
gdb.execute("kill")
"""


INDEX_MEASURE = r"""
import gdb, json, time
gdb.execute("frame 1", to_string=True)
results = {{}}
for cmd in {cmds!r}:
    times, out = [], ""
    for _ in range({repeat} + 1):
        t = time.perf_counter()
        try:
            out = gdb.execute(cmd, to_string=True)
        except gdb.error as e:
            out = "error: " + str(e)
        times.append(time.perf_counter() - t)
    results[cmd] = (times, out.strip()[:80])
print("BENCH-RESULT " + json.dumps(results))
gdb.execute("kill")
"""
INDEX_CMDS = [
    "print main.bigMap[777777]",
    "print main.bigMap[-1]",
    "print main.bigSlice[99999999]",
    "print len(main.bigSlice)",
]


def index_bench(go: str, repeat: int, timeout: float) -> int:
    """Time the Go index expressions of INDEX_CMDS; print a table."""
    binary = gofixtures.build("index", go, "debug")
    import wslgo

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "measure.py"
        script.write_text(INDEX_MEASURE.format(cmds=INDEX_CMDS, repeat=repeat))
        argv_gdb = [
            *GDB_BATCH,
            "-ex", f"source {wslgo.GDB_ENTRY}",
            "-ex", "set wslgo stop-context off",
            "-ex", "run", "-x", str(script), str(binary),
        ]  # fmt: skip
        env = dict(os.environ, WSLGO_INDEX_BIG="1")
        p = subprocess.run(argv_gdb, capture_output=True, text=True, timeout=timeout, env=env)
    line = next((x for x in p.stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if line is None:
        print(p.stdout[-2000:], p.stderr[-2000:], file=sys.stderr)
        return 1
    res = json.loads(line.split(" ", 1)[1])
    rows = []
    for cmd in INDEX_CMDS:
        times, out = res[cmd]
        warm = sorted(times[1:] or times)
        rows.append(
            [
                f"`{cmd}`",
                f"{times[0] * 1000:.2f} ms",
                f"{warm[0] * 1000:.2f} ms",
                f"{warm[len(warm) // 2] * 1000:.2f} ms",
                "`" + out.replace("|", "\\|") + "`",
            ]
        )
    print(f"\nGo {go} (`{binary.name}`), load {load()}, repeats {repeat}\n")
    print(md_table(["expression", "first (wall)", "warm min", "warm median", "output"], rows))
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--go", default="1.21", help="Go release of the fixture and runtime-gdb.py")
    ap.add_argument("--repeat", type=int, default=3, help="warm repeats after the first call")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--show", action="store_true", help="print the start of each output")
    ap.add_argument("--index-only", action="store_true", help="only the index expressions")
    args = ap.parse_args(argv)
    if args.index_only:
        return index_bench(args.go, args.repeat, args.timeout)

    binary = gofixtures.build("values", args.go, "debug")
    go = gofixtures.go_binary(args.go)
    runtime_gdb = go.parent.parent / "src" / "runtime" / "runtime-gdb.py"
    import wslgo

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "measure.py"
        script.write_text(MEASURE.format(runtime_gdb=runtime_gdb, repeat=args.repeat))
        argv_gdb = [
            *GDB_BATCH,
            "-ex", f"source {wslgo.GDB_ENTRY}",
            "-ex", "set wslgo stop-context off",
            "-ex", "run", "-x", str(script), str(binary),
        ]  # fmt: skip
        p = subprocess.run(
            argv_gdb,
            capture_output=True,
            text=True,
            timeout=args.timeout,
            # no oracle file: writing it ranges over the maps, which sets hmap.flags'
            # iterator bit, and runtime-gdb.py reads that bit as "keys are indirect"
            env={k: v for k, v in os.environ.items() if k != "WSLGO_VALUES_ORACLE"},
        )
    line = next((x for x in p.stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if line is None:
        print(p.stdout[-2000:], p.stderr[-2000:], file=sys.stderr)
        return 1
    res = json.loads(line.split(" ", 1)[1])
    if args.show:
        for k, (_, head, _) in res.items():
            print(f"{k}: {head}")
    rows = []
    for var, what in (
        ("main.map10k", "map[int]string, 10,000"),
        ("main.bigSlice", "[]string, 100,000"),
    ):
        floor = _warm(res[f"{var} C array"][0])[1]
        for tool in ("wslgo", "runtime-gdb.py", "C array"):
            times, head, count = res[f"{var} {tool}"]
            wall, cpu, cpu_med = _warm(times)
            rows.append(
                [
                    what,
                    tool,
                    fmt_s(times[0][0]),
                    fmt_s(wall),
                    fmt_s(cpu),
                    fmt_s(cpu_med),
                    f"{cpu / floor:.2f}x" if floor > 0 else "-",
                    str(count),
                    "`" + head.strip().replace("|", "\\|")[:70] + "`",
                ]
            )
    print(f"Go {args.go} (`{binary.name}`), load {load()}, repeats {args.repeat}\n")
    print(
        md_table(
            [
                "value",
                "printer",
                "first (wall)",
                "warm min (wall)",
                "warm min (CPU)",
                "warm median (CPU)",
                "CPU vs C array",
                "children seen",
                "output starts",
            ],
            rows,
        )
    )
    return index_bench(args.go, args.repeat, args.timeout)


def _warm(times: list[list[float]]) -> tuple[float, float, float]:
    """(min wall, min CPU, median CPU) of the warm calls (all calls when there is one)."""
    warm = times[1:] or times
    cpus = sorted(c for _, c in warm)
    return min(w for w, _ in warm), cpus[0], cpus[len(cpus) // 2]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
