"""bench/common.py's anchor rows: a row is a time only when the anchor's own output shows
the work (delve's goroutine count); a run that failed says `failed: REASON`, never a time.
The anchors here are fake delves answering as delve does (pkg/terminal/command.go)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import common  # noqa: E402

TOO_OLD = (
    "could not open debugged process: Go version go1.24.11 is too old for this version of "
    "Delve (minimum supported version 1.25, suppress this error with --check-go-version=false)"
)
NOT_A_TERMINAL = (
    "Stdin is not a terminal, use '-r' to specify redirects for the target process or "
    "--allow-non-terminal-interactive=true if you really want to specify a redirect for Delve"
)
LIST = "".join(f"  Goroutine {i} - User: main.go:10 main.work (0x4b2100)\n" for i in range(1, 6))
GROUPED = (
    "main.go:10 main.work\n\tGoroutine 1 - ...\n\tTotal: 3\n\n"
    "proc.go:1 runtime.gopark\n\tTotal: 2\n"
)


def fake(tmp_path: Path, out: str, rc: int, to_stderr: bool = False) -> list[str]:
    p = tmp_path / "dlv"
    (tmp_path / "out.txt").write_text(out)
    redirect = " >&2" if to_stderr else ""
    p.write_text(f"#!/bin/sh\ncat {tmp_path / 'out.txt'}{redirect}\nexit {rc}\n")
    p.chmod(0o755)
    return [str(p)]


def rows(tmp_path: Path, cmd: list[str], want: int, repeat: int = 2) -> list[str]:
    runs = []
    for i in range(repeat):
        out = tmp_path / f"run{i}.out"
        run = common.measure(cmd, stdout=out, stderr_too=True, timeout=30)
        runs.append((run, out.read_text()))
    return common.anchor_row(runs, common.dlv_goroutines, want)


@pytest.mark.parametrize(
    ("output", "rc", "reason"),
    [
        (TOO_OLD + "\n", 1, "failed: exit 1: " + TOO_OLD[:100]),
        (NOT_A_TERMINAL + "\n", 1, "failed: exit 1: Stdin is not a terminal, use '-r'"),
        # delve ran its init script but listed nothing: no count, no time
        ("Type 'help' for list of commands.\n", 0, "failed: no goroutine count in its output"),
        (LIST + "[5 goroutines]\n", 0, "failed: counted 5 goroutines, the program has 1,000+"),
    ],
)
def test_failed_anchor_is_never_a_time(output: str, rc: int, reason: str, tmp_path: Path) -> None:
    got = rows(tmp_path, fake(tmp_path, output, rc, to_stderr=rc != 0), 1000)
    assert got[0].startswith(reason), got
    assert got[1:] == ["-", "-"], got
    assert not re.search(r"\d\.\d+ s\b|MiB", got[0]), got


def test_anchor_that_did_the_work_is_timed(tmp_path: Path) -> None:
    got = rows(tmp_path, fake(tmp_path, LIST + "[5 goroutines]\n", 0), 5)
    assert got[0].endswith(" s") and got[1].endswith(" s") and got[2].endswith(" MiB"), got
    assert common.dlv_goroutines(GROUPED) == 5
    got = rows(tmp_path, fake(tmp_path, GROUPED, 0), 5)
    assert got[0].endswith(" s"), got


def test_one_failed_repeat_fails_the_row(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ok = fake(tmp_path / "a", LIST + "[5 goroutines]\n", 0)
    bad = fake(tmp_path / "b", TOO_OLD, 1)
    runs = []
    for cmd in (ok, bad):
        out = tmp_path / "x.out"
        run = common.measure(cmd, stdout=out, stderr_too=True, timeout=30)
        runs.append((run, out.read_text()))
    assert common.anchor_row(runs, common.dlv_goroutines, 5)[0].startswith("failed: exit 1:")
