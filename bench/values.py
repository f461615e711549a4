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
1,000,000-entry map[int]int (a key found and an absent key, both looked up where the key's
hash says) and `s[i]` on a 100,000,000-element []byte; the first call and the median of
--repeat more. Each output is checked against the fixture's own values (bigMap[i] = 3i,
bigSlice[i] = i % 251). The anchor is delve (`dlv` on PATH, `--check-go-version=false`)
evaluating the same expressions through its JSON-RPC API (RPCServer.Eval, timed around the
call; the first call and one more); a row whose answer is not the fixture's, wslgo's or
delve's, says `failed: OUTPUT`.

    bench/values.py [--go 1.21] [--repeat 3] [--index-only]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
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
#: Each expression and what the fixture says it is (a value, or the absent key's error).
INDEX_EXPRS = [
    ("main.bigMap[777777]", "2333331"),
    ("main.bigMap[-1]", "not in map"),
    ("main.bigSlice[99999999]", "93"),  # 99,999,999 % 251
    ("len(main.bigSlice)", "100000000"),
]
INDEX_CMDS = [f"print {e}" for e, _ in INDEX_EXPRS]
#: delve's words for an absent key (pkg/proc/eval.go).
DLV_ABSENT = "key not found"
#: delve's load configuration for RPCServer.Eval (api.LoadConfig).
DLV_LOAD = {"FollowPointers": True, "MaxVariableRecurse": 1, "MaxStringLen": 64,
            "MaxArrayValues": 64, "MaxStructFields": -1}  # fmt: skip


def _answers(out: str, want: str) -> bool:
    """``out`` (gdb's `$N = V`, delve's value or error) is the fixture's ``want``."""
    if want == "not in map":
        return "not in map" in out or DLV_ABSENT in out
    value = out.split(" = ", 1)[-1].strip()
    return value.split(" ", 1)[0] == want


class _Rpc:
    """delve's JSON-RPC API (one JSON request and answer per line)."""

    def __init__(self, sock: socket.socket) -> None:
        self.f = sock.makefile("rw")
        self.n = 0

    def call(self, method: str, params: dict[str, object]) -> dict[str, object]:
        self.n += 1
        req = {"method": f"RPCServer.{method}", "params": [params], "id": self.n}
        self.f.write(json.dumps(req) + "\n")
        self.f.flush()
        answer: dict[str, object] = json.loads(self.f.readline())
        return answer


def dlv_index(binary: Path, repeat: int, timeout: float) -> dict[str, tuple[list[float], str]]:
    """delve's RPCServer.Eval of each INDEX_EXPRS expression at the fixture's breakpoint:
    {expression: (times of the first call and one more, its value or error)}; {} without
    a `dlv` on PATH."""
    dlv = shutil.which("dlv")
    if dlv is None:
        return {}
    env = dict(os.environ, WSLGO_INDEX_BIG="1")
    argv = [dlv, "exec", str(binary), "--headless", "--api-version=2"]
    argv += ["--listen=127.0.0.1:0", "--check-go-version=false"]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    out: dict[str, tuple[list[float], str]] = {}
    try:
        assert p.stdout is not None
        first = p.stdout.readline()
        if "listening at: " not in first:
            return {e: ([], "delve did not start: " + first.strip()) for e, _ in INDEX_EXPRS}
        host, port = first.split("listening at: ", 1)[1].strip().rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            rpc = _Rpc(sock)
            rpc.call("Command", {"name": "continue"})  # to the fixture's runtime.Breakpoint()
            for expr, _ in INDEX_EXPRS:
                times, text = [], ""
                for _ in range(min(repeat, 1) + 1):  # delve scans a map: one more call only
                    scope = {"GoroutineID": -1, "Frame": 0}
                    t = time.perf_counter()
                    r = rpc.call("Eval", {"Scope": scope, "Expr": expr, "Cfg": DLV_LOAD})
                    times.append(time.perf_counter() - t)
                    res = r.get("result")
                    if isinstance(res, dict):
                        text = str(res["Variable"]["value"])
                    else:
                        text = "error: " + (str(r.get("error")).splitlines() or [""])[0]
                out[expr] = (times, text)
            rpc.call("Detach", {"Kill": True})
    except (OSError, ValueError) as e:
        out = {e_: ([], f"delve: {e}") for e_, _ in INDEX_EXPRS}
    finally:
        p.kill()
        p.wait()
    return out


def index_bench(go: str, repeat: int, timeout: float) -> int:
    """Time the Go index expressions of INDEX_CMDS, and delve's; print a table."""
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
    dlv = dlv_index(binary, repeat, timeout)
    rows = []
    for (expr, want), cmd in zip(INDEX_EXPRS, INDEX_CMDS):
        tools = [("wslgo", cmd, *res[cmd])]
        if expr in dlv:
            tools.append(("delve", f"print {expr}", *dlv[expr]))
        for tool, shown, times, out in tools:
            text = "`" + out.replace("|", "\\|").replace("`", "'")[:80] + "`"
            if not times or not _answers(out, want):
                rows.append([tool, f"`{shown}`", f"failed: {text} (Go: {want})", "-", "-", "-"])
                continue
            warm = sorted(times[1:] or times)
            first, low, mid = (
                f"{t * 1000:.2f} ms" for t in (times[0], warm[0], warm[len(warm) // 2])
            )
            rows.append([tool, f"`{shown}`", first, low, mid, text])
    print(f"\nGo {go} (`{binary.name}`), load {load()}, repeats {repeat}\n")
    if shutil.which("dlv") is None:
        print("(no dlv on PATH: no delve rows)\n")
    headers = ["tool", "expression", "first (wall)", "warm min", "warm median", "output"]
    print(md_table(headers, rows))
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
