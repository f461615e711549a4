"""`wslgo diagnose-log` on sample logs written from the real messages of gdb, delve and
VS Code (tests/py/logs), with unknown lines left unknown and counted."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from wslgo import diagnose

LOGS = Path(__file__).resolve().parent / "logs"


def run(
    *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wslgo.cli", "diagnose-log", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, "WSLGO_CONFIG": "/nonexistent"},
        timeout=timeout,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


def known(path: Path) -> dict[str, list[int]]:
    r = diagnose.diagnose(path.read_text().splitlines())
    return {h.name: h.lines for h in r.hits}


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
    assert {h.name: h.lines for h in r.hits} == {
        "oom-killed": [8, 9],
        "source-newer": [6],
        "no-source-file": [5],
    }
    assert [n for n, _ in r.unknown] == [10]


# ---- every row of the README's table, in its shortest real form ------------------------

#: The README's "you see" spellings -> the shortest real lines gdb, delve and VS Code print
#: for them, and the problem each must be named as.
SHORTEST = {
    "connect ECONNREFUSED 127.0.0.1:2345": [
        ("connect ECONNREFUSED 127.0.0.1:2345", "econnrefused"),
        ("dial tcp 127.0.0.1:2345: connect: connection refused", "econnrefused"),
    ],
    "No source file named C:\\...": [("No source file named C:\\w\\main.go.", "no-source-file")],
    "Unverified breakpoint": [("Unverified breakpoint", "pending-breakpoint")],
    "could not find statement at F:L": [
        ("could not find statement at main.go:3", "no-statement"),
        (
            "Command failed: could not find statement at /a/main.go:36, please use a line "
            "with a statement",
            "no-statement",
        ),
    ],
    "<optimized out>": [("$1 = <optimized out>", "optimized")],
    "Go version ... is too old for this version of Delve": [
        ("Go version go1.19 is too old for this version of Delve", "go-too-old-for-delve")
    ],
    "Version of Delve is too old for Go version": [
        ("Version of Delve is too old for Go version 1.27.0", "delve-too-old-for-go")
    ],
    "API version mismatch": [("API version mismatch", "api-version")],
    "could not launch process: ... operation not permitted": [
        ("could not launch process: operation not permitted", "ptrace-denied"),
        ("could not attach to pid 1: operation not permitted", "ptrace-denied"),
    ],
    "ptrace: Operation not permitted": [("ptrace: Operation not permitted.", "ptrace-denied")],
    "Killed": [("Killed", "oom-killed")],
    "exit code 137": [("exit code 137", "oom-killed")],
    "Cannot access memory at address 0x...": [
        ("Cannot access memory at address 0x1000", "pie-memory")
    ],
    "Source file is more recent than executable": [
        ("warning: Source file is more recent than executable.", "source-newer")
    ],
}


def readme_table_forms() -> list[str]:
    """The messages (in backquotes) of the "you see" column of docs/wsl.md's diagnose-log table."""
    text = (LOGS.parent.parent.parent / "docs" / "wsl.md").read_text()
    table = text.split("| you see | cause | fix |", 1)[1].split("\n\n", 1)[0]
    forms: list[str] = []
    for row in table.splitlines()[2:]:
        got = re.findall(r"`([^`]+)`", row.split("|")[1])
        assert got, f"a README row without a message: {row}"
        forms += got
    return forms


def test_every_readme_row_is_recognised_in_its_shortest_form() -> None:
    forms = readme_table_forms()
    assert sorted(forms) == sorted(SHORTEST), forms
    for form in forms:
        for line, name in SHORTEST[form]:
            r = diagnose.diagnose([line])
            assert [h.name for h in r.hits] == [name], (form, line)


# ---- log bombs, huge logs, odd files, escaping -------------------------------------------

BOMBS = {
    "could not launch process:": 400_000,
    "could not attach to pid 1:": 400_000,
    "Breakpoint 1 (": 40_000 * len("Breakpoint 1 ("),
}


@pytest.mark.parametrize("unit", list(BOMBS))
def test_log_bombs_finish(tmp_path: Path, unit: str) -> None:
    log = tmp_path / "bomb.log"
    log.write_text(unit * (BOMBS[unit] // len(unit)) + "\nKilled\n")
    t0 = time.monotonic()
    p = run(str(log), "--json")
    took = time.monotonic() - t0  # reported by -s; bench/ has no timing gate for it
    print(f"{unit!r}: {took:.2f}s")
    assert p.returncode == 1, p.stderr
    j = json.loads(p.stdout)
    assert [k["name"] for k in j["known"]] == ["oom-killed"] and j["lines"] == 2


def test_a_big_log_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    block = "".join(f"frame {i}: plain output line\n" for i in range(1000))
    with log.open("w") as f:
        for _ in range(120 * 1024 * 1024 // len(block)):
            f.write(block)
        f.write("ptrace: Operation not permitted.\n")

    def limit() -> None:  # the whole log would not fit; streaming needs far less
        resource.setrlimit(resource.RLIMIT_AS, (100 << 20, 100 << 20))

    p = subprocess.run(
        [sys.executable, "-m", "wslgo.cli", "diagnose-log", str(log)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,
        stdin=subprocess.DEVNULL,
    )
    assert p.returncode == 1, p.stderr
    assert "ptrace-denied (line" in p.stdout and "1 known problem(s)" in p.stdout


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory"])
def test_odd_files_are_refused_unless_stdin(tmp_path: Path, kind: str) -> None:
    odd = {"fifo": tmp_path / "log", "dev-zero": Path("/dev/zero"), "directory": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(odd)
    p = run(str(odd), timeout=30)
    assert p.returncode == 1 and p.stderr.count("\n") == 1, p.stderr
    assert "not a log file (use - to read standard input)" in p.stderr
    p = run("-", stdin="Killed\n")  # a pipe on stdin is fine
    assert p.returncode == 1 and "oom-killed (line 1)" in p.stdout


def test_echoed_lines_are_escaped(tmp_path: Path) -> None:
    log = (
        "error: \x1b]0;PWNED\x07 \u202e boom\n"
        "Killed \x1b[2J\n"
        "ptrace: Operation not permitted \x1b[31m\n"
    )
    p = run("-", stdin=log)
    out = p.stdout
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out, out
    assert "unknown line 1: error: \\x1b]0;PWNED\\x07 \\u{202e} boom" in out, out
    assert "ptrace-denied (line 3): ptrace: Operation not permitted \\x1b[31m" in out
    j = json.loads(run("-", "--json", stdin=log).stdout)
    assert j["unknown"][0]["text"] == "error: \x1b]0;PWNED\x07 \u202e boom"  # raw in JSON


def test_a_windows_path_is_echoed_as_written() -> None:
    p = run("-", stdin="No source file named C:\\work\\app\\main.go.\n")
    assert "no-source-file (line 1): No source file named C:\\work\\app\\main.go." in p.stdout
