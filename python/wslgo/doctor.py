"""`wslgo doctor` / `wslgo-doctor`: what breaks Go debugging under WSL, found in one run.

Pure Python (no gdb). Every check reads the system through a :class:`Host`: a root
directory (``/`` or a fake tree with proc/, sys/, mnt/c/...), an environment (PATH, GOPATH,
WSL_DISTRO_NAME, ...) and the core-size limit, so WSL1, WSL2 and /mnt cases are testable
on plain Linux. Each check gives a :class:`Row`: OK, WARN or FAIL, and a one-line fix.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass

import wslgo
from wslgo import _native, delve, dlvcheck, userfile
from wslgo.hostcheck import (
    FAIL,
    OK,
    WARN,
    Row,
    first_line,
    listeners,
    loopback,
    read_mounts,
    windows_mount,
)
from wslgo.hostcheck import (
    Host as Host,
)
from wslgo.text import esc

DEFAULT_PORT = 2345
_RANK = {OK: 0, WARN: 1, FAIL: 2}
MIB = 1 << 20


@dataclass
class Platform:
    kind: str  # native, wsl1, wsl2
    networking: str | None = None  # nat, mirrored (WSL2), None when unknown


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
    name = f" ({esc(distro)})" if distro else ""
    if "microsoft" in low and "wsl2" not in low and "microsoft-standard" not in low:
        return [
            Row(
                "platform",
                FAIL,
                f"WSL1{name}: ptrace is emulated (no hardware watchpoints, attach and Go's "
                f"signal handling misbehave under gdb and dlv)",
                f"convert the distro to WSL2: wsl --set-version {esc(distro) or '<distro>'} 2",
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
                f"{esc(mode.upper())}: Windows reaches a WSL debugger only on ports bound to all "
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
    import configparser  # here: only a WSL host with a .wslconfig reads one

    found: str | None = None
    for cfg in candidates:
        p = configparser.ConfigParser(strict=False, interpolation=None)
        try:
            p.read_string(userfile.read_text(cfg, "a .wslconfig", 1 << 20))
        except (OSError, ValueError, configparser.Error):
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


def check_go(host: Host, mounts: list[tuple[str, str]]) -> tuple[list[Row], dict[str, str]]:
    """The go on PATH and its environment; the dict holds `go env`'s GOVERSION, GOPATH ...
    (empty when there is no working go)."""
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
        ], {}
    rc, out = host.run([go, "env", "-json", "GOVERSION", *_GO_FIX])
    try:
        env = json.loads(out) if rc == 0 else None
    except ValueError:
        env = None
    if not isinstance(env, dict):
        return [Row("go", FAIL, f"{go}: `go env` failed: {first_line(out)}", "reinstall Go")], {}
    env = {k: str(v) for k, v in env.items() if isinstance(v, str)}
    version = env.get("GOVERSION") or "unknown"
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
    return rows, env


# ---- debuggers ------------------------------------------------------------------------


def check_debuggers(host: Host, mounts: list[tuple[str, str]]) -> list[Row]:
    rows: list[Row] = []
    gdb = host.which("gdb")
    if not gdb:
        rows.append(Row("gdb", WARN, "gdb is not installed", "sudo apt install gdb"))
    else:
        rows += _gdb_rows(host, gdb)
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


def _gdb_rows(host: Host, gdb: str) -> list[Row]:
    """gdb's version and whether wslgo loads in its Python, from one run of gdb (in gdb:
    `gdb --version`, and this Python)."""
    if host.in_gdb:
        rc, out = host.run([gdb, "--version"])
        ver = first_line(out) if rc == 0 else f"`gdb --version` failed: {first_line(out)}"
        return [
            Row("gdb", OK if rc == 0 else FAIL, f"{ver} at {gdb}"),
            Row("gdb python", OK, f"Python {sys.version.split()[0]}; wslgo native loads"),
        ]
    argv = [
        gdb,
        "-nx",
        "-batch",
        "-iex",
        "set auto-load python-scripts off",
        "-ex",
        "show version",
        "-ex",
        "python import sys; print('WSLGO-PY', sys.version.split()[0])",
        "-ex",
        f"source {wslgo.GDB_ENTRY}",
        "-ex",
        "python import wslgo._native as n; print('WSLGO-NATIVE', n.version())",
    ]
    _, out = host.run(argv, timeout=60)
    # `show version` prints what `gdb --version` does; its first line names the release
    shown = re.search(r"^GNU gdb.*$", out, re.M)
    if shown:
        version = Row("gdb", OK, f"{shown.group(0).strip()} at {gdb}")
    else:
        version = Row("gdb", FAIL, f"`gdb` failed: {first_line(out)} at {gdb}")
    return [version, _gdb_python(out)]


def _gdb_python(out: str) -> Row:
    """The Python row from that run's output."""
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
) -> tuple[list[Row], str | None]:
    """The program's rows and the Go release that built it (None when unknown)."""
    name = esc(os.path.basename(program))
    try:
        syms = _native.Symbols(program)
        info: _native.SymbolsInfoDict = syms.info()
    except (_native.WslgoError, OSError) as e:
        return [Row("program", FAIL, esc(f"{program}: {e}"), "pass a Go binary")], None
    rows: list[Row] = []
    bver = info.get("go_version") or None
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
    return rows, bver


