"""`wslgo doctor`: every WSL case on a fake root and a fake environment (so WSL1,
WSL2 and /mnt/c cases run on plain Linux), with real go, gdb and fixture binaries."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import gofixtures
import pytest
from conftest import build
from wslgo import _native, doctor
from wslgo_testing.doctorfake import (
    MOUNTS_WSL2,
    TCP_HEADER,
    WSL1,
    WSL2,
    build_go,
    cli,
    fake_root,
    host,
    row,
    tools_dir,
)
from wslgo_testing.versions import newest


@pytest.fixture
def all_tools(tmp_path: Path, go_version: str) -> Path:
    return tools_dir(tmp_path, go_version, ("go", "gdb", "gdbserver"))


def test_native_linux_all_ok(tmp_path: Path, all_tools: Path, go_version: str) -> None:
    if not shutil.which("gdbserver"):
        pytest.fail("gdbserver is not installed (apt install gdbserver)")
    root = fake_root(tmp_path)
    b = build("wslwhy", go_version)
    p = cli(root, all_tools, str(b))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "OK    platform" in p.stdout and "native Linux (6.1.0-18-amd64)" in p.stdout
    assert "wslgo native" in p.stdout and "loads" in p.stdout
    assert "0 warning(s), 0 failure(s)" in p.stdout
    j = json.loads(cli(root, all_tools, str(b), "--json").stdout)
    assert j["status"] == "OK" and j["exit"] == 0
    assert {c["check"] for c in j["checks"]} >= {"platform", "go", "gdb", "dwarf", "sources"}


def test_wsl1_fails(tmp_path: Path, go_version: str) -> None:
    root = fake_root(tmp_path, version=WSL1)
    path = tools_dir(tmp_path, go_version, ("go",))
    rows = doctor.run_checks(host(root, path, {"WSL_DISTRO_NAME": "Ubuntu"}))
    r = row(rows, "platform")
    assert r.status == "FAIL" and r.detail.startswith("WSL1 (Ubuntu): ptrace is emulated")
    assert r.fix == "convert the distro to WSL2: wsl --set-version Ubuntu 2"
    assert doctor.exit_code(rows) == 2
    p = cli(root, path, "--json", env={"WSL_DISTRO_NAME": "Ubuntu"})
    assert p.returncode == 2
    j = json.loads(p.stdout)
    assert j["status"] == "FAIL"
    assert next(c for c in j["checks"] if c["check"] == "platform")["status"] == "FAIL"
    t = cli(root, path, env={"WSL_DISTRO_NAME": "Ubuntu"})
    assert "FAIL  platform" in t.stdout and "fix: convert the distro to WSL2" in t.stdout


def test_wsl2_nat_and_mirrored(tmp_path: Path, go_version: str) -> None:
    path = tools_dir(tmp_path, go_version, ("go",))
    root = fake_root(tmp_path, version=WSL2, mounts=MOUNTS_WSL2, interop=True)
    rows = doctor.run_checks(host(root, path, {"WSL_DISTRO_NAME": "Ubuntu"}))
    assert row(rows, "platform").status == "OK" and row(rows, "platform").detail == "WSL2 (Ubuntu)"
    assert "NAT" in row(rows, "wsl networking").detail
    shutil.rmtree(tmp_path / "root")
    root = fake_root(
        tmp_path,
        version=WSL2,
        mounts=MOUNTS_WSL2,
        wslconfig="[wsl2]\nnetworkingMode=mirrored\nmemory=8GB\n",
    )
    rows = doctor.run_checks(host(root, path))
    assert row(rows, "wsl networking").detail.startswith("mirrored")


def test_gopath_and_gocache_on_mnt_c(tmp_path: Path, go_version: str) -> None:
    path = tools_dir(tmp_path, go_version, ("go",))
    root = fake_root(tmp_path, version=WSL2, mounts=MOUNTS_WSL2)
    env = {"GOPATH": "/mnt/c/Users/dev/go", "GOCACHE": "/mnt/c/Users/dev/AppData/go-build"}
    rows = doctor.run_checks(host(root, path, env, cwd="/mnt/c/Users/dev/app"))
    gp, gc = row(rows, "GOPATH"), row(rows, "GOCACHE")
    assert gp.status == "WARN" and "/mnt/c/Users/dev/go is on the Windows drive /mnt/c" in gp.detail
    assert gp.fix == "move it under $HOME: go env -w GOPATH=$HOME/go"
    assert gc.status == "WARN" and gc.fix.endswith("go env -w GOCACHE=$HOME/.cache/go-build")
    assert row(rows, "working tree").status == "WARN"
    assert row(rows, "GOROOT").status == "OK"
    p = cli(root, path, "--json", env=env)
    j = json.loads(p.stdout)
    assert p.returncode == 1 and j["status"] == "WARN", p.stdout + p.stderr
    checks = {c["check"]: c for c in j["checks"]}
    assert checks["GOPATH"]["status"] == "WARN" and checks["GOCACHE"]["status"] == "WARN"
    t = cli(root, path, env=env)
    assert "WARN  GOPATH" in t.stdout and "fix: move it under $HOME" in t.stdout


def program_rows(tmp_path: Path, go_version: str, mode: str) -> list[doctor.Row]:
    path = tools_dir(tmp_path, go_version, ("go",))
    return doctor.run_checks(
        host(fake_root(tmp_path), path), program=str(build("wslwhy", go_version, mode))
    )


def test_optimized_binary(tmp_path: Path, go_version: str) -> None:
    rows = program_rows(tmp_path, go_version, "opt")
    r = row(rows, "optimized")
    assert r.status == "WARN" and r.fix == "go build -gcflags=all='-N -l'"
    assert row(rows, "dwarf").status == "OK" and row(rows, "sources").status == "OK"
    assert row(rows, "program go").status == "OK"


def test_debug_binary_ok(tmp_path: Path, go_version: str) -> None:
    rows = program_rows(tmp_path, go_version, "debug")
    assert row(rows, "optimized").status == "OK"
    assert row(rows, "sources").detail.endswith("source file(s) found on disk")


def test_trimpath_binary(tmp_path: Path, go_version: str) -> None:
    rows = program_rows(tmp_path, go_version, "trimpath")
    r = row(rows, "trimpath")
    assert r.status == "WARN" and "example.com/wslwhy/..." in r.detail
    assert r.fix.startswith("rebuild without -trimpath, or set wslgo path-map example.com/wslwhy")


def test_stripped_binary(tmp_path: Path, go_version: str) -> None:
    rows = program_rows(tmp_path, go_version, "stripped")
    r = row(rows, "dwarf")
    assert r.status == "FAIL" and "stripped" in r.detail and "-s -w" in r.fix
    assert doctor.exit_code(rows) == 2
    b = build("wslwhy", go_version, "stripped")
    p = cli(fake_root(tmp_path / "x"), tools_dir(tmp_path, go_version, ("go",)), str(b), "--json")
    assert p.returncode == 2
    assert {c["check"]: c["status"] for c in json.loads(p.stdout)["checks"]}["dwarf"] == "FAIL"


def test_ptrace_scope_3(tmp_path: Path, go_version: str) -> None:
    path = tools_dir(tmp_path, go_version, ())
    rows = doctor.run_checks(host(fake_root(tmp_path, ptrace="3"), path))
    r = row(rows, "ptrace_scope")
    assert r.status == "FAIL" and r.detail.startswith("3: ptrace is disabled")
    assert "reboot" in r.fix
    p = cli(fake_root(tmp_path / "x", ptrace="3"), path)
    assert p.returncode == 2 and "FAIL  ptrace_scope" in p.stdout
    rows = doctor.run_checks(host(fake_root(tmp_path / "y", ptrace="2"), path))
    assert row(rows, "ptrace_scope").status == "WARN"


def test_small_cgroup_memory_max(tmp_path: Path, go_version: str) -> None:
    path = tools_dir(tmp_path, go_version, ())
    root = fake_root(tmp_path, cgroup=("/user.slice/dbg.scope", str(100 << 20)))
    b = build("wslwhy", go_version)
    rows = doctor.run_checks(host(root, path), program=str(b))
    r = row(rows, "memory limit")
    assert r.status == "FAIL" and "memory.max = 100 MiB" in r.detail
    assert "137" in r.fix
    root2 = fake_root(tmp_path / "big", cgroup=("/user.slice/dbg.scope", str(8 << 30)))
    assert row(doctor.run_checks(host(root2, path)), "memory limit").status == "OK"
    p = cli(root, path, "--json")
    assert p.returncode == 2
    j = {c["check"]: c for c in json.loads(p.stdout)["checks"]}
    assert j["memory limit"]["status"] == "FAIL"


def test_core_pattern_pipe_and_ulimit(tmp_path: Path) -> None:
    root = fake_root(tmp_path, core_pattern="|/wsl-capture-crash %t %E %p %s")
    h = host(root, tmp_path)
    h.rlimit_core = 0
    rows = doctor.check_process(h, None)
    assert row(rows, "core_pattern").status == "WARN"
    assert "/wsl-capture-crash" in row(rows, "core_pattern").detail
    assert row(rows, "ulimit -c").fix == "ulimit -c unlimited"


def test_debugger_port_on_loopback_in_nat(tmp_path: Path) -> None:
    # a real listener on 127.0.0.1, as the kernel reports it in /proc/net/tcp
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    try:
        tcp = Path("/proc/net/tcp").read_text().split("\n", 1)[1]
    finally:
        s.close()
    nat = fake_root(tmp_path, version=WSL2, mounts=MOUNTS_WSL2, tcp=tcp)
    r = doctor.check_listener(host(nat, tmp_path), port, doctor.Platform("wsl2", "nat"))
    assert r.status == "WARN" and "bound to 127.0.0.1 only" in r.detail
    assert r.fix.startswith(f"listen on all interfaces (dlv --listen=:{port}")
    p = cli(nat, tmp_path, "--port", str(port))
    assert p.returncode >= 1 and "WARN  listener" in p.stdout
    j = json.loads(cli(nat, tmp_path, "--port", str(port), "--json").stdout)
    assert {c["check"]: c["status"] for c in j["checks"]}["listener"] == "WARN"
    # mirrored networking, or all interfaces: fine
    assert (
        doctor.check_listener(host(nat, tmp_path), port, doctor.Platform("wsl2", "mirrored")).status
        == "OK"
    )
    anyaddr = (
        TCP_HEADER.splitlines()[0] and f"   0: 00000000:{port:04X} 00000000:0000 0A 0 0 0 0 0 1 0\n"
    )
    allif = fake_root(tmp_path / "a", version=WSL2, tcp=anyaddr)
    r = doctor.check_listener(host(allif, tmp_path), port, doctor.Platform("wsl2", "nat"))
    assert r.status == "OK" and "0.0.0.0" in r.detail


LOOPBACK_2345 = "   0: 0100007F:0929 00000000:0000 0A 00000000:00000000 00:00000000 0 0 0 1\n"

# case -> (fake root options, environment, program mode, check, status, fix fragment, exit)
CASES: dict[str, tuple[dict[str, object], dict[str, str], str | None, str, str, str, int]] = {
    "native": ({}, {}, "debug", "platform", "OK", "", 0),
    "wsl1": ({"version": WSL1}, {}, None, "platform", "FAIL", "wsl --set-version", 2),
    "wsl2": (
        {"version": WSL2, "mounts": MOUNTS_WSL2, "interop": True},
        {"WSL_DISTRO_NAME": "Ubuntu"},
        None,
        "platform",
        "OK",
        "",
        0,
    ),
    "gopath-mnt-c": (
        {"version": WSL2, "mounts": MOUNTS_WSL2},
        {"GOPATH": "/mnt/c/Users/dev/go"},
        None,
        "GOPATH",
        "WARN",
        "go env -w GOPATH=$HOME/go",
        1,
    ),
    "gocache-mnt-c": (
        {"version": WSL2, "mounts": MOUNTS_WSL2},
        {"GOCACHE": "/mnt/c/Users/dev/go-build"},
        None,
        "GOCACHE",
        "WARN",
        "go env -w GOCACHE=$HOME/.cache/go-build",
        1,
    ),
    "optimized": ({}, {}, "opt", "optimized", "WARN", "-gcflags=all='-N -l'", 1),
    "trimpath": ({}, {}, "trimpath", "trimpath", "WARN", "rebuild without -trimpath", 1),
    "stripped": ({}, {}, "stripped", "dwarf", "FAIL", "rebuild without -s -w", 2),
    "ptrace-3": ({"ptrace": "3"}, {}, None, "ptrace_scope", "FAIL", "reboot", 2),
    "small-memory-max": (
        {"cgroup": ("/user.slice/dbg.scope", str(64 << 20))},
        {},
        "debug",
        "memory limit",
        "FAIL",
        "MemoryMax=4G",
        2,
    ),
    "loopback-port": (
        {"version": WSL2, "mounts": MOUNTS_WSL2, "tcp": LOOPBACK_2345},
        {},
        None,
        "listener",
        "WARN",
        "dlv --listen=:2345",
        1,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_cli_text_and_json(case: str, tmp_path: Path, all_tools: Path, go_version: str) -> None:
    opts, env, mode, check, status, fix, code = CASES[case]
    if mode is None and go_version != newest():
        pytest.skip("no program: the row does not depend on the Go release (run on the newest)")
    root = fake_root(tmp_path, **opts)  # type: ignore[arg-type]
    args = [str(build("wslwhy", go_version, mode))] if mode else []
    text = cli(root, all_tools, *args, env=env)
    assert text.returncode == code, text.stdout + text.stderr
    lines = text.stdout.splitlines()
    i = next(n for n, x in enumerate(lines) if x.split()[1:2] == check.split()[:1])
    assert lines[i].startswith(f"{status:<4}  {check}"), text.stdout
    if fix:
        assert lines[i + 1].strip().startswith("fix: ") and fix in lines[i + 1], text.stdout
    js = cli(root, all_tools, *args, "--json", env=env)
    assert js.returncode == code
    j = json.loads(js.stdout)
    row_ = next(c for c in j["checks"] if c["check"] == check)
    assert row_["status"] == status and fix in row_["fix"]
    assert j["exit"] == code and j["status"] == ["OK", "WARN", "FAIL"][code]


def test_trimpath_sources_found_through_the_path_map(tmp_path: Path, go_version: str) -> None:
    b = build("wslwhy", go_version, "trimpath")
    src = Path(__file__).resolve().parent.parent / "go" / "wslwhy"
    path = tools_dir(tmp_path, go_version, ("go",))
    p = cli(fake_root(tmp_path), path, str(b), "--json")
    rows = {c["check"]: c for c in json.loads(p.stdout)["checks"]}
    assert rows["sources"]["status"] == "WARN"
    assert "example.com/wslwhy/main.go" in rows["sources"]["detail"]
    p = cli(fake_root(tmp_path / "m"), path, str(b), "--json", "--map", f"example.com/wslwhy={src}")
    rows = {c["check"]: c for c in json.loads(p.stdout)["checks"]}
    assert rows["sources"]["status"] == "OK", rows["sources"]


def test_no_go_on_path(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    rows, env = doctor.check_go(host(fake_root(tmp_path), empty), [])
    assert env == {} and rows[0].status == "WARN" and rows[0].detail == "go is not on PATH"


def test_memory_max_of_5000_digits(tmp_path: Path, go_version: str) -> None:
    """A memory.max wider than any byte count is no limit, and the doctor runs to the end
    (int() of 5,000 digits raised ValueError and aborted it)."""
    path = tools_dir(tmp_path, go_version, ("go",))
    root = fake_root(tmp_path, cgroup=("/user.slice/dbg.scope", "9" * 5000))
    rows = doctor.run_checks(host(root, path))
    assert row(rows, "memory limit").status == "OK"
    assert row(rows, "memory limit").detail == "no cgroup v2 memory limit"
    p = cli(root, path, "--json")
    assert p.returncode in (0, 1) and "Traceback" not in p.stderr, p.stderr
    assert {c["check"] for c in json.loads(p.stdout)["checks"]} >= {"memory limit", "listener"}


class CountingHost(doctor.Host):
    reads = 0

    def read(self, p: str, limit: int = 4 << 20) -> str | None:
        CountingHost.reads += 1
        return super().read(p, limit)


def test_30000_level_cgroup_path_is_bounded(tmp_path: Path) -> None:
    """Only the levels that can name a file (PATH_MAX) are read: not 60,000 reads of
    ever longer paths."""
    root = fake_root(tmp_path)
    deep = "/" + "/".join(["a"] * 30000)
    (root / "proc/self/cgroup").write_text(f"0::{deep}\n")
    d = root / "sys/fs/cgroup/a/a"
    d.mkdir(parents=True)
    (d / "memory.max").write_text(str(100 << 20) + "\n")
    h = CountingHost(root=root, environ={"PATH": ""}, cwd="/", rlimit_core=-1)
    r = doctor._cgroup_row(h, None)
    assert CountingHost.reads < 2 * 4096, CountingHost.reads
    assert r.status == "FAIL" and "/sys/fs/cgroup/a/a/memory.max = 100 MiB" in r.detail, r


def test_relative_path_entry(tmp_path: Path, go_version: str) -> None:
    """A relative PATH entry is taken from the working directory, as the shell does: the go
    there is found, and run (it was "./bin/go" run from /: FAIL, no such file)."""
    work = tmp_path / "work"
    (work / "bin").mkdir(parents=True)
    (work / "bin" / "go").symlink_to(build_go(go_version))
    root = fake_root(tmp_path)
    env = {**os.environ, "PATH": "bin", "WSLGO_CONFIG": "/nonexistent", "GOTOOLCHAIN": "local"}
    for k in ("GOPATH", "GOROOT", "GOFLAGS", "GOCACHE"):
        env.pop(k, None)
    p = subprocess.run(
        [sys.executable, "-m", "wslgo.cli", "doctor", "--root", str(root), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=300,
    )
    go = next(c for c in json.loads(p.stdout)["checks"] if c["check"] == "go")
    assert go["status"] == "OK", go
    assert go["detail"] == f"go{gofixtures.full_version(go_version)} at {work}/bin/go", go


FORGED = "\nFAIL  forged      row\x1b[31m"


def test_host_text_printed_escaped(tmp_path: Path, go_version: str) -> None:
    """WSL_DISTRO_NAME, .wslconfig's networkingMode, core_pattern and ptrace_scope are the
    user's or the system's text: a newline in them cannot forge a row of the table."""
    path = tools_dir(tmp_path, go_version, ("go",))
    shown = "\\nFAIL  forged      row\\x1b[31m"
    cases = [
        ({"version": WSL1}, {"WSL_DISTRO_NAME": "Ubuntu" + FORGED}, shown),
        (
            {"version": WSL2, "wslconfig": "[wsl2]\nnetworkingMode=nat\n  FAIL  forged\x1b\n"},
            {},
            "\\nFAIL  FORGED\\x1b",
        ),
        ({"core_pattern": "core" + FORGED}, {}, shown),
        ({"core_pattern": "|/bin/cap\x1b[2J"}, {}, "/bin/cap\\x1b[2J"),
        ({"ptrace": "3" + FORGED}, {}, shown),
    ]
    for i, (opts, env, escaped) in enumerate(cases):
        root = fake_root(tmp_path / str(i), **opts)  # type: ignore[arg-type]
        p = cli(root, path, env=env)
        assert "Traceback" not in p.stderr, p.stderr
        lines = p.stdout.splitlines()
        assert not any(x.lower().startswith("fail  forged") for x in lines), p.stdout
        assert "\x1b" not in p.stdout, p.stdout
        assert escaped in p.stdout, (escaped, p.stdout)


def _cgo_build(go_version: str, fixture: str, out: Path) -> Path:
    """A fixture built with cgo on (the fixture cache builds with CGO_ENABLED=0)."""
    go = gofixtures.go_binary(gofixtures.full_version(go_version))
    env = dict(gofixtures.go_env(go), CGO_ENABLED="1")
    subprocess.run(
        [str(go), "build", "-buildvcs=false", "-o", str(out), "."],
        cwd=gofixtures.GO_DIR / fixture,
        env=env,
        check=True,
        capture_output=True,
    )
    return out


@pytest.mark.parametrize("fixture", ["cgoprint", "grstates"])  # cgo; net with cgo
def test_cgo_generated_files_are_not_missing_sources(
    fixture: str, tmp_path: Path, go_version: str
) -> None:
    """cgo's `_cgo_gotypes.go` is named in the binary and never on disk: not the user's."""
    exe = _cgo_build(go_version, fixture, tmp_path / fixture)
    assert "_cgo_gotypes.go" in _native.source_files(_native.Symbols(str(exe)))
    path = tools_dir(tmp_path, go_version, ("go",))
    rows = doctor.run_checks(host(fake_root(tmp_path), path), program=str(exe))
    r = row(rows, "sources")
    assert r.status == "OK" and r.detail.endswith("source file(s) found on disk"), r
