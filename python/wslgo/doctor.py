"""`wslgo doctor` / `wslgo-doctor`: what breaks Go debugging under WSL, found in one run.

Pure Python (no gdb). Every check reads the system through a :class:`Host`: a root
directory (``/`` or a fake tree with proc/, sys/, mnt/c/...), an environment (PATH, GOPATH,
WSL_DISTRO_NAME, ...) and the core-size limit, so WSL1, WSL2 and /mnt cases are testable
on plain Linux. Each check gives a :class:`Row`: OK, WARN or FAIL, and a one-line fix.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import resource
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import wslgo
from wslgo import _native

DEFAULT_PORT = 2345
OK, WARN, FAIL = "OK", "WARN", "FAIL"
_RANK = {OK: 0, WARN: 1, FAIL: 2}
#: File systems that put a Windows drive into WSL (WSL1 drvfs, WSL2 9p or virtiofs).
WINDOWS_FS = {"drvfs", "9p", "virtiofs"}
MIB = 1 << 20


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

    def read(self, p: str) -> str | None:
        try:
            return self.path(p).read_text(errors="replace")
        except OSError:
            return None

    def which(self, name: str) -> str | None:
        return shutil.which(name, path=self.environ.get("PATH", ""))

    def run(self, argv: list[str], timeout: float = 30) -> tuple[int, str]:
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


@dataclass
class Platform:
    kind: str  # native, wsl1, wsl2
    networking: str | None = None  # nat, mirrored (WSL2), None when unknown


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


# ---- platform -------------------------------------------------------------------------


def check_platform(host: Host) -> tuple[list[Row], Platform]:
    version = host.read("/proc/version") or ""
    interop = any(
        host.path(f"/proc/sys/fs/binfmt_misc/{n}").exists()
        for n in ("WSLInterop", "WSLInterop-late")
    )
    distro = host.environ.get("WSL_DISTRO_NAME", "")
    wsl_env = bool(distro or host.environ.get("WSL_INTEROP"))
    low = version.lower()
    if "microsoft" not in low and not interop and not wsl_env:
        kernel = version.split()[2] if len(version.split()) > 2 else "unknown kernel"
        return [Row("platform", OK, f"native Linux ({kernel})")], Platform("native")
    name = f" ({distro})" if distro else ""
    if "microsoft" in low and "wsl2" not in low and "microsoft-standard" not in low:
        return [
            Row(
                "platform",
                FAIL,
                f"WSL1{name}: ptrace is emulated (no hardware watchpoints, attach and Go's "
                f"signal handling misbehave under gdb and dlv)",
                f"convert the distro to WSL2: wsl --set-version {distro or '<distro>'} 2",
            )
        ], Platform("wsl1")
    rows = [Row("platform", OK, f"WSL2{name}")]
    mode = _networking_mode(host)
    if mode is None:
        rows.append(
            Row("wsl networking", OK, "unknown (no .wslconfig found under /mnt/c/Users): NAT")
        )
        mode = "nat"
    elif mode == "mirrored":
        rows.append(Row("wsl networking", OK, "mirrored: Windows reaches ports bound to 127.0.0.1"))
    else:
        rows.append(
            Row(
                "wsl networking",
                OK,
                f"{mode.upper()}: Windows reaches a WSL debugger only on ports bound to all "
                "interfaces",
            )
        )
    return rows, Platform("wsl2", mode)


def _networking_mode(host: Host) -> str | None:
    users = host.path("/mnt/c/Users")
    try:
        candidates = sorted(users.glob("*/.wslconfig"))
    except OSError:
        return None
    found: str | None = None
    for cfg in candidates:
        p = configparser.ConfigParser(strict=False, interpolation=None)
        try:
            p.read_string(cfg.read_text(errors="replace"))
        except (OSError, configparser.Error):
            continue
        for sect in p.sections():
            if sect.lower() == "wsl2":
                for k, v in p.items(sect):
                    if k.lower() == "networkingmode":
                        return v.strip().strip("\"'").lower()
        found = found or "nat"
    return found


# ---- Go -------------------------------------------------------------------------------

_GO_FIX = {
    "GOROOT": "install Go inside WSL (e.g. /usr/local/go) and put it first on PATH",
    "GOPATH": "go env -w GOPATH=$HOME/go",
    "GOBIN": "go env -w GOBIN=$HOME/go/bin",
    "GOCACHE": "go env -w GOCACHE=$HOME/.cache/go-build",
    "GOMODCACHE": "go env -w GOMODCACHE=$HOME/go/pkg/mod",
}


def check_go(host: Host, mounts: list[tuple[str, str]]) -> tuple[list[Row], str | None]:
    rows: list[Row] = []
    go = host.which("go")
    if not go:
        return [
            Row(
                "go",
                WARN,
                "go is not on PATH",
                "install Go (under WSL: inside the distro, not Windows' Go) and put it on PATH",
            )
        ], None
    rc, out = host.run([go, "env", "-json", "GOVERSION", *_GO_FIX])
    try:
        env = json.loads(out) if rc == 0 else None
    except ValueError:
        env = None
    if not isinstance(env, dict):
        return [Row("go", FAIL, f"{go}: `go env` failed: {_first(out)}", "reinstall Go")], None
    version = str(env.get("GOVERSION") or "unknown")
    rows.append(Row("go", OK, f"{version} at {go}"))
    for var in _GO_FIX:
        val = str(env.get(var) or "")
        if not val:
            continue
        if var == "GOROOT" and windows_mount(go, mounts):
            val = go
        mp = windows_mount(val, mounts)
        if mp:
            rows.append(
                Row(
                    var,
                    WARN,
                    f"{val} is on the Windows drive {mp} (slow 9p I/O, mtimes that make go "
                    "rebuild everything)",
                    f"move it under $HOME: {_GO_FIX[var]}",
                )
            )
        else:
            rows.append(Row(var, OK, val))
    mp = windows_mount(host.cwd, mounts)
    if mp:
        rows.append(
            Row(
                "working tree",
                WARN,
                f"{host.cwd} is on the Windows drive {mp}",
                "clone the project under $HOME (e.g. ~/src) and open it with VS Code's WSL "
                "extension",
            )
        )
    else:
        rows.append(Row("working tree", OK, host.cwd))
    return rows, version


def _first(text: str) -> str:
    lines = [x for x in text.strip().splitlines() if x.strip()]
    return lines[0].strip() if lines else "no output"


# ---- debuggers ------------------------------------------------------------------------


def check_debuggers(host: Host, mounts: list[tuple[str, str]]) -> list[Row]:
    rows: list[Row] = []
    gdb = host.which("gdb")
    if not gdb:
        rows.append(Row("gdb", WARN, "gdb is not installed", "sudo apt install gdb"))
    else:
        rc, out = host.run([gdb, "--version"])
        ver = _first(out) if rc == 0 else f"`gdb --version` failed: {_first(out)}"
        rows.append(Row("gdb", OK if rc == 0 else FAIL, f"{ver} at {gdb}"))
        rows.append(_gdb_python(host, gdb))
    dlv = host.which("dlv")
    if not dlv:
        rows.append(Row("dlv", OK, "not installed (only VS Code's Go extension needs it)"))
    else:
        rc, out = host.run([dlv, "version"])
        m = re.search(r"Version:\s*(\S+)", out)
        ver = m.group(1) if m else _first(out)
        mp = windows_mount(dlv, mounts)
        if mp:
            rows.append(
                Row(
                    "dlv",
                    WARN,
                    f"dlv {ver} at {dlv} is on the Windows drive {mp}",
                    "go install github.com/go-delve/delve/cmd/dlv@latest inside WSL",
                )
            )
        else:
            rows.append(Row("dlv", OK, f"dlv {ver} at {dlv}"))
    gs = host.which("gdbserver")
    if gs:
        rows.append(Row("gdbserver", OK, gs))
    else:
        rows.append(
            Row(
                "gdbserver",
                WARN,
                "not installed (remote debugging, VS Code miDebuggerServerAddress)",
                "sudo apt install gdbserver",
            )
        )
    return rows


def _gdb_python(host: Host, gdb: str) -> Row:
    if host.in_gdb:
        return Row("gdb python", OK, f"Python {sys.version.split()[0]}; wslgo native loads")
    argv = [
        gdb,
        "-nx",
        "-batch",
        "-iex",
        "set auto-load python-scripts off",
        "-ex",
        "python import sys; print('WSLGO-PY', sys.version.split()[0])",
        "-ex",
        f"source {wslgo.GDB_ENTRY}",
        "-ex",
        "python import wslgo._native as n; print('WSLGO-NATIVE', n.version())",
    ]
    rc, out = host.run(argv, timeout=60)
    py = re.search(r"WSLGO-PY (\S+)", out)
    nat = re.search(r"WSLGO-NATIVE (\S+)", out)
    if not py:
        return Row(
            "gdb python",
            FAIL,
            "gdb has no Python (wslgo needs it)",
            "install a gdb built with Python (Debian/Ubuntu: sudo apt install gdb)",
        )
    if not nat:
        return Row(
            "gdb python",
            FAIL,
            f"Python {py.group(1)}; wslgo's native module does not load there",
            f"install wslgo for gdb's Python {py.group(1)} (abi3 wheel) and run "
            "`wslgo gdbinit --install`",
        )
    return Row("gdb python", OK, f"Python {py.group(1)}; wslgo native {nat.group(1)} loads")


# ---- the program ----------------------------------------------------------------------


def _minor(v: str | None) -> str | None:
    m = re.match(r"go(\d+\.\d+)", v or "")
    return m.group(1) if m else None


def check_program(
    host: Host, program: str, go_version: str | None, pm: _native.PathMap | None
) -> list[Row]:
    name = os.path.basename(program)
    try:
        syms = _native.Symbols(program)
        info: _native.SymbolsInfoDict = syms.info()
    except (_native.WslgoError, OSError) as e:
        return [Row("program", FAIL, f"{program}: {e}", "pass a Go binary")]
    rows: list[Row] = []
    bver = info.get("go_version")
    if _minor(go_version) and _minor(bver) and _minor(go_version) != _minor(bver):
        rows.append(
            Row(
                "program go",
                WARN,
                f"{name} was built by {bver}; go on PATH is {go_version}",
                "rebuild with the go on PATH (dlv and the runtime must agree)",
            )
        )
    else:
        rows.append(Row("program go", OK, f"{name}: {bver or 'unknown Go version'}"))
    if info.get("optimized"):
        rows.append(
            Row(
                "optimized",
                WARN,
                "optimized build: variables <optimized out>, lines skipped, calls inlined",
                "go build -gcflags=all='-N -l'",
            )
        )
    else:
        rows.append(Row("optimized", OK, "built with -gcflags=all='-N -l'"))
    if not info.get("dwarf"):
        if info.get("stripped"):
            rows.append(
                Row(
                    "dwarf",
                    FAIL,
                    "stripped (-ldflags='-s -w'): no DWARF and no symbol table",
                    "rebuild without -s -w in -ldflags",
                )
            )
        else:
            rows.append(
                Row(
                    "dwarf",
                    FAIL,
                    "no DWARF (-ldflags=-w): no FILE:LINE breakpoints or variables in gdb/dlv",
                    "rebuild without -w in -ldflags",
                )
            )
    else:
        extra = ", compressed" if info.get("dwarf_compressed") else ""
        rows.append(Row("dwarf", OK, f"DWARF {info.get('dwarf_version') or ''}{extra}".strip()))
    settings = dict(info.get("settings") or [])
    trimpath = settings.get("-trimpath") == "true"
    if trimpath:
        mod = (info.get("main_module") or ["the module"])[0]
        rows.append(
            Row(
                "trimpath",
                WARN,
                f"built with -trimpath: files are named {mod}/..., not disk paths",
                f"rebuild without -trimpath, or set wslgo path-map {mod} /path/to/source",
            )
        )
    rows.append(Row("pie", OK, "PIE (addresses move per run)" if info.get("pie") else "not PIE"))
    rows.append(_source_row(syms, pm, trimpath))
    return rows


def _source_row(syms: _native.Symbols, pm: _native.PathMap | None, trimpath: bool) -> Row:
    files = _native.source_files(syms)
    goroot = next(
        (f[: -len("/src/runtime/proc.go")] for f in files if f.endswith("/src/runtime/proc.go")),
        None,
    )
    user = [
        f
        for f in files
        if not f.startswith("<")
        and "/pkg/mod/" not in f
        and not (goroot and f.startswith(goroot + "/"))
        and not (trimpath and not f.startswith(("/", "C:", "c:")) and "." not in f.split("/")[0])
    ]
    if not user:
        return Row("sources", OK, "no program source files named in the binary")
    missing = [f for f in user if not os.path.exists(pm.to_local(f) if pm else f)]
    if not missing:
        return Row("sources", OK, f"{len(user)} source file(s) found on disk")
    return Row(
        "sources",
        WARN,
        f"{len(missing)} of {len(user)} source file(s) not on disk, e.g. {missing[0]}",
        "set wslgo path-map BUILD_DIR SOURCE_DIR (or [[path-map]] in ~/.config/wslgo/config.toml)",
    )


# ---- process debugging ----------------------------------------------------------------


def check_process(host: Host, program: str | None) -> list[Row]:
    rows: list[Row] = []
    ps = (host.read("/proc/sys/kernel/yama/ptrace_scope") or "").strip()
    if ps in ("", "0"):
        rows.append(Row("ptrace_scope", OK, ps or "no Yama: any process of yours"))
    elif ps == "1":
        rows.append(Row("ptrace_scope", OK, "1: attaching to a non-child needs sudo"))
    elif ps == "2":
        rows.append(
            Row(
                "ptrace_scope",
                WARN,
                "2: only root may attach (dlv attach / gdb -p fail)",
                "sudo sysctl -w kernel.yama.ptrace_scope=1",
            )
        )
    else:
        rows.append(
            Row(
                "ptrace_scope",
                FAIL,
                f"{ps}: ptrace is disabled (no debugger can start or attach a process)",
                "reboot (scope 3 cannot be lowered), and remove kernel.yama.ptrace_scope=3 "
                "from /etc/sysctl.d",
            )
        )
    cp = (host.read("/proc/sys/kernel/core_pattern") or "").strip()
    if cp.startswith("|"):
        rows.append(
            Row(
                "core_pattern",
                WARN,
                f"cores are piped to {cp[1:].split()[0] if cp[1:].split() else 'a program'}, "
                "not written next to the program",
                "sudo sysctl -w kernel.core_pattern=core.%e.%p",
            )
        )
    elif cp:
        rows.append(Row("core_pattern", OK, cp))
    lim = host.rlimit_core
    if lim == 0:
        rows.append(Row("ulimit -c", WARN, "0: crashes write no core file", "ulimit -c unlimited"))
    elif lim is not None:
        rows.append(Row("ulimit -c", OK, "unlimited" if lim < 0 else str(lim)))
    rows.append(_cgroup_row(host, program))
    return rows


def _cgroup_row(host: Host, program: str | None) -> Row:
    text = host.read("/proc/self/cgroup") or ""
    rel = next((ln[3:] for ln in text.splitlines() if ln.startswith("0::")), None)
    if rel is None:
        return Row("memory limit", OK, "no cgroup v2 memory limit")
    limit: int | None = None
    where = ""
    parts = [p for p in rel.strip().split("/") if p]
    for i in range(len(parts), -1, -1):
        d = "/sys/fs/cgroup/" + "/".join(parts[:i])
        for f in ("memory.max", "memory.high"):
            v = (host.read(f"{d.rstrip('/')}/{f}") or "").strip()
            if v.isdigit() and (limit is None or int(v) < limit):
                limit, where = int(v), f"{d.rstrip('/')}/{f}"
    if limit is None:
        return Row("memory limit", OK, "no cgroup v2 memory limit")
    size = 0
    if program:
        try:
            size = os.path.getsize(program)
        except OSError:
            size = 0
    need_fail = max(256 * MIB, 2 * size)
    need_warn = max(1024 * MIB, 8 * size)
    msg = f"{where} = {limit // MIB} MiB" + (f" (program {size // MIB} MiB)" if size else "")
    fix = (
        "raise it (systemctl --user set-property UNIT MemoryMax=4G, or [wsl2] memory=8GB in "
        ".wslconfig): an OOM-killed debugger exits with 137"
    )
    if limit < need_fail:
        return Row("memory limit", FAIL, msg + ": too small for the debugger", fix)
    if limit < need_warn:
        return Row("memory limit", WARN, msg + ": tight for gdb/dlv on this program", fix)
    return Row("memory limit", OK, msg)


# ---- listener -------------------------------------------------------------------------


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


def _loopback(a: str) -> bool:
    return a.startswith("127.") or a == "0:0:0:0:0:0:0:1"


def check_listener(host: Host, port: int, platform: Platform) -> Row:
    addrs = listeners(host, port)
    if not addrs:
        return Row("listener", OK, f"nothing listens on port {port}")
    shown = ", ".join(sorted(set(addrs)))
    if (
        all(_loopback(a) for a in addrs)
        and platform.kind == "wsl2"
        and platform.networking != "mirrored"
    ):
        return Row(
            "listener",
            WARN,
            f"port {port} is bound to {shown} only: Windows (VS Code) gets "
            f"ECONNREFUSED in NAT mode",
            f"listen on all interfaces (dlv --listen=:{port}, gdbserver :{port}) or set "
            "networkingMode=mirrored in .wslconfig",
        )
    return Row("listener", OK, f"port {port} bound to {shown}")


# ---- all together ---------------------------------------------------------------------


def run_checks(
    host: Host,
    program: str | None = None,
    port: int = DEFAULT_PORT,
    pathmap: _native.PathMap | None = None,
) -> list[Row]:
    rows, platform = check_platform(host)
    mounts = read_mounts(host)
    go_rows, go_version = check_go(host, mounts)
    rows += go_rows
    rows += check_debuggers(host, mounts)
    if program:
        rows += check_program(host, program, go_version, pathmap)
    rows += check_process(host, program)
    rows.append(check_listener(host, port, platform))
    return rows


def exit_code(rows: list[Row]) -> int:
    """0 all OK, 1 warnings, 2 failures."""
    return max((_RANK[r.status] for r in rows), default=0)


def format_table(rows: list[Row]) -> list[str]:
    width = max((len(r.check) for r in rows), default=5)
    out = []
    for r in rows:
        out.append(f"{r.status:<4}  {r.check.ljust(width)}  {r.detail}")
        if r.fix and r.status != OK:
            out.append(f"{'':4}  {'':{width}}  fix: {r.fix}")
    n = {s: sum(r.status == s for r in rows) for s in (OK, WARN, FAIL)}
    out.append(f"{n[OK]} ok, {n[WARN]} warning(s), {n[FAIL]} failure(s)")
    return out


def to_json(rows: list[Row]) -> dict[str, object]:
    code = exit_code(rows)
    return {
        "status": [OK, WARN, FAIL][code],
        "exit": code,
        "checks": [
            {"check": r.check, "status": r.status, "detail": r.detail, "fix": r.fix} for r in rows
        ],
    }
