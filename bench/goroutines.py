#!/usr/bin/env python3
"""Bench 2: goroutine listing and backtraces in gdb, wslgo vs runtime-gdb.py.

    bench/goroutines.py                          # N = 1,000 10,000 100,000
    WSLGO=.venv/bin/wslgo bench/goroutines.py --counts 1000,10000

The fixture tests/go/bngr (built with the pinned Go --go, default 1.24, optimised, with
DWARF) starts N goroutines parked in six distinct stacks and stops in runtime.Breakpoint().
Each measurement is one fresh `gdb -nx -batch` session: run to the breakpoint, then time
the command inside gdb (time.perf_counter around gdb.execute(cmd)) with gdb's output going
to a file through `set logging redirect` (as at a terminal, gdb never holds the whole text;
the first call's output is kept to count its lines, repeats go to /dev/null) and read gdb's
VmRSS before and after. The first call is the cold one a user sees; the command is
repeated --repeat times for a warm min. Pairs compared:

    info goroutines        (runtime-gdb.py of the same GOROOT)  vs  wslgo-bt --list
    goroutine all bt       (runtime-gdb.py)                     vs  wslgo-bt all --no-group

and wslgo alone: `wslgo-bt` (summary), `wslgo-bt all` (grouped), `--json`, `--jsonl`, and with
--stop-context the stop context. Repeats within a session reuse the stop's snapshot (the
program does not resume), so warm = formatting only; cold includes reading the process.
--compat compares the same command, `goroutine all bt`, runtime-gdb.py's vs wslgo's (gdb's
own bt per goroutine through wslgo's goroutine switching) in one gdb session on one process,
--runs times: wslgo's command timed three times as a wslgo user has it (runtime-gdb.py not
loaded; the first call is cold), then runtime-gdb.py is sourced and its command timed (`set
wslgo compat off` gives it back), then wslgo's once more with both loaded (`set wslgo compat
on`: runtime-gdb.py's printers stay behind wslgo's in the objfile's list, so each argument
wslgo's printers decline goes through theirs too); `frame 0` before each (runtime-gdb.py
saves $pc/$sp of the selected frame and restores them into frame 0). Each reports wall
seconds and gdb's CPU seconds (time.process_time), and the ratios of runtime-gdb.py's to
wslgo's cold call, to the median of its two warm calls and to the call with both loaded.
--core also times the CLI on a core of the same fixture (gdb's gcore): `wslgo goroutines
BIN CORE` (list), `--group` and `--json`, wall time and peak RSS of the process (GNU time),
and delve's `goroutines` / `goroutines -group userloc` on that core when a `dlv` binary is on
PATH (skipped with a note otherwise; `--apt-delve` installs Debian's package first), run
with `--allow-non-terminal-interactive=true --check-go-version=false`. A delve row is a time
only when delve's output counts the program's goroutines; otherwise it says `failed: REASON`
(delve's own error line).

wslgo is loaded with `source <wslgo.py>`, where wslgo.py is what `wslgo gdbinit --path`
prints ($WSLGO picks the CLI, $WSLGO_PATH is passed through to the loader). A session that
exceeds --timeout is killed and reported as "> N s". Prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import md_table  # noqa: E402

sys.path.insert(0, str(common.ROOT / "tests"))
import gofixtures  # noqa: E402
from wslgo_testing.gdb import GDB_BATCH  # noqa: E402

PAIRS = [
    ("list", "info goroutines", "wslgo-bt --list"),
    ("bt", "goroutine all bt", "wslgo-bt all --no-group"),
    ("summary", "", "wslgo-bt"),
    ("grouped", "", "wslgo-bt all"),
    ("json", "", "wslgo-bt all --no-group --json"),
    ("jsonl", "", "wslgo-bt all --no-group --jsonl"),
]
#: --engine: the goroutine engine called straight through the binding (no gdb command),
#: `Process(binary, pid).goroutines(max_depth=D)`: D=0 lists, D=512 unwinds every stack.
ENGINE_PAIRS = [
    ("list", "info goroutines", "python:0"),
    ("bt", "goroutine all bt", "python:512"),
]
#: --compat: the command both define, timed in one session (wslgo's alone, theirs, wslgo's
#: with both loaded).
COMPAT_CMD = "goroutine all bt"
COMPAT_MEASURE = r"""
import gdb, json, time
def timed(cmd):
    gdb.execute("frame 0", to_string=True)
    c, w = time.process_time(), time.perf_counter()
    text = gdb.execute(cmd, to_string=True)
    return {{"wall": time.perf_counter() - w, "cpu": time.process_time() - c,
            "lines": text.count("\n")}}
