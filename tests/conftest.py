"""pytest harness: Go fixtures per version and mode, and real `gdb -nx -batch` runs.

Go versions come from $WSLGO_GO_VERSIONS: "default", "all", or a comma list ("1.22,1.25"),
expanded by scripts/go-toolchains. Tests that take a ``go_version`` argument run once per
version. The helpers live in the wslgo_testing package; the names below stay importable from
conftest for the test modules.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# The shared oracle checks report the values they compared, as the tests' own asserts do.
pytest.register_assert_rewrite("wslgo_testing.waits")

import gofixtures  # noqa: E402
from wslgo_testing.gdb import QUIET, GdbRun, run_gdb  # noqa: E402
from wslgo_testing.versions import selected_versions  # noqa: E402

__all__ = ["ROOT", "QUIET", "GdbRun", "build", "run_gdb", "selected_versions"]

ROOT = HERE.parent

# Subprocesses that run `wslgo` or `python3` get those of the interpreter under test (its
# venv's bin first), not whatever else PATH holds.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


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


@pytest.fixture
def gdb_run(gdb_path: str, wslgo_entry: Path):  # noqa: ANN201
    """Callable: run gdb with the installed wslgo.py sourced."""

    def _run(commands: Sequence[str], **kw: object) -> GdbRun:
        kw.setdefault("source", wslgo_entry)
        return run_gdb(commands, **kw)  # type: ignore[arg-type]

    return _run
