"""Core files written by real Go programs (GOTRACEBACK=crash, core dumps on)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from .traceback import Dumped, compare, parse_dump

CORE_PATTERN = Path("/proc/sys/kernel/core_pattern")


def unlimited_cores() -> None:
    """In a child before exec: no limit on the size of its core."""
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def crash_env(**extra: str) -> dict[str, str]:
    """The environment of a fixture that is to dump a core: GOTRACEBACK=crash, no
    WSLGO_STACK_FILE, and ``extra``."""
    env = dict(os.environ, GOTRACEBACK="crash", **extra)
    env.pop("WSLGO_STACK_FILE", None)
    return env


def gcore(pid: int, out: Path) -> Path:
    """A gcore core of process ``pid`` (``out.PID``)."""
    subprocess.run(
        ["gcore", "-o", str(out), str(pid)], check=True, capture_output=True, timeout=120
    )
    return Path(f"{out}.{pid}")


def make_core(binary: Path, cwd: Path, *args: str, timeout: float = 60) -> tuple[Path, str]:
    """Run ``binary ARGS`` in ``cwd`` with GOTRACEBACK=crash until it aborts; returns the
    core it wrote there and its stderr (the Go traceback)."""
    pattern = CORE_PATTERN.read_text().strip()
    assert not pattern.startswith("|") and "/" not in pattern, (
        f"core_pattern {pattern!r} does not write cores into the cwd"
    )
    proc = subprocess.run(
        [str(binary), *args],
        cwd=cwd,
        env=crash_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=unlimited_cores,
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


#: The objcopy that reads each GOARCH's ELF: Debian's binutils reads only the host's (amd64);
#: binutils-aarch64-linux-gnu brings the aarch64 one (scripts/lib.sh ensure_qemu).
OBJCOPY = {"amd64": "objcopy", "arm64": "aarch64-linux-gnu-objcopy"}


def strip_copy(binary: Path, out: Path, goarch: str = "amd64") -> Path:
    """``objcopy --strip-all`` of ``binary`` into ``out``: no .symtab or DWARF, the same
    code, and the build id notes (Go's and the ELF's) kept, as a release pipeline strips."""
    subprocess.run([OBJCOPY[goarch], "--strip-all", str(binary), str(out)], check=True)
    return out


def check_symbols_option(
    stripped: Path, core: Path, unstripped: Path, other: Path, dumped: dict[int, Dumped]
) -> None:
    """`wslgo goroutines --symbols UNSTRIPPED STRIPPED CORE` lists what the stripped binary
    alone and the unstripped one list on the same core (ids, states, frames), the runtime's
    dump agrees, and ``other`` (another build of the same sources) is refused with one
    line."""
    base = [sys.executable, "-m", "wslgo.cli", "goroutines"]
    cli = [*base, str(stripped), str(core), "--json"]
    alone = subprocess.run(cli, capture_output=True, text=True)
    assert alone.returncode == 0, alone.stderr
    with_syms = subprocess.run([*cli, "--symbols", str(unstripped)], capture_output=True, text=True)
    assert with_syms.returncode == 0, with_syms.stderr
    full = subprocess.run(
        [*base, str(unstripped), str(core), "--json"], capture_output=True, text=True
    )
    assert full.returncode == 0, full.stderr

    def key(out: str) -> list[tuple[int, str, list[str]]]:
        gs = json.loads(out)["goroutines"]
        return sorted((g["goid"], g["state"], [f["func"] for f in g["frames"]]) for g in gs)

    assert key(alone.stdout) == key(with_syms.stdout) == key(full.stdout)
    assert compare(json.loads(with_syms.stdout)["goroutines"], dumped, skip={1}) >= 20
    r = subprocess.run([*cli, "--symbols", str(other)], capture_output=True, text=True)
    assert r.returncode != 0
    assert "is another build than" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
