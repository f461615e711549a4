#!/usr/bin/env python3
"""Bench 1: symbolize random pcs of Go's cmd/compile with wslgo and the reference tools.

    bench/symbolize.py                       # 1,000 and 100,000 pcs, 3 runs each
    WSLGO=.venv/bin/wslgo bench/symbolize.py --counts 1000 --runs 5

The binary is cmd/compile built from a pinned Go's own GOROOT with full (compressed) DWARF,
cached under ~/.cache/wslgo/bench. The pcs are drawn with a fixed seed: half function
entries, half pcs inside a function (ranges from `go tool nm -size -sort address`). Every
tool gets the same address list on stdin (gdb: one `info line *ADDR` per address in a
command file). Whole-process wall time and peak RSS (wait4 rusage of that child), min and
median of --runs runs; ratios are tool / wslgo (median). Prints markdown tables.

Tools: wslgo (from $WSLGO, default `wslgo` on PATH), the `addr2line` crate's binary
(installed with cargo into ~/.cache/wslgo/bench/tools), llvm-symbolizer, binutils addr2line
and gdb. Also checks wslgo's function names and lines against `go tool addr2line`, and
profiles where wslgo's time goes (interpreter start, import, open, first pc, the rest).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import Series, fmt_ratio, fmt_s, md_table, measure  # noqa: E402
from wslgo_testing.gdb import GDB_BATCH  # noqa: E402

SEED = 20261126
A2L_CRATE_VERSION = "0.27.1"


def build_compile(version: str, ldflags: str = "") -> tuple[Path, Path]:
    """Build (once) cmd/compile of Go VERSION from its own GOROOT; returns (binary, go).

    LDFLAGS "-w" gives the same program without DWARF (same function addresses): the
    pclntab-only variant.
    """
    go = common.go_path(version)
    full = common.go_version(go).split()[2]
    out = common.cache_dir() / f"compile-{full}{'-nodwarf' if ldflags == '-w' else ''}"
    if not out.exists():
        print(f"building cmd/compile of {full} {ldflags} (once) -> {out}", file=sys.stderr)
        tmp = out.with_suffix(".tmp")
        flags = [f"-ldflags={ldflags}"] if ldflags else []
        subprocess.run(
            [str(go), "build", *flags, "-o", str(tmp), "cmd/compile"],
            check=True,
            cwd=go.parent.parent / "src",
            env=common.go_env(go),
        )
        tmp.rename(out)
    return out, go


def addr2line_crate() -> Path | None:
    """The addr2line crate's CLI, installed with `cargo install` once (None without cargo)."""
    root = common.cache_dir() / "tools"
    exe = root / "bin" / "addr2line"
    if exe.exists():
        return exe
    cargo = shutil.which("cargo")
    if not cargo:
        return None
    print(f"cargo install addr2line {A2L_CRATE_VERSION} --features bin (once)", file=sys.stderr)
    subprocess.run(
        [
            cargo,
            "install",
            "addr2line",
            "--version",
            A2L_CRATE_VERSION,
            "--features",
            "bin",
            "--locked",
            "--root",
            str(root),
        ],
        check=True,
    )
    return exe if exe.exists() else None


def functions(binary: Path, go: Path) -> list[tuple[int, int]]:
    """(entry, size) of every text symbol with a size, from `go tool nm -size -sort address`."""
    out = subprocess.run(
        [str(go), "tool", "nm", "-size", "-sort", "address", str(binary)],
        check=True,
        capture_output=True,
        text=True,
        env=common.go_env(go),
    ).stdout
    funcs = []
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] in ("T", "t"):
            addr, size = int(parts[0], 16), int(parts[1])
            if size > 1:
                funcs.append((addr, size))
    return funcs


