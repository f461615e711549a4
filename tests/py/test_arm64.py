"""linux/arm64 under qemu-user: the goroutine oracle on cores qemu writes
(`qemu_PROG_DATE_PID.core`, GOTRACEBACK=crash), and live under qemu's gdb stub
(`qemu-aarch64 -g PORT` + gdb-multiarch `target remote`); fixtures cross-built with
GOARCH=arm64 CGO_ENABLED=0. Skipped when qemu-aarch64 (or, live, gdb-multiarch) is not
installed (`scripts/test --arch arm64` installs Debian's qemu-user and gdb-multiarch).

qemu's stub (7.2) reports each signal a guest thread gets while the other threads run on;
the Go scheduler's preemption signals made it lose most live sessions, with or without
wslgo (the connection is reset or closed, a reply is invalid, a stop is missed, gdb waits
forever), so the live tests run the program with async preemption off (QEMU_GODEBUG). A
live try that the stub still lost, recognised by those symptoms, is run again, and the
retries are printed. Like the core tests, the live ones run on the first Go version by
default and on every one with `scripts/test --arch arm64`."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import gofixtures
import pytest
from conftest import GdbRun, run_gdb
from wslgo import _native
from wslgo_testing import leaks, pyviews, waits
from wslgo_testing.cores import (
    OBJCOPY,
    check_symbols_option,
    crash_env,
    strip_copy,
    unlimited_cores,
)
from wslgo_testing.gdb import marked, section
from wslgo_testing.sources import goids, line_of
from wslgo_testing.traceback import compare, ours_frames, parse_dump
from wslgo_testing.versions import selected_versions

QEMU = shutil.which("qemu-aarch64")


class Ready(Protocol):
    """A fixture's account of itself, read up to its `ready` line."""

    ready: bool


T = TypeVar("T", bound=Ready)
GDB_MULTIARCH = shutil.which("gdb-multiarch")
#: What gdb says when qemu's stub, not wslgo, lost the session.
STUB_LOST = (
    "Remote connection closed",
    "Remote communication error",
    "Invalid remote reply",
    "Remote register badly formatted",
    "Malformed packet",
    "Ignoring packet error",
    "Connection refused",
    "Cannot execute this command while the target is running",
)
#: Live tries before giving up on qemu's stub.
TRIES = 8
#: qemu-user's stub reports each signal a guest thread receives while the other threads run
#: on, and loses most sessions to the scheduler's preemption signals (SIGURG, sent every
#: 10 ms to a goroutine that runs long): 11 of 12 tries with wslgo, 8 of 10 without, against
#: none of 10 with async preemption off. The live tests run the program with it off.
QEMU_GODEBUG = "asyncpreemptoff=1"
pytestmark = pytest.mark.skipif(QEMU is None, reason="qemu-aarch64 not installed")


def qemu_core(binary: Path, cwd: Path) -> tuple[Path, str]:
    """Run the arm64 ``binary crash`` under qemu-aarch64 until it aborts; qemu writes
    qemu_PROG_DATE_PID.core into ``cwd``."""
    assert QEMU is not None
    proc = subprocess.run(
        [QEMU, str(binary), "crash"],
        cwd=cwd,
        env=crash_env(),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=unlimited_cores,
    )
    assert proc.returncode != 0, proc
    cores = sorted(cwd.glob("qemu_*.core"))
    assert cores, f"qemu wrote no core in {cwd}: {proc.stderr[-500:]}"
    return cores[0], proc.stderr