res = {{"ours": timed({cmd!r}), "warm": [timed({cmd!r}) for _ in range(2)]}}
gdb.execute({source!r}, to_string=True)
gdb.execute("set wslgo compat off", to_string=True)
res["theirs"] = timed({cmd!r})
gdb.execute("set wslgo compat on", to_string=True)
res["both"] = timed({cmd!r})
print("BENCH-RESULT " + json.dumps(res), flush=True)
"""
#: Turns wslgo's stop context off when the parameter exists (older wslgo has none).
OFF = "exec(\"try:\\n gdb.execute('set wslgo stop-context off')\\nexcept gdb.error:\\n pass\")"
#: --stop-context: what `set wslgo stop-context brief` (the default) costs at every stop. The
#: stop's snapshot is dropped first (as resuming does), so the repeats are later stops: the
#: engine is kept, the goroutines are read again.
STOP_CMD = (
    "python from wslgo.gdb import program; from wslgo.gdb.cmds import bt; "
    "program.SESSION.forget_snapshot(); bt.print_stop_context('brief')"
)

MEASURE = r"""
import gdb, json, time
def rss(key="VmRSS:"):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
def reset_peak():
    try:  # Linux >= 4.0: "5" resets VmHWM to the current RSS
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
cmd, repeat, slow, out = {cmd!r}, {repeat}, {slow}, {out!r}
reset_peak()
res = {{"cmd": cmd, "times": [], "cpu": [], "rss_before": rss()}}
def to_file(path):
    # What a terminal user gets: the command streams to gdb's output (here a file through
    # gdb's logging redirect), so gdb never holds the whole text.
    for c in ("set logging file " + path, "set logging overwrite on",
              "set logging redirect on", "set logging enabled on"):
        gdb.execute(c)
def run(path):
    if cmd.startswith("python:"):
        # The goroutine engine through the native binding, without a gdb command.
        from wslgo import _native
        inf = gdb.selected_inferior()
        target = _native.Process(gdb.current_progspace().filename, inf.pid)
        gs = target.goroutines(max_depth=int(cmd.split(":")[1]))
        open(path, "w").write("".join(f"{{g['goid']}} {{len(g['frames'])}}\n" for g in gs))
        return
    to_file(path)
    try:
        gdb.execute(cmd)
    finally:
        gdb.execute("set logging enabled off")
for i in range(repeat):
    t, c = time.perf_counter(), time.process_time()
    run(out if i == 0 else "/dev/null")
    res["times"].append(time.perf_counter() - t)
    res["cpu"].append(time.process_time() - c)  # gdb's CPU, every thread: the load-free cost
    res["rss_after"] = rss()
    if i == 0:
        res["peak"] = rss("VmHWM:")
        with open(out, "rb") as f:
            res["lines"] = sum(b.count(b"\n") for b in iter(lambda: f.read(1 << 20), b""))
    if res["times"][-1] > slow:
        break
print("BENCH-RESULT " + json.dumps(res), flush=True)
"""


@dataclass
class Result:
    cmd: str
    times: list[float]
    rss_growth: float  # MiB, VmRSS after the last call minus before the first
    lines: int
    peak_growth: float = 0.0  # MiB, gdb's peak RSS during the first call minus before it
    timed_out: bool = False
    error: str = ""
    cpu: list[float] | None = None  # gdb's CPU seconds per call (all threads)


def run_measure(
    binary: Path, n: int, setup: list[str], script: Path, timeout: float
) -> dict | str | None:
    """One gdb session: the fixture run to runtime.Breakpoint with ``setup``, then
    ``script``. Its BENCH-RESULT document, else gdb's last stderr line, None on timeout."""
    argv = [*GDB_BATCH, "-iex", "set width 0", "-iex", "handle SIGURG nostop noprint pass"]
    for s in setup:
        argv += ["-ex", s]
    argv += ["-ex", "run", "-x", str(script), "--args", str(binary), str(n)]
    env = dict(os.environ, GOTRACEBACK="crash")
    try:
        p = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, env=env, start_new_session=True
        )
    except subprocess.TimeoutExpired:
        return None
    for line in p.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            return dict(json.loads(line.split(" ", 1)[1]))
    return (p.stderr.strip().splitlines() or ["no result"])[-1]


