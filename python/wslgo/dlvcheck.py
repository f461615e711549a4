"""The doctor's delve checks: the dlv on PATH and the one VS Code's Go extension would run,
each against the program's Go release and the ``go`` on PATH (by :mod:`wslgo.delve`'s
table), and each Go configuration of the workspace's .vscode/launch.json against that dlv.

Pure Python. The Go extension finds dlv as it finds every tool: ``go.alternateTools.dlv``
in the workspace's .vscode/settings.json (or a configuration's deprecated ``dlvToolPath``),
then ``bin/dlv`` under ``go.toolsGopath`` and each ``GOPATH`` entry, then PATH.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wslgo import _native, delve, userfile
from wslgo.hostcheck import FAIL, OK, WARN, Host, Row, first_line, listeners, windows_mount
from wslgo.text import esc

CHECK_GO_OFF = "--check-go-version=false"


@dataclass
class Dlv:
    """One dlv binary and what `dlv version` said."""

    path: str
    how: str  # where it was found: "PATH", "go.alternateTools", "GOPATH/bin", ...
    version: delve.Version | None = None
    suffix: str = ""
    error: str = ""
    built_with: str | None = None  # the Go release delve was built with, when readable

    @property
    def label(self) -> str:
        v = delve.text(self.version) + self.suffix if self.version else "?"
        return f"dlv {esc(v)} at {esc(self.path)}"


@dataclass
class Targets:
    """The Go releases a dlv must debug: (who, release) pairs."""

    pairs: list[tuple[str, str]] = field(default_factory=list)

    def grouped(self) -> list[tuple[str, str]]:
        """The pairs with one entry per release: ("the program's and the go on PATH's", v)."""
        out: dict[str, list[str]] = {}
        for who, v in self.pairs:
            out.setdefault(v, []).append(who)
        return [(" and ".join(whos), v) for v, whos in out.items()]

    def minors(self) -> list[int]:
        out = []
        for _, v in self.pairs:
            m = delve.go_minor(v)
            if m is not None and m not in out:
                out.append(m)
        return out


def probe(host: Host, path: str, how: str) -> Dlv:
    d = Dlv(path, how)
    rc, out = host.run([path, "version"], timeout=20)
    parsed = delve.parse_dlv_version(out) if rc == 0 else None
    if parsed is None:
        d.error = first_line(out)
        return d
    d.version, d.suffix = parsed
    try:
        d.built_with = _native.Binary(path).build_info()["go_version"] or None
    except (_native.WslgoError, OSError, ValueError):
        d.built_with = None  # not a Go ELF we can read (a wrapper script)
    return d


# ---- one dlv against the Go releases ------------------------------------------------


def verdict(check: str, dlv: Dlv, targets: Targets, mounts: list[tuple[str, str]]) -> Row:
    """The row of one dlv: OK, FAIL with the release to install, or WARN when the table
    does not know it."""
    if dlv.version is None:
        return Row(
            check,
            FAIL,
            f"{esc(dlv.path)}: `dlv version` failed: {esc(dlv.error)}",
            _install_fix(targets) or "reinstall delve",
        )
    minors = targets.minors()
    known = delve.supported(dlv.version)
    if known is None:
        return _unknown(check, dlv, targets)
    lo, hi = known
    span = f"{dlv.label} debugs Go 1.{lo} to 1.{hi}"
    refused = []
    for who, v in targets.grouped():
        m = delve.go_minor(v)
        if m is None:
            continue
        vd = delve.check(dlv.version, m)
        if vd.kind == "go-too-old":
            refused.append(f"{who} {esc(v)} (too old for this delve)")
        elif vd.kind == "dlv-too-old":
            refused.append(f"{who} {esc(v)} (too new for this delve)")
    if refused:
        return Row(
            check,
            FAIL,
            f"{span}: it refuses {' and '.join(refused)}",
            f"{_install_fix(targets)}; {delve.RISK}",
        )
    builder = delve.go_minor(dlv.built_with)
    if (
        delve.dwarf5_needs_go125(dlv.version)
        and builder is not None
        and builder < delve.DWARF5_GO_MINOR
        and any(m >= delve.DWARF5_GO_MINOR for m in minors)
    ):
        return Row(
            check,
            FAIL,
            f"{span}, but it was built with {esc(dlv.built_with or '')} and refuses DWARFv5 "
            "programs (Go 1.25 and later) unless built with Go 1.25 or later",
            f"rebuild it with Go 1.25 or later: {_install_fix(targets)}",
        )
    fits = " and ".join(f"{who} {esc(v)}" for who, v in targets.grouped())
    detail = f"{span}" + (f": {fits} fit" if fits else "")
    mp = windows_mount(dlv.path, mounts)
    if mp:
        return Row(
            check,
            WARN,
            f"{detail}; it is on the Windows drive {mp}",
            "install it inside WSL: " + (_install_fix(targets) or _latest()),
        )
    return Row(check, OK, detail)


def _unknown(check: str, dlv: Dlv, targets: Targets) -> Row:
    assert dlv.version is not None
    first, last = delve.text(delve.oldest()), delve.text(delve.newest())
    side = "newer" if dlv.version > delve.newest() else "older"
    if side == "older" and dlv.version > delve.oldest():
        side = "not one of the releases"
    detail = (
        f"{dlv.label} is {side} than wslgo's delve table (v{first} to v{last}): the table "
        "does not know which Go releases it debugs"
        if side != "not one of the releases"
        else f"{dlv.label} is not a release in wslgo's delve table (v{first} to v{last}): "
        "the table does not know which Go releases it debugs"
    )
    fix = _install_fix(targets)
    return Row(
        check,
        WARN,
        detail,
        f"if delve refuses the program: {fix} (the newest release known to debug it)"
        if fix
        else _latest(),
    )


def _install_fix(targets: Targets) -> str:
    minors = targets.minors()
    cmd = delve.install_command(minors)
    if not cmd:
        return ""
    both = delve.release_for(minors) is not None
    gos = " and ".join(f"Go 1.{m}" for m in (minors if both else minors[:1]))
    return f"{cmd} (the newest delve for {gos})"


def _latest() -> str:
    return delve.INSTALL.format(delve.text(delve.newest()))


# ---- the workspace: settings.json and launch.json -----------------------------------


def read_jsonc(path: Path) -> tuple[Any, str]:
    """(the parsed JSONC file or None, an error line or "")."""
    try:
        text = userfile.read_text(path, "a VS Code JSON file")
    except FileNotFoundError:
        return None, ""
    except (OSError, ValueError) as e:
        return None, esc(str(e))
    try:
        return json.loads(_native.jsonc_to_json(text.removeprefix(userfile.BOM), str(path))), ""
    except (_native.WslgoError, ValueError) as e:
        return None, esc(str(e))


def _expand(value: str, workspace: str, home: str) -> str:
    value = value.replace("${workspaceFolder}", workspace).replace("${workspaceRoot}", workspace)
    if value == "~" or value.startswith("~/"):
        value = home + value[1:]
    return value


def vscode_dlv(host: Host, workspace: str, settings: Any, gopath: str | None) -> tuple[str, str]:
    """(path or "", how) of the dlv the Go extension runs; path "" when none is found."""
    home = host.environ.get("HOME", "")
    s = settings if isinstance(settings, dict) else {}
    alt = s.get("go.alternateTools")
    if isinstance(alt, dict) and isinstance(alt.get("dlv"), str) and alt["dlv"]:
        p = _expand(alt["dlv"], workspace, home)
        if os.sep not in p:
            return host.which(p) or p, "go.alternateTools"
        return os.path.join(workspace, p), "go.alternateTools"
    roots: list[tuple[str, str]] = []
    tg = s.get("go.toolsGopath")
    if isinstance(tg, str) and tg:
        roots += [(_expand(p, workspace, home), "go.toolsGopath") for p in tg.split(":") if p]
    gp = gopath or (os.path.join(home, "go") if home else "")
    roots += [(p, "GOPATH") for p in gp.split(":") if p]
    for root, how in roots:
        cand = os.path.join(root, "bin", "dlv")
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand, f"{how}/bin"
    found = host.which("dlv")
    return (found, "PATH") if found else ("", "")


@dataclass
class Workspace:
    folder: str
    settings: Any = None
    launch: Any = None
    errors: list[Row] = field(default_factory=list)

    @classmethod
    def read(cls, folder: str) -> Workspace:
        ws = cls(folder)
        vs = Path(folder) / ".vscode"
        for name in ("settings.json", "launch.json"):
            value, err = read_jsonc(vs / name)
            if err:
                ws.errors.append(Row(name, WARN, err, f"fix or remove {vs / name}"))
            setattr(ws, name.split(".")[0], value)
        return ws

    def go_configs(self) -> list[dict[str, Any]]:
        cfgs = self.launch.get("configurations") if isinstance(self.launch, dict) else None
        return [c for c in cfgs or [] if isinstance(c, dict) and c.get("type") == "go"]


# ---- everything ---------------------------------------------------------------------


def check_delve(
    host: Host,
    mounts: list[tuple[str, str]],
    targets: Targets,
    gopath: str | None,
    workspace: str | None = None,
) -> list[Row]:
    ws = Workspace.read(workspace or host.cwd)
    rows = list(ws.errors)
    on_path = host.which("dlv")
    probed: dict[str, Dlv] = {}

    def get(path: str, how: str) -> Dlv:
        key = os.path.realpath(path)
        if key not in probed:
            probed[key] = probe(host, path, how)
        return probed[key]

    if on_path:
        rows.append(verdict("dlv", get(on_path, "PATH"), targets, mounts))
    vpath, how = vscode_dlv(host, ws.folder, ws.settings, gopath)
    vs: Dlv | None = None
    if vpath and not os.path.isfile(vpath):
        rows.append(
            Row(
                "dlv (VS Code)",
                FAIL,
                f"{how} names {esc(vpath)}: no such file",
                f"fix go.alternateTools in {ws.folder}/.vscode/settings.json, or "
                + (_install_fix(targets) or _latest()),
            )
        )
    elif vpath:
        vs = get(vpath, how)
        if on_path and os.path.realpath(vpath) == os.path.realpath(on_path):
            rows.append(Row("dlv (VS Code)", OK, f"the dlv on PATH ({esc(vpath)}), checked above"))
        else:
            r = verdict("dlv (VS Code)", vs, targets, mounts)
            r.detail = f"{how}: {r.detail}"
            rows.append(r)
    elif not on_path:
        rows.append(Row("dlv", OK, "not installed (only VS Code's Go extension needs it)"))
    rows += launch_rows(host, ws, vs, targets, get)
    return rows


def launch_rows(
    host: Host, ws: Workspace, dlv: Dlv | None, targets: Targets, get: Any
) -> list[Row]:
    configs = ws.go_configs()
    if not configs:
        return []
    out: list[Row] = []
    for c in configs:
        name = esc(str(c.get("name") or "(unnamed)"))
        d = dlv
        tool = c.get("dlvToolPath")
        if isinstance(tool, str) and tool:
            p = _expand(tool, ws.folder, host.environ.get("HOME", ""))
            d = get(p, "dlvToolPath") if os.path.isfile(p) else None
        out += [
            Row("launch.json", st, f'"{name}": {detail}', fix)
            for st, detail, fix in config_problems(host, c, d, targets)
        ]
    if not out:
        used = f" against {dlv.label}" if dlv and dlv.version else ""
        out.append(Row("launch.json", OK, f"{len(configs)} Go configuration(s) fit{used}"))
    return out


def _api_flag(flags: list[str]) -> str | None:
    for i, f in enumerate(flags):
        if f.startswith("--api-version="):
            return f.split("=", 1)[1]
        if f == "--api-version" and i + 1 < len(flags):
            return flags[i + 1]
    return None


def config_problems(
    host: Host, c: dict[str, Any], dlv: Dlv | None, targets: Targets
) -> list[tuple[str, str, str]]:
    """(status, detail, fix) of each problem of one Go configuration."""
    out: list[tuple[str, str, str]] = []
    adapter = c.get("debugAdapter", "dlv-dap")
    ver = dlv.version if dlv else None
    if adapter not in ("dlv-dap", "legacy"):
        out.append(
            (
                FAIL,
                f"debugAdapter {esc(json.dumps(adapter))}: the Go extension knows "
                '"dlv-dap" and "legacy"',
                'set "debugAdapter": "dlv-dap" (or remove it)',
            )
        )
    flags = c.get("dlvFlags", [])
    if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
        out.append((FAIL, "dlvFlags must be a list of strings", '"dlvFlags": ["--flag=value"]'))
        flags = []
    api: object = c.get("apiVersion")
    where = "apiVersion"
    if _api_flag(flags) is not None:
        api, where = _api_flag(flags), "dlvFlags --api-version"
    if adapter == "legacy" and api is not None:
        if str(api) not in ("1", "2"):
            out.append(
                (FAIL, f"{where} {esc(str(api))}: delve serves API 1 or 2", '"apiVersion": 2')
            )
        elif str(api) == "1" and ver and not delve.serves_api_v1(ver):
            out.append(
                (
                    FAIL,
                    f"legacy adapter with {where} 1, but {dlv.label if dlv else 'dlv'} serves "
                    f"JSON-RPC API v2 only (API v1 was dropped in "
                    f"v{delve.text(delve.API_V1_DROPPED)})",
                    'set "apiVersion": 2, or "debugAdapter": "dlv-dap"',
                )
            )
    if CHECK_GO_OFF in flags and dlv and dlv.version:
        bad = [v for _, v in targets.pairs if _refused(dlv.version, v)]
        if bad:
            out.append(
                (
                    WARN,
                    f"dlvFlags has {CHECK_GO_OFF}: {dlv.label} will debug {esc(bad[0])}, "
                    "which it does not support (undefined behaviour)",
                    _install_fix(targets) + f", then drop {CHECK_GO_OFF}",
                )
            )
    if "port" in c:
        out += _port_problems(host, c, adapter)
    return out


def _refused(dlv: delve.Version, go: str) -> bool:
    m = delve.go_minor(go)
    return m is not None and delve.check(dlv, m).refused


def _port_problems(host: Host, c: dict[str, Any], adapter: object) -> list[tuple[str, str, str]]:
    port = c["port"]
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        return [(FAIL, f"port {esc(json.dumps(port))} is not a TCP port", '"port": 2345')]
    bound = sorted(set(listeners(host, port)))
    serves = adapter == "legacy" and c.get("request") == "launch" and c.get("mode") != "remote"
    if serves and bound:
        return [
            (
                FAIL,
                f"port {port} is already bound ({', '.join(bound)}): the dlv this "
                "configuration starts cannot listen there",
                f'stop what listens on {port} or choose another "port"',
            )
        ]
    if not serves and not bound:
        start = (
            f"dlv dap --listen=:{port}"
            if adapter == "dlv-dap"
            else f"dlv --headless --listen=:{port} --api-version=2 exec BINARY"
        )
        return [
            (
                WARN,
                f"nothing listens on port {port}: this configuration connects to a delve "
                "server started beforehand",
                f"start it first: {start}",
            )
        ]
    return []
