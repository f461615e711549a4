"""pytest harness: Go fixtures per version and mode, and real `gdb -nx -batch` runs.

Go versions come from $WSLGO_GO_VERSIONS: "default" (1.21, 1.24, newest), "all", or a comma
list ("1.22,1.25"). Tests that take a ``go_version`` argument run once per version.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gofixtures  # noqa: E402

ROOT = HERE.parent
DEFAULT_VERSIONS = ["1.21", "1.24", "1.27"]
ALL_VERSIONS = ["1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27"]


def selected_versions() -> list[str]:
    raw = os.environ.get("WSLGO_GO_VERSIONS", "default").strip()
    out: list[str] = []
    for part in raw.replace(" ", ",").split(","):
        if part == "default" or not part:
            out += DEFAULT_VERSIONS if part else []
        elif part == "all":
            out += ALL_VERSIONS
        else:
            out.append(".".join(part.removeprefix("go").split(".")[:2]))
    return list(dict.fromkeys(out)) or DEFAULT_VERSIONS


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "go_version" in metafunc.fixturenames:
        metafunc.parametrize("go_version", selected_versions())


@pytest.fixture(scope="session")
def gdb_path() -> str:
    path = shutil.which("gdb")
    if not path:  # CI installs gdb; a missing one is a setup failure, not a skip
        pytest.fail("gdb is not installed (scripts/test installs it)")
    return path


@pytest.fixture(scope="session")
def wslgo_entry() -> Path:
    """wslgo.py of the installed wheel (the file users source)."""
    import wslgo

    entry = wslgo.GDB_ENTRY
    assert entry.is_file(), f"installed wslgo has no {entry}"
    return entry


def build(name: str, version: str, mode: str = "debug") -> Path:
    """Build (or reuse) tests/go/NAME for Go VERSION in MODE."""
    return gofixtures.build(name, version, mode)


@dataclass
class GdbRun:
    """Result of one gdb batch run."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


QUIET = [
    "-iex",
    "set auto-load python-scripts off",
    "-iex",
    "set auto-load gdb-scripts off",
    "-iex",
    "set pagination off",
    "-iex",
    "set confirm off",
]


def run_gdb(
    commands: Sequence[str],
    *,
    binary: Path | str | None = None,
    source: Path | str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | str | None = None,
    timeout: float = 180,
    early: Sequence[str] = (),
) -> GdbRun:
    """Run `gdb -nx -batch`, sourcing ``source`` (wslgo.py) first, then ``commands``."""
    argv = ["gdb", "-nx", "-batch", *QUIET]
    for c in early:
        argv += ["-iex", c]
    if source is not None:
        argv += ["-ex", f"source {source}"]
    if binary is not None:
        argv += ["-ex", f"file {binary}"]
    for c in commands:
        argv += ["-ex", c]
    full_env = dict(os.environ)
    full_env.pop("GOTRACEBACK", None)
    if env:
        full_env.update(env)
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )
    return GdbRun(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def gdb_run(gdb_path: str, wslgo_entry: Path):  # noqa: ANN201
    """Callable: run gdb with the installed wslgo.py sourced."""

    def _run(commands: Sequence[str], **kw: object) -> GdbRun:
        kw.setdefault("source", wslgo_entry)
        return run_gdb(commands, **kw)  # type: ignore[arg-type]

    return _run