def session(
    binary: Path, n: int, setup: list[str], cmd: str, repeat: int, timeout: float, work: Path
) -> Result:
    """One gdb session: run the fixture to runtime.Breakpoint, then measure CMD."""
    out = work / f"out-{n}-{cmd.replace(' ', '_').replace('-', '')}.txt"
    script = work / f"measure-{n}-{abs(hash(cmd))}.py"
    script.write_text(MEASURE.format(cmd=cmd, repeat=repeat, slow=30.0, out=str(out)))
    d = run_measure(binary, n, setup, script, timeout)
    if d is None:
        return Result(cmd, [], 0, 0, timed_out=True)
    if isinstance(d, str):
        return Result(cmd, [], 0, 0, error=d[:120])
    return Result(
        cmd,
        d["times"],
        d["rss_after"] - d["rss_before"],
        d.get("lines", 0),
        peak_growth=d.get("peak", d["rss_before"]) - d["rss_before"],
        cpu=d.get("cpu"),
    )


#: --core: the CLI on a core of the same fixture (time and peak RSS of the process).
CORE_CMDS = [
    ("list", ["goroutines"]),
    ("grouped", ["goroutines", "--group"]),
    ("json", ["goroutines", "--json"]),
    ("pprof", ["goroutines", "--pprof", "/dev/null"]),
]
#: delve on the same core, when a `dlv` binary is on PATH (never downloaded or built here).
DLV_CMDS = [("list", "goroutines"), ("grouped", "goroutines -group userloc")]
#: What delve needs to run here: no terminal on stdin, and a Go it may not list as supported
#: (the row then shows what it read, or why it failed).
DLV_FLAGS = ["--allow-non-terminal-interactive=true", "--check-go-version=false"]


def make_core(binary: Path, n: int, work: Path, timeout: float) -> Path | None:
    """A core of the fixture with N goroutines at its runtime.Breakpoint (gdb's gcore)."""
    core = work / f"core-{n}"
    argv = [*GDB_BATCH, "-iex", "handle SIGURG nostop noprint pass", "-ex", "run"]
    argv += ["-ex", f"gcore {core}", "-ex", "kill", "--args", str(binary), str(n)]
    try:
        subprocess.run(argv, capture_output=True, timeout=timeout, start_new_session=True)
    except subprocess.TimeoutExpired:
        return None
    return core if core.exists() else None


def core_rows(binary: Path, n: int, work: Path, repeat: int, timeout: float) -> list[list[str]]:
    """`wslgo goroutines BIN CORE` (list, --group, --json) and delve's goroutines on it."""
    core = make_core(binary, n, work, timeout)
    if core is None:
        return [[f"{n:,}", "(no core: gcore failed)", "-", "-", "-", "-"]]
    size = f"{core.stat().st_size / 2**20:.0f} MiB"
    rows = []
    for _key, args in CORE_CMDS:
        runs = [
            common.measure([*common.wslgo_cmd(), *args, str(binary), str(core)], timeout=timeout)
            for _ in range(repeat)
        ]
        ok = [r for r in runs if r.rc == 0 and not r.timed_out]
        cold = f"{ok[0].wall:.3f} s (cpu {ok[0].cpu:.3f})" if ok else "failed"
        warm = f"{min(r.wall for r in ok[1:]):.3f} s" if len(ok) > 1 else "-"
        peak = f"{max(r.rss_kib for r in ok) / 1024:.0f} MiB" if ok else "-"
        rows.append([f"{n:,}", size, f"wslgo {' '.join(args)}", cold, warm, peak, common.load()])
    dlv = shutil.which("dlv")
    for key, cmd in DLV_CMDS:
        if dlv is None:
            rows.append(
                [f"{n:,}", size, f"dlv core: {cmd}", "(no dlv on PATH: skipped)", "-", "-", "-"]
            )
            continue
        script = work / f"dlv-{key}.txt"
        script.write_text(f"{cmd}\nexit\n")
        runs = []
        for i in range(repeat):
            out = work / f"dlv-{key}-{i}.out"
            run = common.measure(
                [dlv, "core", str(binary), str(core), "--init", str(script), *DLV_FLAGS],
                stdout=out,
                stderr_too=True,
                timeout=timeout,
            )
            runs.append((run, out.read_text(errors="replace")))
            out.unlink()
        row = common.anchor_row(runs, common.dlv_goroutines, n)
        rows.append([f"{n:,}", size, f"dlv core: {cmd}", *row, common.load()])
    core.unlink()
    return rows


