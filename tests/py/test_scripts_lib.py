"""scripts/lib.sh: ensure_py_tools installs what the build runs, `$PY -m maturin`, even
when some other `maturin` command is on PATH (scripts/demo then failed with "No module
named maturin")."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_maturin_module_checked_not_a_command_on_path(tmp_path: Path) -> None:
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "maturin").write_text("#!/bin/sh\necho 'maturin 1.0 (a pipx copy)'\n")
    (bin_ / "maturin").chmod(0o755)
    # $PY: a Python whose version check (`$PY -`) sees no package at all (so no maturin
    # module, whatever is on PATH); pip records what it is asked
    py = tmp_path / "py"
    py.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = - ]; then exec python3 -I -S "$@"; fi\n'
        f'if [ "$1 $2" = "-m pip" ]; then echo "PIP $*" >> {tmp_path}/pip.log; exit 0; fi\n'
        "exit 3\n"
    )
    py.chmod(0o755)
    r = subprocess.run(
        ["bash", "-c", f'source "{ROOT}/scripts/lib.sh" && ensure_py_tools'],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": str(py), "PATH": f"{bin_}:{os.environ['PATH']}"},
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    log = (tmp_path / "pip.log").read_text() if (tmp_path / "pip.log").exists() else ""
    assert "install" in log and "dev-requirements.txt" in log, (log, r.stderr)
    assert "maturin==" in r.stderr, r.stderr


def test_ensure_chromium_installs_only_what_is_missing(tmp_path: Path) -> None:
    """The browser tests' chromium and chromedriver come from Debian (apt_install is
    replaced by a recorder; PATH holds only a fake chromium)."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "chromium").write_text("#!/bin/sh\n")
    (bin_ / "chromium").chmod(0o755)
    script = f'source "{ROOT}/scripts/lib.sh"; apt_install() {{ echo "APT $*"; }}; '
    r = subprocess.run(
        [
            "/bin/bash",
            "-c",
            script + f"PATH={bin_} ensure_chromium; PATH={tmp_path} ensure_chromium",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["APT chromium-driver", "APT chromium chromium-driver"]