def quit_core(binary: Path, cwd: Path, read: Callable[[Iterable[str]], T]) -> tuple[Path, T]:
    """Run the arm64 fixture ``binary`` under qemu-aarch64 (its stdin a pipe it can wait
    on) until ``read`` has its account up to `ready`, then SIGQUIT it: the core qemu writes
    into ``cwd`` (GOTRACEBACK=crash) and the account."""
    assert QEMU is not None
    with (cwd / "stderr").open("w") as err:
        proc = subprocess.Popen(
            [QEMU, str(binary)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=cwd,
            env=crash_env(GODEBUG=QEMU_GODEBUG),
            preexec_fn=unlimited_cores,
        )
        try:
            assert proc.stdout is not None
            told = read(proc.stdout)
            assert told.ready, (cwd / "stderr").read_text()[-500:]
            proc.send_signal(signal.SIGQUIT)
            proc.wait(timeout=120)
        finally:
            proc.kill()
            proc.wait()
    # qemu's own core (the kernel's, named `core` here) is not needed.
    (cwd / "core").unlink(missing_ok=True)
    cores = sorted(cwd.glob("qemu_*.core"))
    assert len(cores) == 1, (cores, (cwd / "stderr").read_text()[-500:])
    return cores[0], told


@pytest.mark.parametrize("mode", ["debug", "opt", "nodwarf", "stripped"])
def test_arm64_core_matches_crash_dump(go_version: str, mode: str, tmp_path: Path) -> None:
    if os.environ.get("WSLGO_ARM64", "all") != "all" and go_version != selected_versions()[0]:
        pytest.skip("arm64 on the first Go version only (scripts/test --arch arm64: all)")
    binary = gofixtures.build("grstates", go_version, mode, goarch="arm64")
    core, stderr = qemu_core(binary, tmp_path)
    dumped = parse_dump(stderr)
    gs = _native.Core(binary, core).goroutines()
    # Every parked goroutine: id, wait reason, frames and `created by` as the runtime dumped.
    assert compare(gs, dumped, skip={1}) >= 20
    assert sorted(g["goid"] for g in gs) == sorted(dumped), (sorted(dumped), len(gs))


def test_arm64_crashing_goroutine_stack(tmp_path: Path) -> None:
    """The goroutine that dereferenced nil: its full stack (panic, sigpanic, main.main, ...)
    as the runtime dumped it, through the signal frames the crash left."""
    version = selected_versions()[0]
    binary = gofixtures.build("grstates", version, "opt", goarch="arm64")
    core, stderr = qemu_core(binary, tmp_path)
    dumped = parse_dump(stderr)
    cur = [g for g in _native.Core(binary, core).goroutines() if g["current"]]
    assert len(cur) == 1, cur
    assert pyviews.user_frame(cur[0])["func"] == "main.main", cur[0]["frames"]
    # The dump starts at the panic; ours also shows the crash machinery above it (raise,
    # dieFromSignal, the signal frame): the goroutine's own frames must end ours.
    want = dumped[cur[0]["goid"]].frames
    # The runtime prints runtime.gopanic as `panic`.
    mine = [("panic", *f[1:]) if f[0] == "runtime.gopanic" else f for f in ours_frames(cur[0])]
    assert mine[-len(want) :] == want, (mine, want)


@pytest.mark.skipif(
    shutil.which(OBJCOPY["arm64"]) is None, reason="binutils-aarch64-linux-gnu not installed"
)
def test_arm64_stripped_core_with_symbol_file(go_version: str, tmp_path: Path) -> None:
    """--symbols on arm64: the unstripped copy of a stripped binary (aarch64 objcopy keeps
    both build ids) gives what either binary alone gives on a qemu-written core; another
    build is refused."""
    first_version_only(go_version)
    debug = gofixtures.build("grstates", go_version, "debug", goarch="arm64")
    stripped = strip_copy(debug, tmp_path / "grstates-stripped", "arm64")
    core, stderr = qemu_core(stripped, tmp_path)
    other = gofixtures.build("grstates", go_version, "opt", goarch="arm64")
    check_symbols_option(stripped, core, debug, other, parse_dump(stderr))


@pytest.mark.parametrize("mode", ["debug", "opt", "stripped"])
def test_arm64_waits_core(go_version: str, mode: str, tmp_path: Path) -> None:
    """`wslgo waits` on a qemu-written core of tests/go/waits (SIGQUIT once it is parked,
    GOTRACEBACK=crash): every blocked goroutine's object, each object's waiters and
    suspects, and the AB-BA cycle, against what the program printed, as on amd64."""
    first_version_only(go_version)
    binary = gofixtures.build("waits", go_version, mode, goarch="arm64")
    core, told = quit_core(binary, tmp_path, waits.read_told)
    cli = [sys.executable, "-m", "wslgo.cli", "waits", str(binary), str(core), "--json"]
    r = subprocess.run(cli, capture_output=True, text=True)
    core.unlink()
    assert r.returncode == 0, r.stderr
    waits.check(json.loads(r.stdout), told)


@pytest.mark.parametrize("mode", ["debug", "stripped"])
def test_arm64_leaks_core(go_version: str, mode: str, tmp_path: Path) -> None:
    """`wslgo leaks` on a qemu-written core of tests/go/leaks (SIGQUIT once it is parked),
    a debug and a `-s -w` build (mheap_ found from arm64 code, the heap layout from the
    tables): only goroutines the program leaked, the nil-channel one among them, as on
    amd64 (tests/py/test_leaks.py)."""
    first_version_only(go_version)
    binary = gofixtures.build("leaks", go_version, mode, goarch="arm64")
    core, told = quit_core(binary, tmp_path, leaks.read_told)
    leaked, blocked = told.leaked, told.blocked
    cli = [sys.executable, "-m", "wslgo.cli", "leaks", str(binary), str(core), "--json"]
    r = subprocess.run(cli, capture_output=True, text=True)
    core.unlink()
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["cannot"] is None and doc["errors"] == [], doc
    found = {x["goid"]: x["cause"] for x in doc["leaked"]}
    assert set(found) <= set(leaked), (found, leaked)
    assert [found.get(g) for g, how in leaked.items() if how == "nil-chan"] == ["nil chan"]
    assert doc["blocked"] >= len(leaked) + len(blocked) and doc["heap_bytes"] > 0


def first_version_only(go_version: str) -> None:
    if os.environ.get("WSLGO_ARM64", "all") != "all" and go_version != selected_versions()[0]:
        pytest.skip("arm64 on the first Go version only (scripts/test --arch arm64: all)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    """True when a local socket listens on ``port`` (read from /proc: a probe connection
    would take the stub's only one)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[1].rsplit(":", 1)[1] == f"{port:04X}" and cols[3] == "0A":
                return True
    return False


def text_of(partial: str | bytes | None) -> str:
    """Output a timed-out run had captured (bytes or text, or None)."""
    if isinstance(partial, bytes):
        return partial.decode(errors="replace")
    return partial or ""


def stub_lost(r: GdbRun | None) -> str | None:
    """How qemu's stub lost the try (None: it did not; a timeout is gdb waiting forever)."""
    if r is None:
        return "gdb timed out"
    out = r.output
    for m in STUB_LOST:
        if m in out:
            return m
    # The inferior vanished without exiting or dying of a signal: the stub dropped the
    # connection silently.
    if "The program is not being run." in out and not re.search(
        r"exited normally|exited with code|Program terminated with signal", out
    ):
        return "the connection dropped"
    return None


@dataclass
class QemuRun:
    """A live try under qemu's stub that the stub did not lose."""

    gdb: GdbRun
    #: What the program wrote (qemu's stdout and stderr: the runtime's crash dump).
    program: str
    #: Tries before it that the stub lost.
    retries: int


def qemu_live(
    binary: Path, commands: Sequence[str], entry: Path, tmp_path: Path, args: Sequence[str] = ()
) -> QemuRun:
    """Run ``binary args`` under ``qemu-aarch64 -g PORT`` and gdb-multiarch with wslgo on it
    (``target remote``, then ``commands``); a try the stub lost is run again."""
    assert QEMU is not None and GDB_MULTIARCH is not None
    lost: list[str] = []
    last: GdbRun | None = None
    waited = subprocess.TimeoutExpired([], 0)
    for _ in range(TRIES):
        port = free_port()
        log_path = tmp_path / f"qemu-{port}.log"
        log = log_path.open("w")
        # No GOTRACEBACK: the crash level comes from wslgo's store into the runtime.
        env = {k: v for k, v in os.environ.items() if k != "GOTRACEBACK"}
        env["GODEBUG"] = ",".join(filter(None, [env.get("GODEBUG"), QEMU_GODEBUG]))
        qemu = subprocess.Popen(
            [QEMU, "-g", str(port), str(binary), *args], stdout=log, stderr=log, env=env
        )
        try:
            deadline = time.monotonic() + 20
            while not listening(port) and qemu.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            try:
                last = run_gdb(
                    [f"target remote 127.0.0.1:{port}", *commands],
                    binary=binary,
                    source=entry,
                    program=GDB_MULTIARCH,
                    timeout=120,
                )
            except subprocess.TimeoutExpired as e:
                last, waited = None, e
        finally:
            qemu.kill()
            qemu.wait()
            log.close()
        why = stub_lost(last)
        if why is None:
            break
        lost.append(why)
        # What gdb printed before the stub lost the try (up to the hang, on a timeout).
        seen = last.output if last else f"{why}\n{text_of(waited.stdout)}{text_of(waited.stderr)}"
        (tmp_path / f"lost-{len(lost)}.txt").write_text(seen)
    print(f"qemu-aarch64 gdb stub: {len(lost)} retries for {binary.name} {lost}")
    if lost:
        warnings.warn(f"qemu's gdb stub lost {len(lost)} tries: {lost}", stacklevel=2)
    assert last is not None and stub_lost(last) is None, (
        f"qemu's stub lost all {TRIES} tries {lost}: {last.output if last else 'timeout'}"
    )
    return QemuRun(last, log_path.read_text(errors="replace"), len(lost))


#: Live checks that need DWARF: locals, and a parked goroutine (its id differs per run)
#: through gdb's unwinder.
DWARF_CHECKS = [
    "echo LOCALS\\n",
    "info locals",
    "echo SWITCH\\n",
    "python gdb.execute('wslgo-goroutine %d bt' % [g['goid'] for g in "
    "__import__('wslgo.gdb.program', fromlist=['x']).goroutines() "
    "if 'main.hold' in [f['func'] for f in g['frames']]][0])",
    "echo END\\n",
]


@pytest.mark.skipif(GDB_MULTIARCH is None, reason="gdb-multiarch not installed")
@pytest.mark.parametrize("mode", ["debug", "stripped"])
def test_arm64_live_under_qemu_stub(
    go_version: str, mode: str, wslgo_entry: Path, tmp_path: Path
) -> None:
    """Under qemu's gdb stub: the Go breakpoint stops once per call at the caller's line
    with the context, continue goes on without SIGTRAP, the crash traceback level is
    stored, `wslgo-bt` summarises, every goroutine is listed with its stack (the running
    one down to main.main through runtime.breakpoint's LR); with DWARF, `info locals` and
    `wslgo-goroutine N bt` work (a `-s -w` build has no locals, and gdb names no frames)."""
    first_version_only(go_version)
    binary = gofixtures.build("hkbreak", go_version, mode, goarch="arm64")
    r = qemu_live(
        binary,
        [
            "continue",
            "wslgo-traceback",
            "echo BT-SUM\\n",
            "wslgo-bt",
            "echo BT-ALL\\n",
            "wslgo-bt all",
            "echo BT-LIST\\n",
            "wslgo-bt -l",
            *(DWARF_CHECKS if mode == "debug" else []),
            "continue",
            "continue",
        ],
        wslgo_entry,
        tmp_path,
    )
    out = r.gdb.output
    line = line_of("hkbreak", "BREAK-HERE")
    pat = r"^wslgo: Go breakpoint: runtime\.Breakpoint\(\) in main\.main at (\S+),"
    stop = f"{gofixtures.source_dir('hkbreak')}/main.go:{line}"
    assert re.findall(pat, out, re.M) == [stop] * 2, out
    assert "SIGTRAP" not in out and "exited normally" in out, out
    assert "[traceback_cache=11, traceback_env=11]" in out, out
    # the summary: the current goroutine's stack, then the others grouped by user frame
    summary = out[out.index("BT-SUM") : out.index("BT-ALL")]
    assert "goroutine 1 [running]:" in summary, summary
    assert re.search(
        r"^\s+\d+ \[chan receive\] main\.hold at go/hkbreak/main\.go:\d+  ids: ", summary, re.M
    ), summary
    bt_all = out[out.index("BT-ALL") : out.index("BT-LIST")]
    running = bt_all[bt_all.index("* 1 goroutine [running]") :].split("\n\n")[0]
    for fn in ("runtime.breakpoint", "runtime.Breakpoint", "main.main", "runtime.main"):
        assert f"    {fn}  " in running, bt_all
    assert "goroutines [chan receive]" in bt_all and "main.hold  go/hkbreak" in bt_all, bt_all
    listed = re.findall(r"^[* ]\s+(\d+) \[", out[out.index("BT-LIST") :], re.M)
    assert len(listed) >= 8 and "1" in listed, out
    if mode == "stripped":
        return
    assert re.search(r"^i = 0$", out[out.index("LOCALS") : out.index("SWITCH")], re.M), out
    switched = out[out.index("SWITCH") : out.index("END")]
    assert re.search(r"^#\d+ .* in main\.hold \(id=\d", switched, re.M), switched


@pytest.mark.skipif(GDB_MULTIARCH is None, reason="gdb-multiarch not installed")
@pytest.mark.parametrize("mode", ["debug", "stripped"])
def test_arm64_nil_dereference_under_qemu_stub(
    go_version: str, mode: str, wslgo_entry: Path, tmp_path: Path
) -> None:
    """A goroutine dereferences nil under qemu's stub: gdb stops at the SIGSEGV with
    wslgo's context, `continue` hands the signal to the Go runtime, which panics and, at the
    traceback level wslgo stored, prints every goroutine (runtime frames and system
    goroutines too) before it aborts; wslgo names the SIGABRT as the runtime's crash.
    Same checks as tests/py/test_hooks.py's on amd64 (hkcrash)."""
    first_version_only(go_version)
    binary = gofixtures.build("hkcrash", go_version, mode, goarch="arm64")
    r = qemu_live(binary, ["continue"] * 5, wslgo_entry, tmp_path)
    out, dump = r.gdb.output, r.program
    ids = goids(dump, "hkcrash")
    crasher = ids["crasher"]
    line = line_of("hkcrash", "CRASH-HERE")
    assert re.search(rf"^wslgo: fatal signal SIGSEGV: .*, goroutine {crasher}$", out, re.M), out
    where = f"main.deref at {gofixtures.source_dir('hkcrash')}/main.go:{line}"
    assert f"wslgo: in user code: {where}\n" in out, out
    assert re.search(r"^wslgo: SIGABRT from the Go runtime's crash", out, re.M), out
    assert "Program terminated with signal SIGABRT" in out, out
    # The runtime's own dump, at level crash: the panic, then every goroutine.
    assert "panic: runtime error: invalid memory address or nil pointer dereference" in dump
    assert "[signal SIGSEGV: segmentation violation" in dump, dump
    dumped = parse_dump(dump)
    assert {ids["hold1"], ids["hold2"], crasher} <= set(dumped), dump
    assert dumped[crasher].functions[-3:] == ["main.deref", "main.main.func1", "runtime.goexit"]
    assert dumped[ids["hold1"]].functions[0] == "runtime.gopark", dump
    assert any("runtime.forcegchelper" in g.functions for g in dumped.values()), dump


@pytest.mark.skipif(GDB_MULTIARCH is None, reason="gdb-multiarch not installed")
@pytest.mark.parametrize("mode", ["debug", "stripped"])
def test_arm64_live_goroutines_match_runtime_dump(
    go_version: str, mode: str, wslgo_entry: Path, tmp_path: Path
) -> None:
    """The live goroutine oracle under qemu's stub: at grstates' runtime.Breakpoint() the
    engine's goroutines (read through gdb) are saved, then `signal SIGTRAP` makes the runtime
    print every goroutine at the crash level wslgo stored; ids, wait reasons, frames and
    `created by` must agree, and goroutine 1's stack is the one the runtime printed."""
    first_version_only(go_version)
    binary = gofixtures.build("grstates", go_version, mode, goarch="arm64")
    saved = tmp_path / "goroutines.json"
    save = (
        "python import json; from wslgo.gdb import program; "
        f"json.dump(program.goroutines(), open({str(saved)!r}, 'w'))"
    )
    r = qemu_live(
        binary, ["continue", save, "signal SIGTRAP", "continue", "continue"], wslgo_entry, tmp_path
    )
    assert "SIGTRAP: trace trap" in r.program, r.program
    gs = json.loads(saved.read_text())
    dumped = parse_dump(r.program)
    # "goroutine 0": another thread's g0 (sysmon), which the crash dump shows, not a goroutine.
    dumped.pop(0, None)
    assert compare(gs, dumped, skip=set()) >= 20
    assert sorted(g["goid"] for g in gs) == sorted(dumped), (sorted(dumped), len(gs))
    main = next(g for g in gs if g["goid"] == 1)
    assert main["current"] and pyviews.user_frame(main)["func"] == "main.main", main["frames"]
    assert ours_frames(main)[-len(dumped[1].frames) :] == dumped[1].frames, (
        ours_frames(main),
        dumped[1].frames,
    )


@pytest.mark.skipif(GDB_MULTIARCH is None, reason="gdb-multiarch not installed")
@pytest.mark.skipif(
    shutil.which(OBJCOPY["arm64"]) is None, reason="binutils-aarch64-linux-gnu not installed"
)
def test_arm64_live_symbol_file_under_qemu_stub(
    go_version: str, wslgo_entry: Path, tmp_path: Path
) -> None:
    """`set wslgo symbol-file` under qemu's stub: another build is refused with one line;
    the unstripped twin gives gdb names and locals, and wslgo lists the same goroutines."""
    first_version_only(go_version)
    debug = gofixtures.build("hkbreak", go_version, "debug", goarch="arm64")
    stripped = strip_copy(debug, tmp_path / "hkbreak-stripped", "arm64")
    other = gofixtures.build("hkbreak", go_version, "opt", goarch="arm64")
    r = qemu_live(
        stripped,
        [
            f"set wslgo symbol-file {other}",
            "continue",
            "echo STRIPPED-LIST\\n",
            "wslgo-bt -l",
            f"set wslgo symbol-file {debug}",
            "echo DEBUG-LIST\\n",
            "wslgo-bt -l",
            "info locals",
            "bt 3",
            "continue",
            "continue",
        ],
        wslgo_entry,
        tmp_path,
    )
    out = r.gdb.output
    refused = [ln for ln in r.gdb.stderr.splitlines() if "symbol-file" in ln]
    assert len(refused) == 1 and "is another build than" in refused[0], r.gdb.stderr
    assert "Traceback" not in out, out
    line = line_of("hkbreak", "BREAK-HERE")
    pat = r"^wslgo: Go breakpoint: runtime\.Breakpoint\(\) in main\.main at (\S+),"
    stop = f"{gofixtures.source_dir('hkbreak')}/main.go:{line}"
    assert re.findall(pat, out, re.M) == [stop] * 2, out
    assert f"names and DWARF of hkbreak-stripped from {debug}" in out, out

    def listing(text: str) -> list[str]:
        return re.findall(r"^[* ]\s+\d+ \[[^\]]+\] \S+", text, re.M)

    after = out[out.index("DEBUG-LIST") :]
    alone = listing(out[out.index("STRIPPED-LIST") : out.index("DEBUG-LIST")])
    assert len(alone) >= 8 and alone == listing(after), out
    assert re.search(r"^i = 0$", after, re.M), after
    assert re.search(rf"^#2 .* main\.main \(\) at \S+hkbreak/main\.go:{line}$", after, re.M), after
    assert "SIGTRAP" not in out and "exited normally" in out, out


# ---- the session under qemu's stub: gdb's own `next` from a Go breakpoint stop reaches the
# user's next line (on arm64 the return address into runtime.Breakpoint starts its last line)


def test_arm64_next_from_a_go_breakpoint(
    go_version: str, wslgo_entry: Path, tmp_path: Path
) -> None:
    first_version_only(go_version)
    if GDB_MULTIARCH is None:
        pytest.skip("gdb-multiarch not installed")
    binary = gofixtures.build("hkbreak", go_version, "debug", goarch="arm64")
    r = qemu_live(
        binary,
        ["set wslgo stop-context off", "continue", *marked("N", "next"), "continue", "continue"],
        wslgo_entry,
        tmp_path,
    )
    out = r.gdb.stdout
    at = section(out, "N")
    # from the breakpoint's line in the loop, `next` goes to the loop's line, in main.main
    loop = line_of("hkbreak", "BREAK-HERE") - 2
    assert re.findall(r"^(\d+)\t", at, re.M) == [str(loop)], r.gdb.output
    assert "runtime" not in at and "proc.go" not in at, r.gdb.output
    assert "exited normally" in r.gdb.output, r.gdb.output


def test_arm64_finish_prints_the_go_results(
    go_version: str, wslgo_entry: Path, tmp_path: Path
) -> None:
    first_version_only(go_version)
    if GDB_MULTIARCH is None:
        pytest.skip("gdb-multiarch not installed")
    binary = gofixtures.build("sstrial", go_version, "debug", goarch="arm64")
    r = qemu_live(
        binary,
        [
            "set wslgo stop-context off",
            f"break main.go:{line_of('sstrial', 'MIXED-HERE')}",
            "continue",
            *marked("F", "wslgo-finish"),
            "continue",
        ],
        wslgo_entry,
        tmp_path,
        args=["results"],
    )
    # integer registers (a struct of an int and a string, a slice) and a float register,
    # against what the program printed
    m = re.search(r"^sstrial: results .* \{(\d+) (\w+)\} (\S+) \[(\d+) (\d+)\] ", r.program, re.M)
    assert m, r.program
    a, b, f, s0, s1 = m.groups()
    got = re.findall(r"^Value returned is (\S+) = (.*)$", section(r.gdb.stdout, "F"), re.M)
    want = [("~r0", f'{{A = {a}, B = "{b}"}}'), ("~r1", f), ("~r2", f"[]int = {{{s0}, {s1}}}")]
    assert got == want, r.gdb.output