def fmt(r: Result, timeout: float) -> tuple[str, str]:
    if r.timed_out:
        return f"> {timeout:.0f} s (session)", "-"
    if not r.times:
        return f"error: {r.error}", "-"
    cold = f"{r.times[0]:.3f} s" if r.times[0] < 10 else f"{r.times[0]:.1f} s"
    warm = f"{min(r.times[1:]):.3f} s" if len(r.times) > 1 else "-"
    if r.cpu:
        # On a loaded machine the wall time is mostly waiting for a core: say the CPU too.
        cold += f" (cpu {r.cpu[0]:.3f})"
        if len(r.cpu) > 1:
            warm += f" (cpu {min(r.cpu[1:]):.3f})"
    return cold, warm


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--go", default="1.24", help="Go release of the fixture and runtime-gdb.py")
    ap.add_argument(
        "--counts", default="1000,10000,100000", help="comma-separated goroutine counts"
    )
    ap.add_argument("--repeat", type=int, default=3, help="calls per session (first = cold)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per gdb session")
    ap.add_argument(
        "--only",
        choices=[k for k, _, _ in PAIRS] + ["stop"],
        help="only this pair of commands (summary, grouped, json, jsonl: wslgo only)",
    )
    ap.add_argument(
        "--side",
        choices=["both", "ref", "wslgo"],
        default="both",
        help="measure both sides (default) or only runtime-gdb.py / only wslgo",
    )
    ap.add_argument(
        "--stop-context",
        action="store_true",
        help="also time wslgo's stop context (brief), which runs at every stop",
    )
    ap.add_argument(
        "--engine",
        action="store_true",
        help="time the engine via the binding (Process.goroutines) instead of wslgo-bt",
    )
    ap.add_argument(
        "--compat",
        action="store_true",
        help="`goroutine all bt`: runtime-gdb.py's vs wslgo's (its drop-in command), same session",
    )
    ap.add_argument("--runs", type=int, default=3, help="--compat: sessions per N")
    ap.add_argument(
        "--skip-ref-bt-above", type=int, default=10000, help="skip `goroutine all bt` above this N"
    )
    ap.add_argument(
        "--skip-ref-above",
        type=int,
        default=100000,
        help="skip runtime-gdb.py's `info goroutines` above this N",
    )
    ap.add_argument(
        "--core",
        action="store_true",
        help="also the CLI on a core of the fixture (and delve when `dlv` is on PATH)",
    )
    ap.add_argument(
        "--apt-delve",
        action="store_true",
        help="--core: without a dlv on PATH, install Debian's delve package (apt-get) first",
    )
    args = ap.parse_args()
    if args.apt_delve and not shutil.which("dlv"):
        subprocess.run(["apt-get", "install", "-y", "-q", "delve"], check=False)

    go = common.go_path(args.go)
    goroot = go.parent.parent
    binary = gofixtures.build("bngr", args.go, "opt")
    ref_setup = [f"source {goroot / 'src' / 'runtime' / 'runtime-gdb.py'}"]
    entry = subprocess.run(
        [*common.wslgo_cmd(), "gdbinit", "--path"], check=True, capture_output=True, text=True
    ).stdout.strip()
    # The stop context would run the engine at the breakpoint, before the timed
    # command: switch it off so that the first call is really cold (`--stop-context` times
    # the stop context itself).
    wslgo_setup = [f"source {entry}", "python " + OFF]
    counts = [int(c) for c in args.counts.split(",")]
    work = Path(tempfile.mkdtemp(prefix="wslgo-bench-gr-"))
    if args.compat:
        return compat_runs(binary, counts, wslgo_setup, ref_setup[0], args, work)
    start_load = common.load()
    rows: dict[str, list[list[str]]] = {k: [] for k, _, _ in [*PAIRS, ("stop", "", "")]}
    scaling: list[tuple[int, str, float]] = []
    pairs = list(ENGINE_PAIRS if args.engine else PAIRS)
    if args.stop_context:
        pairs.append(("stop", "", STOP_CMD))
    for n in counts:
        for key, ref_cmd, our_cmd in pairs:
            if args.only and key != args.only:
                continue
            load = common.load()
            if args.side == "ref":
                ours = Result(our_cmd, [], 0, 0, error="not measured")
            else:
                ours = session(binary, n, wslgo_setup, our_cmd, args.repeat, args.timeout, work)
            print(f"  N={n} {our_cmd}: {ours}", file=sys.stderr)
            if args.side == "wslgo":
                ref = Result(ref_cmd, [], 0, 0, error="not measured")
            elif (
                not ref_cmd
                or (key == "bt" and n > args.skip_ref_bt_above)
                or n > args.skip_ref_above
            ):
                ref = Result(ref_cmd, [], 0, 0, error="skipped")
            else:
                ref = session(binary, n, ref_setup, ref_cmd, args.repeat, args.timeout, work)
            if ref_cmd:
                print(f"  N={n} {ref_cmd}: {ref}", file=sys.stderr)
            oc, ow = fmt(ours, args.timeout)
            rc, rw = fmt(ref, args.timeout)
            if ours.times and ref.times:
                speed = f"{ref.times[0] / ours.times[0]:.0f}x"
            elif ours.times and ref.timed_out:
                speed = f"> {args.timeout / ours.times[0]:.0f}x"
            else:
                speed = "-"
            if ours.times:
                scaling.append((n, our_cmd, ours.times[0]))
            rows[key].append(
                [
                    f"{n:,}",
                    oc,
                    ow,
                    f"{ours.peak_growth:.0f} / {ours.rss_growth:.0f} MiB" if ours.times else "-",
                    str(ours.lines) if ours.times else "-",
                    rc,
                    rw,
                    f"{ref.peak_growth:.0f} / {ref.rss_growth:.0f} MiB" if ref.times else "-",
                    str(ref.lines) if ref.times else "-",
                    speed,
                    load,
                ]
            )

    core_rows_all: list[list[str]] = []
    if args.core and not args.engine and not args.compat:
        for n in counts:
            core_rows_all += core_rows(binary, n, work, args.repeat, args.timeout)
            print(
                f"  N={n} core: {core_rows_all[-len(CORE_CMDS) - len(DLV_CMDS) :]}", file=sys.stderr
            )

    from datetime import datetime, timezone

    gv = common.go_version(go)
    gdbv = subprocess.run(["gdb", "--version"], capture_output=True, text=True).stdout
    print(f"## Goroutines in gdb ({gv}, {gdbv.splitlines()[0]})\n")
    print(
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; cores: {os.cpu_count()}; "
        f"load at start {start_load}, at end {common.load()}"
    )
    print(f"- fixture: {binary}; wslgo: `source {entry}`; reference: `{ref_setup[0]}`")
    print(
        "- cold = first call in a fresh session (what a user waits for);"
        " warm = min of the repeats; RSS peak = gdb's VmHWM during the first call (reset"
        " through /proc/self/clear_refs) minus VmRSS before it, kept = VmRSS after the"
        " last call minus before the first\n"
    )
    for key, ref_cmd, our_cmd in pairs:
        if not rows[key]:
            continue
        title = f"`{ref_cmd}` vs `{our_cmd}`" if ref_cmd else f"`{our_cmd}` (no reference)"
        print(f"### {title}\n")
        print(
            md_table(
                [
                    "N",
                    "wslgo cold",
                    "wslgo warm",
                    "wslgo RSS peak / kept",
                    "wslgo lines",
                    "runtime-gdb.py cold",
                    "runtime-gdb.py warm",
                    "runtime-gdb.py RSS peak / kept",
                    "runtime-gdb.py lines",
                    "speed-up (cold)",
                    "load 1/5/15",
                ],
                rows[key],
            )
        )
        print()
    if core_rows_all:
        print("### The CLI on a core (gdb's gcore of the same fixture)\n")
        print(
            md_table(
                ["N", "core size", "command", "cold", "warm", "peak RSS", "load 1/5/15"],
                core_rows_all,
            )
        )
        print()
    if scaling:
        print("### How wslgo's cost grows (cold time per 1,000 goroutines)\n")
        srows = [
            [cmd, f"{n:,}", f"{t:.3f} s", f"{t / n * 1000 * 1000:.1f} ms"] for n, cmd, t in scaling
        ]
        print(md_table(["command", "N", "cold", "per 1,000 goroutines"], srows))
        print()
    print(f"(outputs kept in {work})")
    _ = time
    return 0


