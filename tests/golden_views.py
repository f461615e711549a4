#!/usr/bin/env python3
"""Every goroutine view's bytes on fixture cores, to compare one build of wslgo with another.

    golden_views.py capture DIR [--versions 1.21,1.24,1.27]   write DIR/<ver>/<view>.txt
    golden_views.py compare DIR [--versions ...]              exit 1 on any difference

The cores are made once and kept (~/.cache/wslgo/golden-cores/<ver>/), since a new core has
other thread ids, addresses and wait times: the goldens and the comparison must read the
same core files. Capture with the wheel built from main, then compare with the branch's
wheel: a change in any view (CLI or gdb: list, full, grouped, JSON, pretty JSON, JSON Lines,
the filters, `wslgo-bt`, the stop context, `info goroutines`) shows up as a diff. Run with
the interpreter whose wslgo is under test ($PYTHON: its bin goes first on PATH).
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gofixtures  # noqa: E402
from wslgo_testing.cores import make_core  # noqa: E402
from wslgo_testing.gdb import run_gdb  # noqa: E402

CORES = Path.home() / ".cache" / "wslgo" / "golden-cores"
FIXTURES = ["grstates", "badlabels"]

#: `wslgo goroutines BIN CORE ARGS` views.
CLI_VIEWS: dict[str, list[str]] = {
    "list": [],
    "full": ["-f"],
    "group": ["-g"],
    "json": ["--json"],
    "json-pretty": ["--json", "--pretty"],
    "json-group": ["--json", "-g"],
    "jsonl": ["--jsonl"],
    "jsonl-group": ["--jsonl", "-g"],
    "dead": ["--dead"],
    "user": ["-u"],
    "top": ["--top", "-d", "2", "-f"],
    "state": ["-s", "chan", "-w", "receive"],
    "state-none": ["-s", "nosuchstate"],
    "func": ["--func", r"main\.\w+$", "-f"],
    "func-file": ["--func", r"main\.go:\d+$"],
    "labels": ["-L", "shard"],
    "ids": ["--id", "1", "--id", "2", "-f"],
    "ids-missing": ["--id", "1", "--id", "999999"],
    "depth": ["-d", "1", "-g"],
    "min-wait": ["--min-wait", "0s"],
}

#: gdb commands on the core (each view between markers).
GDB_VIEWS: dict[str, str] = {
    "bt": "wslgo-bt",
    "bt-list": "wslgo-bt -l",
    "bt-all": "wslgo-bt all",
    "bt-group": "wslgo-bt -g",
    "bt-json": "wslgo-bt --json",
    "bt-jsonl": "wslgo-bt --jsonl",
    "bt-user": "wslgo-bt -l -u",
    "bt-state": "wslgo-bt -l -s chan",
    "bt-id": "wslgo-bt 1",
    "info-goroutines": "info goroutines",
    "goroutine-1-bt": "goroutine 1 bt",
}


def cores(version: str) -> list[tuple[str, Path, Path]]:
    """(fixture, binary, core) per fixture, the core made once per binary."""
    out = []
    for name in FIXTURES:
        binary = gofixtures.build(name, version, "debug")
        d = CORES / version / name / binary.parent.name
        core = next(iter(sorted(d.glob("core*"))), None) if d.is_dir() else None
        if core is None:
            d.mkdir(parents=True, exist_ok=True)
            core, _ = make_core(binary, d, "crash")
        out.append((name, binary, core))
    return out


def views(version: str) -> dict[str, str]:
    """Every view's output (stdout, then stderr after a marker line) by name."""
    got: dict[str, str] = {}
    import wslgo

    for name, binary, core in cores(version):
        for view, args in CLI_VIEWS.items():
            p = subprocess.run(
                ["wslgo", "goroutines", str(binary), str(core), *args],
                capture_output=True,
                text=True,
                env=dict(os.environ, COLUMNS="100"),
            )
            got[f"{name}-cli-{view}"] = f"{p.stdout}--- stderr (rc {p.returncode})\n{p.stderr}"
        cmds = [f"core-file {core}"]
        for view, cmd in GDB_VIEWS.items():
            cmds += [f"echo BEGIN-{view}\\n", cmd, f"echo END-{view}\\n"]
        r = run_gdb(cmds, binary=binary, source=wslgo.GDB_ENTRY)
        out = r.stdout + "--- stderr\n" + r.stderr
        for view in GDB_VIEWS:
            start = f"BEGIN-{view}\n"
            i = out.find(start)
            j = out.find(f"END-{view}\n", i)
            got[f"{name}-gdb-{view}"] = out[i + len(start) : j] if i >= 0 and j >= 0 else out
        got[f"{name}-gdb-stop-and-stderr"] = out[: out.find("BEGIN-")] + out[out.rfind("END-") :]
    return got


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=["capture", "compare"])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--versions", default="1.21,1.24,1.27")
    a = ap.parse_args()
    bad = 0
    for v in a.versions.split(","):
        for view, text in views(v).items():
            f = a.dir / v / f"{view}.txt"
            if a.action == "capture":
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_text(text)
                continue
            want = f.read_text() if f.exists() else "<no golden>\n"
            if want != text:
                bad += 1
                sys.stdout.writelines(
                    difflib.unified_diff(
                        want.splitlines(True), text.splitlines(True), str(f), "now", n=1
                    )
                )
    if a.action == "compare":
        print(f"{bad} views differ" if bad else "every view is byte-identical")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
