"""Trust boundaries (issue 8): the loader never runs code from the current directory,
`wslgo gdbinit --install` only touches its own lines, odd files and arguments get one clear
line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import wslgo
from conftest import ROOT, run_gdb

PRINT_NATIVE = "python import wslgo._native as n; print('NATIVE=' + n.__file__)"


def trap(tmp_path: Path) -> tuple[Path, Path]:
    """A directory holding a `wslgo` package and a `python3` that leave a marker when run."""
    cwd = tmp_path / "v"
    (cwd / "wslgo").mkdir(parents=True)
    marker = tmp_path / "PWNED"
    (cwd / "wslgo" / "__init__.py").write_text(f"open({str(marker)!r}, 'a').write('init\\n')\n")
    fake = cwd / "python3"
    fake.write_text(f"#!/bin/sh\necho python3 >> '{marker}'\nexit 1\n")
    fake.chmod(0o755)
    return cwd, marker


def checkout_loader(tmp_path: Path) -> Path:
    """The checkout's loader as in a fresh clone: no native module next to it."""
    entry = tmp_path / "checkout" / "gdbinit.d" / "wslgo.py"
    entry.parent.mkdir(parents=True)
    shutil.copy(ROOT / "gdbinit.d" / "wslgo.py", entry)
    return entry


@pytest.mark.parametrize(
    "path_prefix",
    ["", ".:", "::", "bin:.:"],
    ids=["plain", "dot-first", "empty-entry", "relative-entries"],
)
def test_loader_never_runs_code_from_the_cwd(
    gdb_path: str, tmp_path: Path, path_prefix: str
) -> None:
    cwd, marker = trap(tmp_path)
    (cwd / "bin").mkdir()
    shutil.copy(cwd / "python3", cwd / "bin" / "python3")
    venv_bin = str(Path(sys.executable).parent)
    env = {"PATH": f"{path_prefix}{venv_bin}:/usr/bin:/bin"}
    r = run_gdb([PRINT_NATIVE, "print 6*7"], source=checkout_loader(tmp_path), env=env, cwd=cwd)
    assert not marker.exists(), marker.read_text() + r.output
    # The fallback found the installed distribution, not the trap.
    assert f"NATIVE={wslgo.native_path()}" in r.stdout, r.output
    assert "$1 = 42" in r.stdout, r.output
