"""wslgo.safepath: gdb's auto-load safe-path rule, checked against what gdb itself does
(a real gdb loading a real script under each setting)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from wslgo import safepath
from wslgo_testing.gdb import GDB_AUTOLOAD

SCRIPT = "/go/src/runtime/runtime-gdb.py"


@pytest.mark.parametrize(
    ("setting", "safe"),
    [
        ("/go/src/runtime/runtime-gdb.py", True),  # the file itself (Go's advice)
        ("/go/src/runtime", True),  # a directory above it
        ("/go/src/runtime/", True),  # trailing slashes ignored
        ("/", True),  # everything
        ("/go/src/run", False),  # not a path component
        ("/go/*/runtime", True),  # a wildcard within one component
        ("/*/runtime", False),  # ... never across a "/"
        ("/go/src/runtime/runtime-gdb.p?", True),
        ("$datadir/auto-load", False),  # half of gdb's default
        ("$debugdir:$datadir/auto-load", True),  # $debugdir is a list: /usr/lib/debug:/go
        ("/elsewhere:$debugdir", True),
        ("$datadir", False),
    ],
)
def test_safe_path_rule(setting: str, safe: bool) -> None:
    dirs = safepath.directories(setting, "/usr/lib/debug:/go", "/usr/share/gdb")
    assert safepath.is_safe(SCRIPT, dirs) is safe, dirs


def test_substitution_is_by_whole_component() -> None:
    dirs = safepath.directories("/x/$datadirs:$datadir/auto-load", "/dbg", "/usr/share/gdb")
    assert dirs[:2] == ["/x/$datadirs", "/usr/share/gdb/auto-load"], dirs


def test_real_paths_count_both_ways(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "s.py").write_text("")
    link = tmp_path / "link"
    link.symlink_to(real)
    # the file through a link, the setting naming the real directory, and the reverse
    assert safepath.is_safe(str(link / "s.py"), safepath.directories(str(real), "", ""))
    assert safepath.is_safe(str(real / "s.py"), safepath.directories(str(link), "", ""))
    assert not safepath.is_safe(
        str(real / "s.py"), safepath.directories(str(tmp_path / "x"), "", "")
    )


@pytest.mark.parametrize(
    "setting",
    ["{d}", "{d}/", "{t}/*", "{t}/*/prog-gdb.py", "{t}", "/", "{d}/other", "{d}x", "{t}/d?r"],
)
def test_agrees_with_gdb(tmp_path: Path, setting: str) -> None:
    """gdb's own verdict on an objfile's script (PROG-gdb.py next to PROG): run or declined."""
    d = tmp_path / "dir"
    d.mkdir()
    prog = d / "prog"
    prog.write_bytes(Path("/bin/true").read_bytes())
    script = d / "prog-gdb.py"
    script.write_text("print('SCRIPT-RAN')\n")
    value = setting.format(d=d, t=tmp_path)
    r = subprocess.run(
        [*GDB_AUTOLOAD, "-iex", f"set auto-load safe-path {value}", str(prog)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    ran = "SCRIPT-RAN" in r.stdout
    assert ran or "declined" in r.stderr, (r.stdout, r.stderr)
    assert safepath.is_safe(str(script), safepath.directories(value, "", "")) is ran, value