#: Files cgo writes into the build's work directory (`_cgo_gotypes.go`, `x.cgo1.go`,
#: `_cgo_export.c`, `/tmp/go-build/cgo-gcc-prolog` ...), named in the binary of any cgo
#: program (net with cgo too) and never on the user's disk; and runtime/cgo's C files, which
#: the Go distribution names under `/_/GOROOT` or `$GOROOT`.
_CGO_GENERATED = re.compile(
    r"(^|/)(_cgo_[^/]*|[^/]*\.cgo[12]\.(go|c)|cgo-gcc-prolog)$|(^|/)go-build\d*/"
    r"|^\$WORK/|^/_/GOROOT/|^\$GOROOT/"
)


def _generated(f: str) -> bool:
    return bool(_CGO_GENERATED.search(f))


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
        and not _generated(f)
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
        f"{len(missing)} of {len(user)} source file(s) not on disk, e.g. {esc(missing[0])}",
        "set wslgo path-map BUILD_DIR SOURCE_DIR (or [[path-map]] in ~/.config/wslgo/config.toml)",
    )


# ---- process debugging ----------------------------------------------------------------


def check_process(host: Host, program: str | None) -> list[Row]:
    rows: list[Row] = []
    ps = (host.read("/proc/sys/kernel/yama/ptrace_scope") or "").strip()
    if ps in ("", "0"):
        rows.append(Row("ptrace_scope", OK, "no Yama: any process of yours" if not ps else ps))
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
                f"{esc(ps)}: ptrace is disabled (no debugger can start or attach a process)",
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
                f"cores are piped to {esc(cp[1:].split()[0]) if cp[1:].split() else 'a program'}, "
                "not written next to the program",
                "sudo sysctl -w kernel.core_pattern=core.%e.%p",
            )
        )
    elif cp:
        rows.append(Row("core_pattern", OK, esc(cp)))
    lim = host.rlimit_core
    if lim == 0:
        rows.append(Row("ulimit -c", WARN, "0: crashes write no core file", "ulimit -c unlimited"))
    elif lim is not None:
        rows.append(Row("ulimit -c", OK, "unlimited" if lim < 0 else str(lim)))
    rows.append(_cgroup_row(host, program))
    return rows


#: Linux's PATH_MAX: no file under /sys/fs/cgroup has a longer name.
PATH_MAX = 4096


def _limit_value(v: str) -> int | None:
    """A cgroup memory limit in bytes; None for "max" or what is not a byte count (a
    value wider than 2^64 is no limit either: the kernel writes at most 20 digits)."""
    if not v.isdigit() or not v.isascii() or len(v) > 20:
        return None
    return int(v)


def _cgroup_row(host: Host, program: str | None) -> Row:
    text = host.read("/proc/self/cgroup") or ""
    rel = next((ln[3:] for ln in text.splitlines() if ln.startswith("0::")), None)
    if rel is None:
        return Row("memory limit", OK, "no cgroup v2 memory limit")
    limit: int | None = None
    where = ""
    parts = [p for p in rel.strip().split("/") if p]
    # a cgroup path longer than PATH_MAX names no file: only the levels that can exist
    depth = 0
    length = len("/sys/fs/cgroup")
    for p in parts:
        length += 1 + len(p)
        if length > PATH_MAX:
            break
        depth += 1
    for i in range(depth, -1, -1):
        d = "/sys/fs/cgroup/" + "/".join(parts[:i])
        for f in ("memory.max", "memory.high"):
            v = (host.read(f"{d.rstrip('/')}/{f}", limit=64) or "").strip()
            n = _limit_value(v)
            if n is not None and (limit is None or n < limit):
                limit, where = n, f"{d.rstrip('/')}/{f}"
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
    msg = f"{esc(where)} = {limit // MIB} MiB" + (f" (program {size // MIB} MiB)" if size else "")
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


def check_listener(host: Host, port: int, platform: Platform) -> Row:
    addrs = listeners(host, port)
    if not addrs:
        return Row("listener", OK, f"nothing listens on port {port}")
    shown = ", ".join(sorted(set(addrs)))
    if (
        all(loopback(a) for a in addrs)
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
    workspace: str | None = None,
) -> list[Row]:
    """Every check; ``workspace``: the VS Code folder (default: the current directory)."""
    rows, platform = check_platform(host)
    mounts = read_mounts(host)
    go_rows, go_env = check_go(host, mounts)
    go_version = go_env.get("GOVERSION")
    rows += go_rows
    rows += check_debuggers(host, mounts)
    targets = dlvcheck.Targets()
    if program:
        prog_rows, prog_go = check_program(host, program, go_version, pathmap)
        rows += prog_rows
        if prog_go:
            targets.pairs.append(("the program's", prog_go))
    if go_version and delve.go_minor(go_version) is not None:
        targets.pairs.append(("the go on PATH's", go_version))
    rows += dlvcheck.check_delve(host, mounts, targets, go_env.get("GOPATH"), workspace)
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
