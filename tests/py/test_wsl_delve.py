"""`wslgo doctor`'s delve checks: a `dlv` that answers `dlv version` as delve 1.20 ... 1.28
do, against programs built with each pinned Go; VS Code's dlv (settings.json, GOPATH/bin)
and launch.json against it; a real delve when one is installed."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import build, selected_versions
from wslgo import _native
from wslgo_testing.doctorfake import _cores_on, fake_root, tools_dir

#: delve's `dlv version` (cmd/dlv/cmds/commands.go: "Delve Debugger\n%s\n" of
#: pkg/version's "Version: X.Y.Z\nBuild: $Id: <git blob> $").
DLV_VERSION = "Delve Debugger\nVersion: {v}\nBuild: $Id: {h} $\n"

#: What delve's pkg/goversion/compat.go at each tag says of Go 1.21, 1.24 and 1.27 (read
#: by hand from the tags, independently of wslgo.delve): "ok", "old" (the program's Go is
#: too old for this delve), "new" (delve too old for it), "unknown" (newer than the table).
EXPECT: dict[str, dict[int, str]] = {
    "1.20.2": {21: "new", 24: "new", 27: "new"},  # Go 1.18-1.20
    "1.21.0": {21: "ok", 24: "new", 27: "new"},  # 1.18-1.21
    "1.22.1": {21: "ok", 24: "new", 27: "new"},  # 1.19-1.22
    "1.23.1": {21: "ok", 24: "new", 27: "new"},  # 1.21-1.23
    "1.24.2": {21: "ok", 24: "ok", 27: "new"},  # 1.21-1.24
    "1.25.0": {21: "ok", 24: "ok", 27: "new"},  # 1.21-1.24
    "1.25.2": {21: "old", 24: "ok", 27: "new"},  # 1.22-1.25
    "1.26.3": {21: "old", 24: "ok", 27: "new"},  # 1.24-1.26
    "1.27.1": {21: "old", 24: "old", 27: "ok"},  # 1.25-1.27
    "1.28.0": {21: "unknown", 24: "unknown", 27: "unknown"},
}
#: The newest release that debugs each Go (the remedy the doctor must name).
REMEDY = {21: "v1.25.0", 24: "v1.26.3", 27: "v1.27.1"}
STATUS = {"ok": "OK", "old": "FAIL", "new": "FAIL", "unknown": "WARN"}


def fake_dlv(d: Path, version: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    p = d / "dlv"
    out = DLV_VERSION.format(v=version, h="f053895a26cbf22694fcd72ea07b3b5210314ada")
    p.write_text(
        "#!/bin/sh\n"
        f"if [ \"$1\" = version ]; then printf %s '{out}'; exit 0; fi\n"
        'echo "Error: unknown command \\"$1\\" for \\"dlv\\"" >&2; exit 1\n'
    )
    p.chmod(0o755)
    return p


def minor(go_version: str) -> int:
    return int(go_version.split(".")[1])


def run(
    tmp_path: Path, path: str, workspace: Path, *args: str, gopath: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, dict[str, str]]]:
    """The doctor CLI run in ``workspace`` (VS Code's folder), text and JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WSL", "GO"))}
    env.update(PATH=path, WSLGO_CONFIG="/nonexistent", GOTOOLCHAIN="local", HOME=str(tmp_path))
    env["GOPATH"] = str(gopath or tmp_path / "gopath")
    root = fake_root(tmp_path / "r")
    argv = [sys.executable, "-m", "wslgo.cli", "doctor", "--root", str(root), *args]
    kw = {"capture_output": True, "text": True, "env": env, "cwd": workspace, "timeout": 300}
    kw["preexec_fn"] = _cores_on
    text = subprocess.run(argv, **kw)  # type: ignore[call-overload]
    js = subprocess.run([*argv, "--json"], **kw)  # type: ignore[call-overload]
    assert js.returncode == text.returncode, js.stderr
    rows: dict[str, dict[str, str]] = {}
    for c in json.loads(js.stdout)["checks"]:
        rows.setdefault(c["check"], c)
    return text, rows


def text_row(out: str, check: str) -> tuple[str, str]:
    """(the row's line, its fix line or "") from the text table."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line[6:].startswith(check + " ") and line[:4].strip() in ("OK", "WARN", "FAIL"):
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            return line, nxt if nxt.startswith("fix: ") else ""
    raise AssertionError(f"no {check} row in\n{out}")


@pytest.mark.parametrize("dlv_version", list(EXPECT))
def test_dlv_against_the_programs_go(dlv_version: str, tmp_path: Path, go_version: str) -> None:
    m = minor(go_version)
    want = EXPECT[dlv_version][m]
    tools = tools_dir(tmp_path, go_version, ("go",))
    dlv = fake_dlv(tmp_path / "dlvbin", dlv_version)
    prog = build("wslwhy", go_version)
    ws = tmp_path / "ws"
    ws.mkdir()
    text, rows = run(tmp_path, f"{dlv.parent}:{tools}", ws, str(prog))
    line, fix = text_row(text.stdout, "dlv")
    j = rows["dlv"]
    assert line.startswith(f"{STATUS[want]:<4}  dlv "), text.stdout
    assert j["status"] == STATUS[want], j
    assert f"dlv {dlv_version} at {dlv}" in line and j["detail"] in line
    install = f"go install github.com/go-delve/delve/cmd/dlv@{REMEDY[m]}"
    full = go_version_of(prog)
    if want == "ok":
        assert fix == "" and j["fix"] == "", j
        assert f"the program's and the go on PATH's {full} fit" in j["detail"], j
    elif want == "unknown":
        assert "newer than wslgo's delve table (v1.20.0 to v1.27.1)" in j["detail"], j
        assert "does not know which Go releases it debugs" in j["detail"], j
        assert install in j["fix"] and install in fix, (j, fix)
    else:
        why = "too old for this delve" if want == "old" else "too new for this delve"
        assert f"it refuses the program's and the go on PATH's {full} ({why})" in j["detail"], j
        assert j["fix"].startswith(f"{install} (the newest delve for Go 1.{m})"), j
        assert "--check-go-version=false" in j["fix"] and "undefined behaviour" in j["fix"]
        assert fix == "fix: " + j["fix"], fix
    if STATUS[want] != "OK":
        assert text.returncode == {"WARN": 1, "FAIL": 2}[STATUS[want]], text.stdout
    # VS Code's Go extension would run the same file: said once
    assert rows["dlv (VS Code)"]["status"] == "OK"
    assert rows["dlv (VS Code)"]["detail"].startswith("the dlv on PATH"), rows


def go_version_of(prog: Path) -> str:
    return _native.Symbols(str(prog)).info()["go_version"]


def workspace(tmp_path: Path, launch: object, settings: object | None = None) -> Path:
    ws = tmp_path / "ws"
    (ws / ".vscode").mkdir(parents=True, exist_ok=True)
    (ws / ".vscode" / "launch.json").write_text(
        "// written by hand\n" + json.dumps({"version": "0.2.0", "configurations": launch})
    )
    if settings is not None:
        (ws / ".vscode" / "settings.json").write_text(json.dumps(settings))
    return ws


def go_config(name: str, **kw: object) -> dict[str, object]:
    return {"name": name, "type": "go", "request": "launch", "mode": "debug", **kw}


def test_vscode_dlv_from_settings_and_gopath(tmp_path: Path, go_version: str) -> None:
    """VS Code's Go extension runs go.alternateTools' dlv, else GOPATH/bin/dlv: each is
    checked on its own against the program, beside the dlv on PATH."""
    m = minor(go_version)
    tools = tools_dir(tmp_path, go_version, ("go",))
    good = {21: "1.25.0", 24: "1.26.3", 27: "1.27.1"}[m]
    on_path = fake_dlv(tmp_path / "pathbin", good)
    alt = fake_dlv(tmp_path / "alt", "1.20.2")  # too old for every pinned Go
    prog = str(build("wslwhy", go_version))
    ws = workspace(tmp_path, [go_config("Launch")], {"go.alternateTools": {"dlv": str(alt)}})
    _, rows = run(tmp_path, f"{on_path.parent}:{tools}", ws, prog)
    assert rows["dlv"]["status"] == "OK", rows["dlv"]
    vs = rows["dlv (VS Code)"]
    assert vs["status"] == "FAIL" and vs["detail"].startswith(
        f"go.alternateTools: dlv 1.20.2 at {alt}"
    )
    assert "(too new for this delve)" in vs["detail"]
    assert vs["fix"].startswith(f"go install github.com/go-delve/delve/cmd/dlv@{REMEDY[m]}")
    # no setting: GOPATH/bin/dlv (what `go install` wrote) comes before PATH
    gopath = tmp_path / "gp"
    fake_dlv(gopath / "bin", "1.20.2")
    ws2 = workspace(tmp_path / "two", [go_config("Launch")])
    _, rows = run(tmp_path, f"{on_path.parent}:{tools}", ws2, prog, gopath=gopath)
    vs = rows["dlv (VS Code)"]
    assert vs["status"] == "FAIL" and vs["detail"].startswith("GOPATH/bin: dlv 1.20.2"), vs
    # a setting naming a file that is not there
    ws3 = workspace(tmp_path / "three", [], {"go.alternateTools": {"dlv": "/nonexistent/dlv"}})
    _, rows = run(tmp_path, f"{on_path.parent}:{tools}", ws3, prog)
    vs = rows["dlv (VS Code)"]
    assert vs["status"] == "FAIL" and "/nonexistent/dlv: no such file" in vs["detail"], vs


def launch_rows(tmp_path: Path, go_version: str, dlv_version: str, configs: list[object]):  # noqa: ANN201
    tmp_path.mkdir(parents=True, exist_ok=True)
    tools = tools_dir(tmp_path, go_version, ("go",))
    dlv = fake_dlv(tmp_path / "dlvbin", dlv_version)
    ws = workspace(tmp_path, configs)
    text, _ = run(tmp_path, f"{dlv.parent}:{tools}", ws)
    # the JSON again for every launch.json row (run() keeps the first of each check)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WSL", "GO"))}
    env.update(PATH=f"{dlv.parent}:{tools}", WSLGO_CONFIG="/nonexistent", HOME=str(tmp_path))
    p = subprocess.run(
        [sys.executable, "-m", "wslgo.cli", "doctor", "--json", "--root", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ws,
        timeout=300,
    )
    rows = [c for c in json.loads(p.stdout)["checks"] if c["check"] == "launch.json"]
    return text.stdout, rows


def test_launch_json_api_version_against_dlv(tmp_path: Path, go_version: str) -> None:
    legacy1 = go_config("Legacy v1", debugAdapter="legacy", apiVersion=1)
    # delve 1.23 still serves API v1; 1.24.0 dropped it
    _, rows = launch_rows(tmp_path / "a", go_version, "1.23.1", [legacy1])
    assert [r["status"] for r in rows] == ["OK"], rows
    out, rows = launch_rows(tmp_path / "b", go_version, "1.24.2", [legacy1])
    assert len(rows) == 1 and rows[0]["status"] == "FAIL", rows
    assert rows[0]["detail"].startswith('"Legacy v1": legacy adapter with apiVersion 1, but dlv')
    assert "API v1 was dropped in v1.24.0" in rows[0]["detail"]
    assert rows[0]["fix"] == 'set "apiVersion": 2, or "debugAdapter": "dlv-dap"'
    assert f"fix: {rows[0]['fix']}" in out
    # the same through dlvFlags; dlv-dap does not speak JSON-RPC: apiVersion is moot there
    flags = go_config("Flags", debugAdapter="legacy", dlvFlags=["--api-version", "1"])
    dap = go_config("Dap", apiVersion=1)
    _, rows = launch_rows(tmp_path / "c", go_version, "1.27.1", [flags, dap])
    assert [(r["status"], r["detail"][:7]) for r in rows] == [("FAIL", '"Flags"')], rows
    assert "dlvFlags --api-version 1" in rows[0]["detail"]


def test_launch_json_adapter_flags_and_ports(tmp_path: Path, go_version: str) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    try:
        tcp = Path("/proc/net/tcp").read_text()
        root = tmp_path / "r" / "root"
        configs = [
            go_config("Bad adapter", debugAdapter="dlv"),
            go_config("Bad flags", dlvFlags="--check-go-version=false"),
            go_config("Busy", debugAdapter="legacy", port=port),
            go_config("Remote", request="attach", mode="remote", port=port),
            go_config("Remote idle", request="attach", mode="remote", port=1),
            go_config("Bad port", port="2345"),
        ]
        tools = tools_dir(tmp_path, go_version, ("go",))
        dlv = fake_dlv(tmp_path / "dlvbin", "1.27.1")
        ws = workspace(tmp_path, configs)
        fake_root(tmp_path / "r")
        (root / "proc/net/tcp").write_text(tcp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WSL", "GO"))}
        env.update(PATH=f"{dlv.parent}:{tools}", WSLGO_CONFIG="/nonexistent", HOME=str(tmp_path))
        argv = [sys.executable, "-m", "wslgo.cli", "doctor", "--root", str(root)]
        kw = {"capture_output": True, "text": True, "env": env, "cwd": ws, "timeout": 300}
        js = subprocess.run([*argv, "--json"], **kw)  # type: ignore[call-overload]
        text = subprocess.run(argv, **kw)  # type: ignore[call-overload]
    finally:
        s.close()
    rows = [c for c in json.loads(js.stdout)["checks"] if c["check"] == "launch.json"]
    got = {r["detail"].split('"')[1]: r for r in rows}
    assert got["Bad adapter"]["status"] == "FAIL", rows
    assert 'the Go extension knows "dlv-dap" and "legacy"' in got["Bad adapter"]["detail"]
    assert got["Bad flags"]["status"] == "FAIL" and "list of strings" in got["Bad flags"]["detail"]
    busy = got["Busy"]
    assert (
        busy["status"] == "FAIL" and f"port {port} is already bound (127.0.0.1)" in busy["detail"]
    )
    assert "Remote" not in got, rows  # a server listens there: what an attach needs
    idle = got["Remote idle"]
    assert idle["status"] == "WARN" and idle["fix"] == "start it first: dlv dap --listen=:1"
    assert got["Bad port"]["status"] == "FAIL" and "not a TCP port" in got["Bad port"]["detail"]
    assert js.returncode == 2 and text.returncode == 2
    for r in rows:
        line = rf"^{r['status']}\s+launch\.json\s+{re.escape(r['detail'])}$"
        assert re.search(line, text.stdout, re.M), (line, text.stdout)


def test_check_go_version_false_in_dlv_flags(tmp_path: Path, go_version: str) -> None:
    m = minor(go_version)
    old = {21: "1.20.2", 24: "1.23.1", 27: "1.26.3"}[m]  # refuses this Go as too new
    cfg = go_config("Unchecked", dlvFlags=["--check-go-version=false"])
    _, rows = launch_rows(tmp_path, go_version, old, [cfg])
    assert len(rows) == 1 and rows[0]["status"] == "WARN", rows
    assert "will debug go1." in rows[0]["detail"] and "undefined behaviour" in rows[0]["detail"]
    assert rows[0]["fix"].startswith(f"go install github.com/go-delve/delve/cmd/dlv@{REMEDY[m]}")


def test_real_delve(tmp_path: Path, go_version: str) -> None:
    """The doctor's verdict on the installed delve is what that delve does to the program."""
    dlv = shutil.which("dlv")
    if not dlv:
        pytest.skip("no dlv on PATH (the tests never download delve; apt install delve)")
    tools = tools_dir(tmp_path, go_version, ("go",))
    prog = build("wslwhy", go_version)
    ws = tmp_path / "ws"
    ws.mkdir()
    _, rows = run(tmp_path, f"{tools}:{Path(dlv).parent}", ws, str(prog))
    verdict = rows["dlv"]
    p = subprocess.run(
        [dlv, "exec", str(prog), "--allow-non-terminal-interactive=true"],
        input="exit\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    refused = "too old for this version of Delve" in p.stdout + p.stderr or (
        "Version of Delve is too old" in p.stdout + p.stderr
    )
    if verdict["status"] == "WARN":
        assert "does not know" in verdict["detail"], verdict
    else:
        assert (verdict["status"] == "FAIL") == refused, (verdict, p.stdout, p.stderr)


def test_dlv_built_with_go_older_than_125_refuses_dwarf5(
    tmp_path: Path, go_version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """delve from v1.24.2 refuses a DWARFv5 program (Go 1.25 and later) unless delve itself
    was built with Go 1.25 or later: the doctor reads the Go that built dlv."""
    if minor(go_version) < 25:
        pytest.skip(f"Go {go_version} writes DWARFv4: the rule does not apply")
    older = [v for v in selected_versions() if minor(v) < 25]
    if not older:
        pytest.skip("no selected Go release older than 1.25 to build the fake delve with")
    monkeypatch.setenv("FAKEDLV_VERSION", "1.27.1")
    prog = str(build("wslwhy", go_version))
    tools = tools_dir(tmp_path, go_version, ("go",))
    for builder, status in ((older[0], "FAIL"), (go_version, "OK")):
        d = tmp_path / f"dlv-{builder}"
        d.mkdir()
        (d / "dlv").symlink_to(build("fakedlv", builder))
        ws = tmp_path / f"ws-{builder}"
        ws.mkdir()
        text, rows = run(tmp_path, f"{d}:{tools}", ws, prog)
        r = rows["dlv"]
        assert r["status"] == status, (builder, r)
        built = go_version_of(d / "dlv")
        if status == "FAIL":
            assert f"it was built with {built} and refuses DWARFv5 programs" in r["detail"], r
            assert r["fix"].startswith("rebuild it with Go 1.25 or later: go install"), r
            assert f"fix: {r['fix']}" in text.stdout
        else:
            assert r["detail"].startswith(f"dlv 1.27.1 at {d}/dlv debugs Go 1.25 to 1.27"), r