def pick_pcs(funcs: list[tuple[int, int]], n: int, seed: int) -> list[int]:
    """N pcs, fixed seed: n/2 function entries and n - n/2 pcs strictly inside a function."""
    rng = random.Random(seed)
    entries = [f[0] for f in rng.choices(funcs, k=n // 2)]
    mids = [a + rng.randrange(1, s) for a, s in rng.choices(funcs, k=n - n // 2)]
    pcs = entries + mids
    rng.shuffle(pcs)
    return pcs


@dataclass
class Tool:
    name: str
    argv: Callable[[Path, Path], list[str]]  # (binary, address file) -> argv
    stdin: bool = True  # feed the address file on stdin
    inlines: bool = False


NODWARF = "wslgo, pclntab only"
LEAN = "wslgo lean CLI"
LEAN_PCLN = "wslgo lean CLI, pclntab only"


def tools(binary: Path, nodwarf: Path, only: set[str] | None) -> list[Tool]:
    w = common.wslgo_cmd()
    py = common.wslgo_python()
    lean = Path(__file__).resolve().parent / "lean_symbolize.py"
    a2l = addr2line_crate()
    ts = [
        Tool("wslgo", lambda b, a: [*w, "symbolize", str(b)]),
        Tool("wslgo --inlines", lambda b, a: [*w, "symbolize", "--inlines", str(b)], inlines=True),
        # The same program linked with -ldflags=-w: what the pclntab alone costs.
        Tool(NODWARF, lambda b, a: [*w, "symbolize", str(nodwarf)]),
        Tool(
            NODWARF + " --inlines",
            lambda b, a: [*w, "symbolize", "--inlines", str(nodwarf)],
            inlines=True,
        ),
        # Prototype of a lean front end (bench/lean_symbolize.py): same native call.
        Tool(LEAN, lambda b, a: [py, str(lean), str(b)]),
        Tool(LEAN_PCLN, lambda b, a: [py, str(lean), str(nodwarf)]),
    ]
    if a2l:
        ts += [
            Tool("addr2line crate -f", lambda b, a: [str(a2l), "-f", "-e", str(b)]),
            Tool(
                "addr2line crate -f -i",
                lambda b, a: [str(a2l), "-f", "-i", "-e", str(b)],
                inlines=True,
            ),
        ]
    if shutil.which("llvm-symbolizer"):
        ts += [
            Tool(
                "llvm-symbolizer --no-inlines",
                lambda b, a: ["llvm-symbolizer", "--no-inlines", f"--obj={b}"],
            ),
            Tool("llvm-symbolizer", lambda b, a: ["llvm-symbolizer", f"--obj={b}"], inlines=True),
        ]
    if shutil.which("addr2line"):
        ts.append(Tool("binutils addr2line -f", lambda b, a: ["addr2line", "-f", "-e", str(b)]))
    if shutil.which("gdb"):
        ts.append(
            Tool(
                "gdb info line",
                lambda b, a: [
                    *GDB_BATCH,
                    "-x",
                    str(a.with_suffix(".gdb")),
                    str(b),
                ],
                stdin=False,
            )
        )
    if only:
        ts = [t for t in ts if t.name in only or t.name.split()[0] in only]
    return ts


def write_inputs(pcs: list[int], d: Path) -> Path:
    addrs = d / f"pcs-{len(pcs)}.txt"
    addrs.write_text("".join(f"{pc:#x}\n" for pc in pcs))
    addrs.with_suffix(".gdb").write_text("".join(f"info line *{pc:#x}\n" for pc in pcs))
    return addrs


def bench_count(
    binary: Path, ts: list[Tool], addrs: Path, runs: int, timeout: float, outdir: Path
) -> list[Series]:
    results = []
    for t in ts:
        s = Series(t.name, load=common.load())
        argv = t.argv(binary, addrs)
        out = outdir / f"{addrs.stem}-{t.name.replace(' ', '_')}.out"
        for i in range(runs):
            r = measure(argv, stdin=addrs if t.stdin else None, stdout=out, timeout=timeout)
            s.runs.append(r)
            print(
                f"  {addrs.stem} {t.name}: {r.wall:.3f} s {r.rss_kib / 1024:.1f} MiB rc={r.rc}"
                + (" TIMEOUT" if r.timed_out else ""),
                file=sys.stderr,
            )
            if r.timed_out or r.rc != 0 or (i == 0 and r.wall > 60):
                break  # slow or broken: one run is enough
        results.append(s)
    return results


def table(results: list[Series], timeout: float) -> str:
    base = next((s for s in results if s.tool == "wslgo"), None)
    bw = base.wall("median") if base else None
    br = base.rss_mib("median") if base else None
    basei = next((s for s in results if s.tool == "wslgo --inlines"), None)
    rows = []
    for s in results:
        ref_w, ref_r = bw, br
        if "inlines" in s.tool or s.tool in ("addr2line crate -f -i", "llvm-symbolizer"):
            if basei:
                ref_w, ref_r = basei.wall("median"), basei.rss_mib("median")
        wm = s.wall("median")
        rm = s.rss_mib("median")
        rows.append(
            [
                s.tool,
                str(len(s.runs)),
                fmt_s(s.wall("min"), timeout if s.timed_out else None),
                fmt_s(wm, timeout if s.timed_out else None),
                fmt_ratio(wm, ref_w) if wm else f"> {timeout / ref_w:.0f}x" if ref_w else "-",
                f"{rm:.0f} MiB" if rm is not None else "-",
                fmt_ratio(rm, ref_r),
                s.load,
            ]
        )
    return md_table(
        [
            "tool",
            "runs",
            "wall min",
            "wall median",
            "time / wslgo",
            "peak RSS (median)",
            "RSS / wslgo",
            "load 1/5/15",
        ],
        rows,
    )


def targets(by_n: dict[int, list[Series]]) -> list[str]:
    """The issue's targets; a comparison holds only if it holds for both min and median."""
    lines = []

    def get(res: list[Series], name: str) -> Series | None:
        return next((s for s in res if s.tool == name), None)

    def both(a: Series, b: Series, f: Callable[[float, float], bool], what: str) -> bool:
        va = [getattr(a, what)(h) for h in ("min", "median")]
        vb = [getattr(b, what)(h) for h in ("min", "median")]
        return all(x is not None and y is not None and f(x, y) for x, y in zip(va, vb))

    for n, res in sorted(by_n.items()):
        w = get(res, "wslgo")
        if not w or w.wall("median") is None:
            continue
        others = [s for s in res if not s.tool.startswith("wslgo")]
        c = get(res, "addr2line crate -f")
        if n == 1000 and c and c.wall("median"):
            ok = both(w, c, lambda x, y: 3 * x <= y, "wall")
            r = c.wall("median") / w.wall("median")  # type: ignore[operator]
            lines.append(
                "- 1,000 pcs: wslgo at most 1/3 of the addr2line crate's time:"
                f" {'MET' if ok else 'MISSED'} (crate / wslgo = {r:.2f} median)"
            )
        if n >= 100000:
            slower = [s.tool for s in others if not both(w, s, lambda x, y: x < y, "wall")]
            ok = "MET" if not slower else "MISSED (not beaten: " + ", ".join(slower) + ")"
            lines.append(f"- {n:,} pcs: wslgo the fastest of all tools: {ok}")
        lower = [s.tool for s in others if not both(w, s, lambda x, y: x < y, "rss_mib")]
        ok = "MET" if not lower else "MISSED (not beaten: " + ", ".join(lower) + ")"
        lines.append(f"- {n:,} pcs: wslgo's peak RSS below every other tool's: {ok}")
    for variant in (NODWARF, LEAN, LEAN_PCLN):
        if not any(get(res, variant) for res in by_n.values()):
            continue
        lines.append(f"- the same targets for `{variant}`:")
        for n, res in sorted(by_n.items()):
            w = get(res, variant)
            c = get(res, "addr2line crate -f")
            if not w or w.wall("median") is None:
                continue
            others = [s for s in res if not s.tool.startswith("wslgo")]
            if n == 1000 and c and c.wall("median"):
                ok = both(w, c, lambda x, y: 3 * x <= y, "wall")
                r = c.wall("median") / w.wall("median")  # type: ignore[operator]
                lines.append(
                    f"  - 1,000 pcs, 1/3 of the crate's time: {'met' if ok else 'missed'}"
                    f" (crate / it = {r:.2f} median)"
                )
            if n >= 100000:
                slower = [s.tool for s in others if not both(w, s, lambda x, y: x < y, "wall")]
                lines.append(f"  - {n:,} pcs, fastest: {'met' if not slower else 'missed'}")
            lower = [s.tool for s in others if not both(w, s, lambda x, y: x < y, "rss_mib")]
            lines.append(f"  - {n:,} pcs, lowest peak RSS: {'met' if not lower else 'missed'}")
    return lines


def correctness(binary: Path, go: Path, addrs: Path, label: str) -> str:
    """wslgo's function names and file:line vs `go tool addr2line` on the same pcs."""
    ref = subprocess.run(
        [str(go), "tool", "addr2line", str(binary)],
        stdin=addrs.open("rb"),
        check=True,
        capture_output=True,
        text=True,
        env=common.go_env(go),
    ).stdout.splitlines()
    got = subprocess.run(
        [*common.wslgo_cmd(), "symbolize", str(binary)],
        stdin=addrs.open("rb"),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    pcs = addrs.read_text().split()
    n = len(pcs)
    if len(ref) != 2 * n or len(got) != 2 * n:
        return (
            f"- output length mismatch: go tool addr2line {len(ref)} lines,"
            f" wslgo {len(got)} lines for {n} pcs"
        )
    fn_bad = [(pcs[i], ref[2 * i], got[2 * i]) for i in range(n) if ref[2 * i] != got[2 * i]]
    ln_bad = [
        (pcs[i], ref[2 * i + 1], got[2 * i + 1])
        for i in range(n)
        if ref[2 * i + 1] != got[2 * i + 1]
    ]
    lines = [
        f"- {label}: function names {n - len(fn_bad)}/{n} agree with `go tool addr2line`"
        f" ({len(fn_bad)} mismatches); file:line {n - len(ln_bad)}/{n}"
        f" ({len(ln_bad)} mismatches)",
    ]
    for pc, r, g in (fn_bad + ln_bad)[:5]:
        lines.append(f"  - {pc}: go tool addr2line `{r}`, wslgo `{g}`")
    return "\n".join(lines)


PROFILE = r"""
import json, os, resource, sys, time
t0 = time.perf_counter()
from wslgo import _native
t1 = time.perf_counter()
path, addrs = sys.argv[1], sys.argv[2]
pcs = [int(x, 16) for x in open(addrs).read().split()]
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
t2 = time.perf_counter()
s = _native.Symbols(path)
t3 = time.perf_counter(); r3 = rss()
s.symbolize(pcs[:1])
t4 = time.perf_counter(); r4 = rss()
s.symbolize(pcs)
t5 = time.perf_counter(); r5 = rss()
s.symbolize(pcs)
t6 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "open": t3 - t2, "first": t4 - t3, "all": t5 - t4,
    "again": t6 - t5, "rss_open": r3, "rss_first": r4, "rss_all": r5,
    "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def profile(binaries: list[tuple[str, Path]], addr_files: list[Path], runs: int) -> str:
    """Where wslgo's time goes: interpreter start, CLI import, open, first pc, all pcs."""
    py = common.wslgo_python()
    bare = Series("python -c pass")
    cli = Series("wslgo --help")
    for _ in range(runs):
        bare.runs.append(measure([py, "-c", "pass"]))
        cli.runs.append(measure([*common.wslgo_cmd(), "--help"]))
    rows = [
        [
            f"`{py} -c pass` (interpreter start)",
            fmt_s(bare.wall("median")),
            f"{bare.rss_mib('median'):.0f} MiB",
        ],
        [
            "`wslgo --help` (start + CLI imports)",
            fmt_s(cli.wall("median")),
            f"{cli.rss_mib('median'):.0f} MiB",
        ],
    ]
    for (label, binary), a in ((b, a) for b in binaries for a in addr_files):
        samples = []
        for _ in range(runs):
            out = subprocess.run(
                [py, "-c", PROFILE, str(binary), str(a)], check=True, capture_output=True, text=True
            )
            samples.append(json.loads(out.stdout))
        med = {k: sorted(s[k] for s in samples)[len(samples) // 2] for k in samples[0]}
        n = f"{label}, {int(a.stem.split('-')[1]):,} pcs"
        rows += [
            [f"{n}: `import wslgo._native`", fmt_s(med["import"]), "-"],
            [f"{n}: `Symbols(path)` (open)", fmt_s(med["open"]), f"{med['rss_open']:.0f} MiB"],
            [
                f"{n}: first `symbolize` of 1 pc (lazy parse)",
                fmt_s(med["first"]),
                f"{med['rss_first']:.0f} MiB",
            ],
            [f"{n}: `symbolize` of all pcs", fmt_s(med["all"]), f"{med['rss_all']:.0f} MiB"],
            [
                f"{n}: `symbolize` of all pcs again (warm)",
                fmt_s(med["again"]),
                f"peak {med['maxrss']:.0f} MiB",
            ],
        ]
    return md_table(["phase (in-process, median)", "time", "RSS after"], rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument(
        "--go", default="1.24", help="Go release whose cmd/compile to use (default 1.24)"
    )
    ap.add_argument("--counts", default="1000,100000", help="comma-separated pc counts")
    ap.add_argument("--runs", type=int, default=3, help="runs per tool and count (default 3)")
    ap.add_argument(
        "--timeout", type=float, default=300, help="seconds per run before a kill (default 300)"
    )
    ap.add_argument("--tools", default="", help="comma-separated tool names to keep (default all)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--no-profile", action="store_true", help="skip the in-process wslgo profile")
    args = ap.parse_args()

    binary, go = build_compile(args.go)
    nodwarf, _ = build_compile(args.go, "-w")
    counts = [int(c) for c in args.counts.split(",")]
    only = {t.strip() for t in args.tools.split(",") if t.strip()} or None
    ts = tools(binary, nodwarf, only)
    work = Path(tempfile.mkdtemp(prefix="wslgo-bench-sym-"))
    funcs = functions(binary, go)
    start_load = common.load()
    by_n: dict[int, list[Series]] = {}
    files: list[Path] = []
    for n in counts:
        addrs = write_inputs(pick_pcs(funcs, n, args.seed + n), work)
        files.append(addrs)
        print(f"{n} pcs ({addrs})", file=sys.stderr)
        by_n[n] = bench_count(binary, ts, addrs, args.runs, args.timeout, work)

    from datetime import datetime, timezone

    print(f"## Symbolization of cmd/compile ({common.go_version(go)})\n")
    print(
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; cores: {os.cpu_count()}; "
        f"load at start {start_load}, at end {common.load()}"
    )
    print(
        f"- binary: {binary} ({binary.stat().st_size / 2**20:.0f} MiB, {len(funcs)} functions); "
        f"seed {args.seed}; wslgo: `{' '.join(common.wslgo_cmd())}`"
    )
    print(
        "- ratios: tool / wslgo (median);"
        " inline-expanding tools are compared with `wslgo --inlines`\n"
    )
    for n in counts:
        print(f"### {n:,} pcs\n")
        print(table(by_n[n], args.timeout))
        print()
    print("### Targets\n")
    print("\n".join(targets(by_n)))
    print()
    if go and files:
        print("### Correctness\n")
        print(correctness(binary, go, files[0], "wslgo (DWARF)"))
        print(correctness(nodwarf, go, files[0], "wslgo, pclntab only"))
        print()
    if not args.no_profile:
        print("### Where wslgo's time goes\n")
        print(profile([("DWARF", binary), ("pclntab", nodwarf)], files, args.runs))
        print()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
