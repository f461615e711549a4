"""The session on arm64 under qemu's gdb stub (helpers of test_arm64.py): gdb's own `next`
from a Go breakpoint stop reaches the user's next line (on arm64 the return address into
runtime.Breakpoint starts its last line)."""

from __future__ import annotations

import re
from pathlib import Path

import gofixtures
import pytest
from test_arm64 import GDB_MULTIARCH, QEMU, first_version_only, qemu_live
from wslgo_testing.gdb import marked, section
from wslgo_testing.sources import line_of

pytestmark = pytest.mark.skipif(
    QEMU is None or GDB_MULTIARCH is None, reason="qemu-aarch64 / gdb-multiarch not installed"
)


def test_arm64_next_from_a_go_breakpoint(
    go_version: str, wslgo_entry: Path, tmp_path: Path
) -> None:
    first_version_only(go_version)
    binary = gofixtures.build("hkbreak", go_version, "debug", goarch="arm64")
    r = qemu_live(
        binary,
        ["set wslgo stop-context off", "continue", *marked("N", "next"), "continue", "continue"],
        wslgo_entry,
        tmp_path,
    )
    out = r.gdb.stdout
    at = section(out, "N")
    # from the breakpoint's line in the loop, `next` goes to the loop's line, in main.main
    loop = line_of("hkbreak", "BREAK-HERE") - 2
    assert re.findall(r"^(\d+)\t", at, re.M) == [str(loop)], r.gdb.output
    assert "runtime" not in at and "proc.go" not in at, r.gdb.output
    assert "exited normally" in r.gdb.output, r.gdb.output
