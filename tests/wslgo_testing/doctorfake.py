"""Fakes for the doctor's tests: kernel and mount texts of native Linux, WSL1 and WSL2, a
fake root (`/proc`, cgroups, `.wslconfig`), a PATH of real tools, and the CLI run on them."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import gofixtures
from wslgo import doctor

NATIVE = "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12) #1 SMP\n"
WSL1 = (
    "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) "
    "#1237-Microsoft Sat Sep 11 14:32:00 PST 2021\n"
)
WSL2 = (
    "Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 11.2.0) "
    "#1 SMP Fri Mar 29 23:14:13 UTC 2024\n"
)
MOUNTS_WSL2 = (
    "none / ext4 rw,relatime 0 0\n"
    "C:\\134 /mnt/c 9p rw,noatime,dirsync,aname=drvfs;path=C:\\;uid=1000;gid=1000 0 0\n"
)
TCP_HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
)


def tools_dir(tmp_path: Path, go_version: str, names: tuple[str, ...]) -> Path:
    """A PATH directory with real tools (go of the pinned version, gdb, gdbserver...)."""
    d = tmp_path / "bin"
    d.mkdir(exist_ok=True)
    for n in names:
        src = str(build_go(go_version)) if n == "go" else shutil.which(n)
        if src and not (d / n).exists():
            (d / n).symlink_to(src)
    return d


def build_go(version: str) -> Path:
    return gofixtures.go_binary(version)


def fake_root(
    tmp_path: Path,
    *,
    version: str = NATIVE,
    mounts: str = "none / ext4 rw 0 0\n",
    ptrace: str | None = "1",
    core_pattern: str = "core",
    cgroup: tuple[str, str] | None = None,
    wslconfig: str | None = None,
    tcp: str = "",
    interop: bool = False,
) -> Path:
    root = tmp_path / "root"
    files = {
        "proc/version": version,
        "proc/mounts": mounts,
        "proc/sys/kernel/core_pattern": core_pattern + "\n",
        "proc/self/cgroup": "0::/\n",
        "proc/net/tcp": TCP_HEADER + tcp,
    }
    if ptrace is not None:
        files["proc/sys/kernel/yama/ptrace_scope"] = ptrace + "\n"
    if cgroup:
        files["proc/self/cgroup"] = f"0::{cgroup[0]}\n"
        files[f"sys/fs/cgroup{cgroup[0]}/memory.max"] = cgroup[1] + "\n"
    if wslconfig is not None:
        files["mnt/c/Users/dev/.wslconfig"] = wslconfig
    if interop:
        files["proc/sys/fs/binfmt_misc/WSLInterop"] = "enabled\n"
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def host(
    root: Path, path: Path, env: dict[str, str] | None = None, cwd: str = "/home/dev/app"
) -> doctor.Host:
    e = {"PATH": str(path), "HOME": "/home/dev", "GOTOOLCHAIN": "local", "GOFLAGS": ""}
    e.update(env or {})
    return doctor.Host(root=root, environ=e, cwd=cwd, rlimit_core=-1)


def row(rows: list[doctor.Row], check: str) -> doctor.Row:
    found = [r for r in rows if r.check == check]
    assert found, f"no {check} row in {[r.check for r in rows]}"
    return found[0]


def cli(root: Path, path: Path, *args: str, env: dict[str, str] | None = None):  # noqa: ANN201
    e = {**os.environ, "PATH": str(path), "WSLGO_CONFIG": "/nonexistent", **(env or {})}
    for k in ("WSL_DISTRO_NAME", "WSL_INTEROP", "GOPATH", "GOCACHE", "GOROOT", "GOFLAGS"):
        if env is None or k not in env:
            e.pop(k, None)
    p = subprocess.run(
        [sys.executable, "-m", "wslgo.cli", "doctor", "--root", str(root), *args],
        capture_output=True,
        text=True,
        env=e,
        cwd="/",
        timeout=300,
        preexec_fn=_cores_on,
    )
    return p


def _cores_on() -> None:
    """Core files on in the doctor's process (the CI shell may have ulimit -c 0)."""
    _, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
