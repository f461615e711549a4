"""`wslgo diagnose-log` on sample logs written from the real messages of gdb, delve and
VS Code (tests/py/logs), with unknown lines left unknown and counted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from wslgo import diagnose

LOGS = Path(__file__).resolve().parent / "logs"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wslgo.cli", "diagnose-log", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, "WSLGO_CONFIG": "/nonexistent"},
        timeout=60,
    )


def known(path: Path) -> dict[str, list[int]]:
    r = diagnose.diagnose(path.read_text().splitlines())
    return {h.pattern.name: h.lines for h in r.hits}


def test_gdb_log() -> None:
    k = known(LOGS / "gdb.log")
    assert k == {
        "ptrace-denied": [15, 16],
        "oom-killed": [17, 18],
        "pie-memory": [10, 11],
        "source-newer": [13],
        "no-source-file": [3],
        "pending-breakpoint": [4],
        "optimized": [14],
    }
    r = diagnose.diagnose((LOGS / "gdb.log").read_text().splitlines())
    assert [n for n, _ in r.unknown] == [19]  # the line nobody knows stays unknown


def test_delve_log() -> None:
    k = known(LOGS / "delve.log")
    assert k == {
        "api-version": [13],
        "go-too-old-for-delve": [10],
        "ptrace-denied": [11, 12],
        "no-source-file": [5],
        "no-statement": [3],
        "optimized": [8],
    }


def test_vscode_log_text_and_json() -> None:
    p = run(str(LOGS / "vscode-go-wsl.log"))
    assert p.returncode == 1, p.stderr
    out = p.stdout
    assert "econnrefused (line 6): Error: connect ECONNREFUSED 127.0.0.1:2345" in out
    assert "fix:   start it listening on all interfaces (dlv --headless --listen=:2345" in out
    assert "delve-too-old-for-go (line 4)" in out and "dlv@latest" in out
    assert "oom-killed (line 7)" in out and "cause: the process (or the debugger) was killed" in out
    assert "3 known problem(s) in 10 line(s); 2 unknown error/warning line(s)" in out
    assert "unknown line 10: some unrelated error we do not know about" in out
    j = json.loads(run("--json", "-", stdin=(LOGS / "vscode-go-wsl.log").read_text()).stdout)
    assert [x["name"] for x in j["known"]] == [
        "econnrefused",
        "delve-too-old-for-go",
        "oom-killed",
    ]
    assert len(j["unknown"]) == 2 and j["lines"] == 10


def test_clean_log_and_missing_file() -> None:
    p = run("-", stdin="hello\nworld\n")
    assert p.returncode == 0 and "0 known problem(s) in 2 line(s); 0 unknown" in p.stdout
    p = run("/nonexistent/log")
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr


def test_cppdbg_engine_trace() -> None:
    # VS Code's C/C++ extension with "logging": {"engineLogging": true}: MI records
    r = diagnose.diagnose((LOGS / "cppdbg-trace.log").read_text().splitlines())
    assert {h.pattern.name: h.lines for h in r.hits} == {
        "oom-killed": [8, 9],
        "source-newer": [6],
        "no-source-file": [5],
    }
    assert [n for n, _ in r.unknown] == [10]
