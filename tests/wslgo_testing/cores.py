"""Core files written by real Go programs (GOTRACEBACK=crash, core dumps on)."""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

from .traceback import Dumped, parse_dump

CORE_PATTERN = Path("/proc/sys/kernel/core_pattern")


def _unlimited_cores() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def make_core(binary: Path, cwd: Path, *args: str, timeout: float = 60) -> tuple[Path, str]:
    """Run ``binary ARGS`` in ``cwd`` with GOTRACEBACK=crash until it aborts; returns the
    core it wrote there and its stderr (the Go traceback)."""
    pattern = CORE_PATTERN.read_text().strip()
    assert not pattern.startswith("|") and "/" not in pattern, (
        f"core_pattern {pattern!r} does not write cores into the cwd"
    )
    env = dict(os.environ, GOTRACEBACK="crash")
    env.pop("WSLGO_STACK_FILE", None)
    proc = subprocess.run(
        [str(binary), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_unlimited_cores,
    )
    assert proc.returncode < 0, proc  # killed by SIGABRT
    cores = sorted(cwd.glob("core*"))
    assert cores, f"no core in {cwd} (core_pattern {pattern!r})"
    return cores[0], proc.stderr


def crash_core(binary: Path, cwd: Path) -> tuple[Path, dict[int, Dumped]]:
    """:func:`make_core` of a fixture that crashes on its `crash` argument, with the
    goroutines of its Go traceback."""
    core, stderr = make_core(binary, cwd, "crash")
    return core, parse_dump(stderr)
