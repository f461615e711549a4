"""Remote targets on amd64: gdbserver on this machine and `target remote`, also with
gdbserver in its own PID namespace (the pid gdb sees is not a local process), on debug and
`-s -w` builds. The engine must read through gdb (not /proc) and every hook work."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import gofixtures
import pytest
from conftest import build
from wslgo_testing.gdb import GdbRun
from wslgo_testing.sources import goids, line_of
from wslgo_testing.traceback import parse_dump

PROGRAM = "__import__('wslgo.gdb.program', fromlist=['x'])"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gdbserver(binary: Path, namespace: bool, tmp_path: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    argv = ["gdbserver", "--once", f"127.0.0.1:{port}", str(binary)]
    if namespace:
        argv = ["unshare", "--fork", "--pid", "--mount-proc", *argv]
    log = (tmp_path / "gdbserver.log").open("w")
    proc = subprocess.Popen(
        argv, stdout=log, stderr=subprocess.STDOUT, env={"PATH": "/usr/bin:/bin"}
    )
    deadline = time.monotonic() + 20
    while "Listening on port" not in (tmp_path / "gdbserver.log").read_text():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise AssertionError((tmp_path / "gdbserver.log").read_text())
        time.sleep(0.05)
    return proc, port


def over_gdbserver(
    gdb_run, binary: Path, namespace: bool, tmp_path: Path, cmds: list[str]
) -> tuple[GdbRun, str]:
    """gdb with wslgo on ``binary`` under gdbserver (in its own PID namespace with
    ``namespace``): ``target remote``, then ``cmds``. Returns gdb's run and the program's
    output (gdbserver's log)."""
    if namespace and shutil.which("unshare") is None:
        pytest.skip("unshare not installed")
    server, port = start_gdbserver(binary, namespace, tmp_path)
    try:
        r = gdb_run([f"target remote 127.0.0.1:{port}", *cmds], binary=binary)
    finally:
        server.kill()
        server.wait()
    return r, (tmp_path / "gdbserver.log").read_text()


@pytest.mark.skipif(shutil.which("gdbserver") is None, reason="gdbserver not installed")
@pytest.mark.parametrize("namespace", [False, True], ids=["same-ns", "pid-ns"])
@pytest.mark.parametrize("mode", ["debug", "stripped"])
def test_gdbserver_hooks_and_goroutines(
    gdb_run, go_version: str, mode: str, namespace: bool, tmp_path: Path
) -> None:
    binary = build("hkbreak", go_version, mode)
    r, _ = over_gdbserver(
        gdb_run,
        binary,
        namespace,
        tmp_path,
        [
            "continue",
            "wslgo-bt -l",
            f"python print('memory path:', {PROGRAM}.target_key()[0])",
            "wslgo-traceback",
            "continue",
            "continue",
        ],
    )
    out = r.output
    line = line_of("hkbreak", "BREAK-HERE")
    pat = r"^wslgo: Go breakpoint: runtime\.Breakpoint\(\) in main\.main at (\S+),"
    stop = f"{gofixtures.source_dir('hkbreak')}/main.go:{line}"
    assert re.findall(pat, out, re.M) == [stop] * 2, out
    assert "SIGTRAP" not in out, out
    assert "memory path: gdb" in out, out
    listed = re.findall(r"^[* ]\s+(\d+) \[", out, re.M)
    assert len(listed) >= 8 and "1" in listed, out
    assert out.count("main.hold at go/hkbreak/main.go") == 2, out
    assert re.search(r"^\*\s+1 \[running\] main\.main at ", out, re.M), out
    assert "[traceback_cache=11, traceback_env=11]" in out, out
    assert "exited normally" in out, out


#: In gdb: the first goroutine parked in main.hold, its backtrace and its locals.
PARKED = (
    "python import re; "
    "n = re.search(r'^ +(\\d+) \\[chan receive\\] main\\.hold ', "
    "gdb.execute('wslgo-bt -l', to_string=True), re.M).group(1); "
    "print('PARKED', n); gdb.execute('wslgo-goroutine %s bt' % n); "
    "gdb.execute('wslgo-goroutine %s' % n); "
    "gdb.execute('frame function main.hold'); gdb.execute('info locals')"
)


@pytest.mark.skipif(shutil.which("gdbserver") is None, reason="gdbserver not installed")
@pytest.mark.parametrize("namespace", [False, True], ids=["same-ns", "pid-ns"])
def test_gdbserver_goroutine_views_at_a_nil_dereference(
    gdb_run, go_version: str, namespace: bool, tmp_path: Path
) -> None:
    """Over gdbserver, stopped at a nil dereference: the SIGSEGV stop names the goroutine,
    `wslgo-bt` and `wslgo-bt all` group the parked goroutines, and one is shown with its
    backtrace and locals (the crash itself: the test after this one)."""
    binary = build("hkcrash", go_version)
    r, program = over_gdbserver(
        gdb_run, binary, namespace, tmp_path, ["continue", "wslgo-bt", "wslgo-bt all", PARKED]
    )
    out = r.output
    ids = goids(program, "hkcrash")
    assert re.search(
        rf"^wslgo: fatal signal SIGSEGV: .*, goroutine {ids['crasher']}$", out, re.M
    ), out
    holders = sorted([ids["hold1"], ids["hold2"]])
    # `wslgo-bt` groups the two holders by their user frame; `all` by their stack
    summary = re.search(
        r"^\s+2 \[chan receive\] main\.hold at go/hkcrash/main\.go:\d+  ids: (\d+), (\d+)$",
        out,
        re.M,
    )
    assert summary and sorted(map(int, summary.groups())) == holders, out
    group = re.search(r"^2 goroutines \[chan receive\]: (\d+), (\d+)$", out, re.M)
    assert group and sorted(map(int, group.groups())) == holders, out
    parked = int(re.search(r"^PARKED (\d+)$", out, re.M).group(1))
    assert parked in (ids["hold1"], ids["hold2"]), (parked, ids)
    assert re.search(r"^#\d+\s+.*main\.hold \(id=[12],", out, re.M), out
    assert re.search(r"^secret = 400[12]$", out, re.M), out


@pytest.mark.skipif(shutil.which("gdbserver") is None, reason="gdbserver not installed")
@pytest.mark.parametrize("namespace", [False, True], ids=["same-ns", "pid-ns"])
@pytest.mark.parametrize("mode", ["debug", "stripped"])
def test_gdbserver_nil_dereference_prints_the_crash_traceback(
    gdb_run, go_version: str, mode: str, namespace: bool, tmp_path: Path
) -> None:
    """Over gdbserver, a nil dereference continued past SIGSEGV: the Go runtime prints
    every goroutine at the crash level wslgo stored, and wslgo names both stops."""
    binary = build("hkcrash", go_version, mode)
    r, dump = over_gdbserver(gdb_run, binary, namespace, tmp_path, ["continue"] * 5)
    out = r.output
    ids = goids(dump, "hkcrash")
    assert re.search(rf"^wslgo: fatal signal SIGSEGV: .*, goroutine {ids['crasher']}$", out, re.M)
    assert re.search(r"^wslgo: SIGABRT from the Go runtime's crash", out, re.M), out
    assert "panic: runtime error: invalid memory address or nil pointer dereference" in dump
    dumped = parse_dump(dump)
    assert {ids["hold1"], ids["hold2"], ids["crasher"]} <= set(dumped), dump
    assert dumped[ids["crasher"]].functions[-2:] == ["main.main.func1", "runtime.goexit"], dump
    assert any("runtime.forcegchelper" in g.functions for g in dumped.values()), dump
