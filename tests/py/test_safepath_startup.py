"""runtime-gdb.py's safe-path warning is gone with wslgo sourced from a real ~/.gdbinit, for
every way of starting gdb on a Go program: the file, a core (`gdb BIN CORE`, `gdb -c CORE
BIN`, `core` later), a process (`gdb -p PID`, `attach` later), `--args`, `-ex file` and the
MI. gdb by itself prints it in each case, so each case can fail."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import build
from wslgo_testing.gdb import GDB_BATCH
from wslgo_testing.versions import newest

DECLINED = "auto-loading has been declined by your `auto-load safe-path'"


@pytest.fixture
def attached(go_version: str, tmp_path: Path) -> Iterator[tuple[Path, int, Path]]:
    """(the program, a running process of it, a core of that process)."""
    exe = build("hkattach", go_version)
    p = subprocess.Popen([str(exe)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert p.stdout is not None and "ready" in p.stdout.readline()
        core = tmp_path / "core"
        r = subprocess.run(
            [*GDB_BATCH, "-p", str(p.pid), "-ex", f"generate-core-file {core}"],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert core.is_file(), r.stdout + r.stderr
        yield exe, p.pid, core
    finally:
        p.kill()
        p.wait()


def _gdb(home: Path, args: list[str]) -> str:
    """gdb as a user runs it: no -nx, so HOME's .gdbinit is read; auto-loading on. MI
    commands (``-file-exec-and-symbols``) go to its stdin, as an IDE sends them."""
    env = {**os.environ, "HOME": str(home)}
    mi = [a for a in args if a.startswith("-file-")]
    r = subprocess.run(
        ["gdb", *([] if mi else ["-batch"]), *[a for a in args if a not in mi]],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        input="".join(f"{c}\n" for c in [*mi, "-gdb-exit"]) if mi else None,
        stdin=None if mi else subprocess.DEVNULL,
        cwd=home,
    )
    return r.stdout + r.stderr


def test_no_safe_path_warning_however_gdb_starts(
    attached: tuple[Path, int, Path], tmp_path: Path, wslgo_entry: Path, go_version: str
) -> None:
    exe, pid, core = attached
    ours, plain = tmp_path / "home", tmp_path / "plain"
    ours.mkdir()
    plain.mkdir()
    (ours / ".gdbinit").write_text(f"source {wslgo_entry}\n")
    mi = "--interpreter=mi3"
    ways = {
        "file": [str(exe)],
        "bin core": [str(exe), str(core)],
        "-c core bin": ["-c", str(core), str(exe)],
        "-p pid": ["-p", str(pid)],
        "--args": ["--args", str(exe), "x"],
        "-ex file": ["-ex", f"file {exe}"],
        "-ex file, core": ["-ex", f"file {exe}", "-ex", f"core {core}"],
        "-ex attach": ["-ex", f"attach {pid}"],
        "mi file": [mi, str(exe)],
        "mi -p": [mi, "-p", str(pid)],
        "mi -ex file": [mi, "-ex", f"file {exe}"],
        "mi -file-exec-and-symbols": [mi, f"-file-exec-and-symbols {exe}"],
    }
    for way, args in ways.items():
        # That gdb alone warns is gdb's doing, the same for every release: checked on one.
        if go_version == newest():
            assert DECLINED in _gdb(plain, args), f"gdb alone, {way}: no warning to remove"
        out = _gdb(ours, args)
        assert DECLINED not in out and "safe-path" not in out, (way, out)
        assert ": Go program, go1." in out, (way, out)  # wslgo was there
        assert "Traceback" not in out, (way, out)