def compat_session(
    binary: Path, n: int, setup: list[str], source: str, timeout: float, work: Path
) -> dict:
    """One gdb session with wslgo: COMPAT_CMD timed as wslgo's, then, after ``source``
    (runtime-gdb.py), theirs and wslgo's with both loaded ({} when the session failed or
    timed out)."""
    script = work / f"compat-{n}.py"
    script.write_text(COMPAT_MEASURE.format(cmd=COMPAT_CMD, source=source))
    d = run_measure(binary, n, setup, script, timeout)
    if isinstance(d, str):
        print(d, file=sys.stderr)
    return d if isinstance(d, dict) else {}


def compat_runs(
    binary: Path,
    counts: list[int],
    setup: list[str],
    source: str,
    args: argparse.Namespace,
    work: Path,
) -> int:
    """--compat: `goroutine all bt`, wslgo's vs runtime-gdb.py's, --runs sessions per N."""
    start_load = common.load()
    rows: list[list[str]] = []
    worst: dict[int, float] = {}
    for n in counts:
        for run in range(1, args.runs + 1):
            load = common.load()
            r = compat_session(binary, n, setup, source, args.timeout, work)
            print(f"  N={n} run {run}: {r}", file=sys.stderr)
            if not r:
                rows.append([f"{n:,}", str(run), "failed or > timeout", *[""] * 7, load])
                continue
            ours, theirs, warm, both = r["ours"], r["theirs"], r["warm"], r["both"]
            med_wall = statistics.median(w["wall"] for w in warm)
            med_cpu = statistics.median(w["cpu"] for w in warm)
            wall, cpu = theirs["wall"] / ours["wall"], theirs["cpu"] / ours["cpu"]
            worst[n] = min(worst.get(n, wall), wall, cpu)
            rows.append(
                [
                    f"{n:,}",
                    str(run),
                    f"{ours['wall']:.2f} s / {ours['cpu']:.2f} s",
                    f"{med_wall:.2f} s / {med_cpu:.2f} s",
                    f"{both['wall']:.2f} s / {both['cpu']:.2f} s",
                    f"{theirs['wall']:.1f} s / {theirs['cpu']:.1f} s",
                    f"{wall:.0f}x / {cpu:.0f}x",
                    f"{theirs['wall'] / med_wall:.0f}x / {theirs['cpu'] / med_cpu:.0f}x",
                    f"{theirs['wall'] / both['wall']:.0f}x / {theirs['cpu'] / both['cpu']:.0f}x",
                    f"{ours['lines']} / {theirs['lines']}",
                    load,
                ]
            )
    from datetime import datetime, timezone

    gdbv = subprocess.run(["gdb", "--version"], capture_output=True, text=True).stdout
    print(f"## `{COMPAT_CMD}`: wslgo's vs runtime-gdb.py's, same session ({args.go})\n")
    print(
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {gdbv.splitlines()[0]}; "
        f"cores: {os.cpu_count()}; load at start {start_load}, at end {common.load()}"
    )
    print(f"- fixture: {binary}; setup: {'; '.join(setup)}; then `{source}`")
    print("- each cell: wall / gdb CPU (time.process_time); ratio = runtime-gdb.py / wslgo cold\n")
    print(
        md_table(
            [
                "N",
                "run",
                "wslgo cold",
                "wslgo warm (median of 2)",
                "wslgo, both loaded",
                "runtime-gdb.py",
                "ratio to cold (wall / CPU)",
                "ratio to warm (wall / CPU)",
                "ratio to both loaded (wall / CPU)",
                "lines wslgo / theirs",
                "load 1/5/15",
            ],
            rows,
        )
    )
    for n, w in worst.items():
        print(f"\nN = {n:,}: lowest cold ratio over {args.runs} runs (wall or CPU): {w:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
