"""The test harness itself: one copy of each helper, and the shell copy of the gdb flags
equal to the Python one."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from conftest import ROOT
from wslgo_testing.gdb import GDB_BATCH
from wslgo_testing.versions import selected_versions, toolchains

TESTS = ROOT / "tests" / "py"


def test_scripts_use_the_same_gdb_flags_as_the_tests() -> None:
    out = subprocess.run(
        ["bash", "-c", 'source scripts/lib.sh && printf "%s\\n" "${GDB_QUIET[@]}"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ["gdb", *out.splitlines()] == GDB_BATCH


def test_test_modules_do_not_import_each_other() -> None:
    modules = {p.stem for p in TESTS.glob("*.py")}
    bad = []
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module.split(".")[0]]
            bad += [f"{path.name} imports {n}" for n in names if n in modules]
    assert not bad, bad


def test_versions_come_from_the_toolchain_pins(monkeypatch) -> None:  # noqa: ANN001
    pins = toolchains().PINS
    monkeypatch.setenv("WSLGO_GO_VERSIONS", "all")
    assert selected_versions() == [".".join(p.split(".")[:2]) for p in pins]
    monkeypatch.setenv("WSLGO_GO_VERSIONS", "1.24.11,1.22")
    assert selected_versions() == ["1.24", "1.22"]


def test_no_gdb_command_line_outside_the_support_package() -> None:
    """Batch gdb runs in tests and benches start from wslgo_testing.gdb.GDB_BATCH."""
    offenders = []
    for path in [*TESTS.glob("*.py"), *(ROOT / "bench").glob("*.py")]:
        if path != Path(__file__).resolve() and '"-nx"' in path.read_text():
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
