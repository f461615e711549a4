"""Go's own gdb tests (GOROOT/src/runtime/runtime-gdb_test.go of the installed toolchain)
pass with wslgo in place of runtime-gdb.py: scripts/go-gdb-tests puts its gdb wrapper first
on PATH and runs `go test -run TestGdb runtime` in that toolchain's GOROOT."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT

#: `go test runtime` per release takes minutes: scripts/test --slow and scripts/matrix run it.
pytestmark = pytest.mark.slow

#: Go's tests that run on amd64 in every pinned toolchain (TestGdbInfCallstack is arm64
#: only; Go marks TestGdbCoreCrashThreadBacktrace flaky and skips it).
EXPECTED = (
    "TestGdbPython",
    "TestGdbPythonCgo",
    "TestGdbBacktrace",
    "TestGdbAutotmpTypes",
    "TestGdbConst",
    "TestGdbPanic",
    "TestGdbCoreSignalBacktrace",
)


def test_go_gdb_tests_pass_with_wslgo(go_version: str) -> None:
    r = subprocess.run(
        ["bash", str(ROOT / "scripts" / "go-gdb-tests"), go_version],
        env=dict(os.environ, PYTHON=sys.executable),
        capture_output=True,
        text=True,
        timeout=1800,
        stdin=subprocess.DEVNULL,
    )
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    for name in EXPECTED:
        assert f"--- PASS: {name} " in out, (name, out)
    assert "--- FAIL" not in out, out
