"""The doctor's vocabulary and the host it examines: :class:`Row` (one verdict),
:class:`Host` (a root directory, an environment, the core-size limit), and the host facts
more than one check reads (mounts, TCP listeners). Pure Python; `wslgo.doctor` and
`wslgo.dlvcheck` build on it."""

from __future__ import annotations

import os
import re
import resource
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wslgo import userfile

OK, WARN, FAIL = "OK", "WARN", "FAIL"
#: File systems that put a Windows drive into WSL (WSL1 drvfs, WSL2 9p or virtiofs).
WINDOWS_FS = {"drvfs", "9p", "virtiofs"}
#: The most of a system file (/proc, /sys, .wslconfig) the doctor reads.
READ_LIMIT = 4 << 20


@dataclass
class Row:
    """One check's verdict."""

    check: str
    status: str
    detail: str
    fix: str = ""


@dataclass
class Host:
    """The system the doctor examines."""

    root: Path = Path("/")
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: str = field(default_factory=os.getcwd)
    rlimit_core: int | None = None  # soft RLIMIT_CORE; -1 unlimited; None: unknown
    in_gdb: bool = False

    @classmethod
    def current(cls) -> Host:
        soft, _ = resource.getrlimit(resource.RLIMIT_CORE)
        return cls(rlimit_core=-1 if soft == resource.RLIM_INFINITY else soft)

    def path(self, p: str) -> Path:
        return self.root / p.lstrip("/")

    def read(self, p: str, limit: int = READ_LIMIT) -> str | None:
        """The first ``limit`` bytes of the regular file ROOT/p; None when unreadable."""
        try:
            data, _ = userfile.read_prefix(self.path(p), "a system file", limit)
        except (OSError, ValueError):
            return None
        return data.decode("utf-8", errors="replace")

    def which(self, name: str) -> str | None:
        """The absolute path of the executable ``name`` the shell in ``cwd`` runs: each PATH
        entry in order, a relative (or empty) entry taken from ``cwd``, as the shell does."""
        for d in self.environ.get("PATH", "").split(os.pathsep):
            d = os.path.join(self.cwd, d or ".")
            cand = os.path.normpath(os.path.join(d, name))
            if os.path.isfile(cand) and os.access(cand, os.X_OK):
                return cand
        return None

    def run(self, argv: list[str], timeout: float = 30) -> tuple[int, str]:
        import subprocess  # here: gdb loads this module at every start, and rarely runs one

        env = dict(self.environ)
        env.setdefault("GOTOOLCHAIN", "local")
        try:
            p = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                env=env,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                cwd="/",
            )
        except (OSError, subprocess.SubprocessError) as e:
            return -1, str(e)
        return p.returncode, p.stdout + p.stderr


# ---- /proc/mounts ---------------------------------------------------------------------


def read_mounts(host: Host) -> list[tuple[str, str]]:
    """(mount point, fs type) of each mount, from ROOT/proc/mounts."""
    out = []
    for line in (host.read("/proc/mounts") or "").splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out.append((parts[1].replace("\\040", " "), parts[2]))
    return out


def windows_mount(path: str, mounts: list[tuple[str, str]]) -> str | None:
    """The Windows drive mount (drvfs/9p/virtiofs under /mnt/<drive>) holding ``path``."""
    best: tuple[str, str] | None = None
    for mp, fs in mounts:
        if path == mp or path.startswith(mp.rstrip("/") + "/"):
            if best is None or len(mp) > len(best[0]):
                best = (mp, fs)
    if best and best[1] in WINDOWS_FS and re.match(r"^/mnt/[A-Za-z](/|$)", best[0]):
        return best[0]
    return None


# ---- output ---------------------------------------------------------------------------


def first_line(text: str) -> str:
    lines = [x for x in text.strip().splitlines() if x.strip()]
    return lines[0].strip() if lines else "no output"


# ---- listeners ------------------------------------------------------------------------


def listeners(host: Host, port: int) -> list[str]:
    """Addresses listening on TCP ``port`` (from ROOT/proc/net/tcp and tcp6)."""
    out: list[str] = []
    for name, v6 in (("tcp", False), ("tcp6", True)):
        for line in (host.read(f"/proc/net/{name}") or "").splitlines()[1:]:
            f = line.split()
            if len(f) < 4 or f[3] != "0A" or ":" not in f[1]:
                continue
            addr_hex, port_hex = f[1].rsplit(":", 1)
            try:
                if int(port_hex, 16) != port:
                    continue
                out.append(_addr(addr_hex, v6))
            except ValueError:
                continue
    return out


def _addr(h: str, v6: bool) -> str:
    raw = bytes.fromhex(h)
    if not v6:
        return ".".join(str(b) for b in raw[::-1])
    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
    b = b"".join(words)
    if b[:12] == b"\0" * 10 + b"\xff\xff":
        return ".".join(str(x) for x in b[12:])
    return ":".join(f"{int.from_bytes(b[i : i + 2], 'big'):x}" for i in range(0, 16, 2))


def loopback(a: str) -> bool:
    return a.startswith("127.") or a == "0:0:0:0:0:0:0:1"
