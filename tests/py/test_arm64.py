"""linux/arm64 under qemu-user: the goroutine oracle on cores qemu writes
(`qemu_PROG_DATE_PID.core`, GOTRACEBACK=crash), fixtures cross-built with GOARCH=arm64
CGO_ENABLED=0. Skipped when qemu-aarch64 is not installed (`scripts/test --arch arm64`
installs Debian's qemu-user)."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
from pathlib import Path

import gofixtures
import pytest
from wslgo import _native, report
from wslgo_testing.traceback import compare, ours_frames, parse_dump
from wslgo_testing.versions import selected_versions

QEMU = shutil.which("qemu-aarch64")
pytestmark = pytest.mark.skipif(QEMU is None, reason="qemu-aarch64 not installed")


def qemu_core(binary: Path, cwd: Path) -> tuple[Path, str]:
    """Run the arm64 ``binary crash`` under qemu-aarch64 until it aborts; qemu writes
    qemu_PROG_DATE_PID.core into ``cwd``."""
    assert QEMU is not None
    env = dict(os.environ, GOTRACEBACK="crash")
    env.pop("WSLGO_STACK_FILE", None)

    def unlimited() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY,) * 2)

    proc = subprocess.run(
        [QEMU, str(binary), "crash"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=unlimited,
    )
    assert proc.returncode != 0, proc
    cores = sorted(cwd.glob("qemu_*.core"))
    assert cores, f"qemu wrote no core in {cwd}: {proc.stderr[-500:]}"
    return cores[0], proc.stderr


@pytest.mark.parametrize("mode", ["debug", "opt", "nodwarf", "stripped"])
def test_arm64_core_matches_crash_dump(go_version: str, mode: str, tmp_path: Path) -> None:
    if os.environ.get("WSLGO_ARM64", "all") != "all" and go_version != selected_versions()[0]:
        pytest.skip("arm64 on the first Go version only (scripts/test --arch arm64: all)")
    binary = gofixtures.build("grstates", go_version, mode, goarch="arm64")
    core, stderr = qemu_core(binary, tmp_path)
    dumped = parse_dump(stderr)
    gs = _native.Core(binary, core).goroutines()
    # Every parked goroutine: id, wait reason, frames and `created by` as the runtime dumped.
    assert compare(gs, dumped, skip={1}) >= 20
    assert sorted(g["goid"] for g in gs) == sorted(dumped), (sorted(dumped), len(gs))


def test_arm64_crashing_goroutine_stack(tmp_path: Path) -> None:
    """The goroutine that dereferenced nil: its full stack (panic, sigpanic, main.main, ...)
    as the runtime dumped it, through the signal frames the crash left."""
    version = selected_versions()[0]
    binary = gofixtures.build("grstates", version, "opt", goarch="arm64")
    core, stderr = qemu_core(binary, tmp_path)
    dumped = parse_dump(stderr)
    cur = [g for g in _native.Core(binary, core).goroutines() if g["current"]]
    assert len(cur) == 1, cur
    assert report.user_frame(cur[0])["func"] == "main.main", cur[0]["frames"]
    # The dump starts at the panic; ours also shows the crash machinery above it (raise,
    # dieFromSignal, the signal frame): the goroutine's own frames must end ours.
    want = dumped[cur[0]["goid"]].frames
    # The runtime prints runtime.gopanic as `panic`.
    mine = [("panic", *f[1:]) if f[0] == "runtime.gopanic" else f for f in ours_frames(cur[0])]
    assert mine[-len(want) :] == want, (mine, want)
