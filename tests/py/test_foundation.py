"""Foundation: the wheel loads in gdb's own Python, the loader's fallbacks, the CLI."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import wslgo
from conftest import ROOT, build, run_gdb

#: The version, set in Cargo.toml only (the wheel's metadata and the native module take it
#: from there; the package's __version__ must agree).
VERSION = re.findall(r'(?m)^version = "([^"]+)"', (ROOT / "Cargo.toml").read_text())[0]

PRINT_NATIVE = (
    "python import sys, wslgo._native as n; "
    "print('NATIVE=' + n.__file__); print('GDBPY=' + sys.version.split()[0] + ' ' + sys.prefix)"
)


def field(out: str, key: str) -> str:
    for line in out.splitlines():
        if line.startswith(key + "="):
            return line[len(key) + 1 :]
    raise AssertionError(f"{key}= not in output:\n{out}")


def test_native_module_comes_from_the_pip_installed_wheel(gdb_run) -> None:
    pip_native = subprocess.run(
        # the interpreter running the tests: its wheel's wslgo.py is the one gdb sources
        [sys.executable, "-c", "import wslgo._native as n; print(n.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    r = gdb_run([PRINT_NATIVE, "wslgo-version"])
    assert r.returncode == 0, r.output
    assert field(r.stdout, "NATIVE") == pip_native
    assert pip_native.endswith("_native.abi3.so")
    # gdb's embedded interpreter is not the one pip installed into.
    gdb_py = field(r.stdout, "GDBPY")
    assert not gdb_py.endswith(sys.prefix), (gdb_py, sys.prefix)
    assert f"wslgo {VERSION} (native {VERSION})" in r.stdout


def test_checkout_entry_finds_installed_package_through_python3(
    gdb_path: str, tmp_path: Path
) -> None:
    # The checkout's loader, as in a fresh clone (no native module built in the tree; a
    # `maturin develop` checkout would legitimately load its own build first).
    entry = tmp_path / "gdbinit.d" / "wslgo.py"
    entry.parent.mkdir()
    shutil.copy(ROOT / "gdbinit.d" / "wslgo.py", entry)
    r = run_gdb([PRINT_NATIVE], source=entry)
    assert r.returncode == 0, r.output
    assert field(r.stdout, "NATIVE") == str(Path(wslgo.native_path()))
    assert "cannot load" not in r.output


def test_wslgo_path_env_is_honoured(gdb_path: str, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(wslgo.PACKAGE_DIR, site / "wslgo")
    entry = ROOT / "gdbinit.d" / "wslgo.py"
    r = run_gdb([PRINT_NATIVE], source=entry, env={"WSLGO_PATH": str(site)})
    assert field(r.stdout, "NATIVE") == str(site / "wslgo" / "_native.abi3.so")


def broken_copy(tmp_path: Path, how: str) -> Path:
    site = tmp_path / "site"
    shutil.copytree(wslgo.PACKAGE_DIR, site / "wslgo")
    so = site / "wslgo" / "_native.abi3.so"
    if how == "missing":
        so.unlink()
    elif how == "garbage":
        so.write_bytes(b"\x7fELF garbage, not a shared object")
    elif how == "wrong-abi":
        # A real shared object that is not a CPython extension of this name/ABI.
        libz = next(p for p in Path("/lib/x86_64-linux-gnu").glob("libz.so.1*"))
        shutil.copy(libz, so)
    # A `python3` on PATH that knows no wslgo, so every fallback fails.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "python3"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    return site


@pytest.mark.parametrize("how", ["missing", "garbage", "wrong-abi"])
def test_broken_install_prints_one_line_and_gdb_keeps_working(
    gdb_path: str, tmp_path: Path, how: str
) -> None:
    site = broken_copy(tmp_path, how)
    env = {
        "WSLGO_PATH": str(site),
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
    }
    r = run_gdb(
        ["print 6*7", "python print('STILL-ALIVE')"],
        source=site / "wslgo" / "gdbinit" / "wslgo.py",
        env=env,
    )
    assert r.returncode == 0, r.output
    lines = [ln for ln in r.output.splitlines() if ln.startswith("wslgo:")]
    assert len(lines) == 1, r.output
    assert "cannot load the wslgo package or its native module" in lines[0]
    assert "pip install" in lines[0]
    assert "Traceback" not in r.output
    assert "$1 = 42" in r.stdout
    assert "STILL-ALIVE" in r.stdout


def test_gdbinit_install_is_idempotent(tmp_path: Path) -> None:
    env = dict(os.environ, HOME=str(tmp_path))
    for _ in range(2):
        subprocess.run(["wslgo", "gdbinit", "--install"], env=env, check=True, capture_output=True)
    text = (tmp_path / ".gdbinit").read_text()
    line = subprocess.run(
        ["wslgo", "gdbinit"], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    assert text.splitlines().count(line) == 1, text
    assert line == f"source {wslgo.GDB_ENTRY}"
    assert len([ln for ln in text.splitlines() if "wslgo.py" in ln]) == 1


def test_gdbinit_install_keeps_other_lines_and_replaces_stale_path(tmp_path: Path) -> None:
    (tmp_path / ".gdbinit").write_text(
        "set history save on\nsource /old/venv/site-packages/wslgo/gdbinit/wslgo.py\n"
    )
    env = dict(os.environ, HOME=str(tmp_path))
    out = subprocess.run(
        ["wslgo", "gdbinit", "--install"], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert "updated" in out
    lines = (tmp_path / ".gdbinit").read_text().splitlines()
    assert lines == ["set history save on", f"source {wslgo.GDB_ENTRY}"]


def test_loading_a_go_binary_says_one_line(gdb_run, go_version: str) -> None:
    with_dwarf = build("hello", go_version, "debug")
    without = build("hello", go_version, "nodwarf")
    r = gdb_run([f"file {with_dwarf}", f"file {without}"])
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("wslgo:")]
    assert len(lines) == 2, r.output
    assert f"go{go_version}" in lines[0] and "DWARF present" in lines[0]
    assert f"go{go_version}" in lines[1] and "no DWARF" in lines[1]


def test_non_go_binary_is_quiet(gdb_run) -> None:
    r = gdb_run(["file /bin/true", "wslgo-info"])
    assert not [ln for ln in r.stdout.splitlines() if ln.startswith("wslgo:")]
    assert "is not a Go program" in r.stderr


def test_help_lists_commands_and_errors_are_one_line(gdb_run) -> None:
    r = gdb_run(["help wslgo", "wslgo-info --bogus"])
    assert "wslgo-version" in r.stdout and "wslgo-info" in r.stdout
    err = [ln for ln in r.stderr.splitlines() if "wslgo-info" in ln]
    assert err == ["wslgo-info: unrecognized arguments: --bogus (see `help wslgo-info`)"], r.stderr


def test_cli_version_and_help() -> None:
    out = subprocess.run(["wslgo", "version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith(f"wslgo {VERSION} (native {VERSION} at ")
    r = subprocess.run(["wslgo"], capture_output=True, text=True)
    assert r.returncode == 2 and "gdbinit" in r.stdout
