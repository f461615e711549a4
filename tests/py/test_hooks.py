"""wslgo's automatic gdb hooks on real Go programs: runtime.Breakpoint(), the crash traceback
level, fatal signals, hookpost-run chaining and the stop context."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import gofixtures
import pytest
from conftest import build
from wslgo_testing.sources import goids, line_of

#: gdb command that registers a marker printer as the stop context printer (in place of
#: wslgo-bt's), so the tests see exactly when and with which level a stop asks for it.
FAKE_CONTEXT = (
    "python from wslgo.gdb.session import stops; "
    "stops.set_context_printer(lambda level: print('CTX-' + level))"
)


def test_breakpoint_stops_once_per_call_and_prints_context(gdb_run, go_version: str) -> None:
    binary = build("hkbreak", go_version)
    r = gdb_run(
        [
            FAKE_CONTEXT,
            "run",
            "echo AFTER-FIRST\\n",
            "frame",
            "continue",
            "echo AFTER-SECOND\\n",
            "down",
            "continue",
        ],
        binary=binary,
    )
    out = r.output
    line = line_of("hkbreak", "BREAK-HERE")
    stops = re.findall(
        r"^wslgo: Go breakpoint: runtime\.Breakpoint\(\) in main\.main at ([^\s,]+)", out, re.M
    )
    # two calls, two stops, both naming the caller's line; the trap never reaches gdb
    assert len(stops) == 2, out
    assert all(s.endswith(f"hkbreak/main.go:{line}") for s in stops), stops
    assert "SIGTRAP" not in out, out
    assert out.count("CTX-brief") == 2, out
    main_goid = goids(out, "hkbreak")["main"]
    assert f"goroutine {main_goid}\n" in out, out
    # the caller's frame is selected: `frame` shows the caller's line; `down` goes to
    # runtime.Breakpoint
    after_first = out[out.index("AFTER-FIRST") :]
    assert re.search(
        rf"#2 .* main\.main \(\) at \S+hkbreak/main\.go:{line}\n{line}\s.*BREAK-HERE", after_first
    )
    after_second = out[out.index("AFTER-SECOND") :]
    assert re.search(r"^#1 .*runtime\.Breakpoint \(\)", after_second, re.M), out
    assert "hkbreak: done" in out and "exited normally" in out, out


def test_traceback_cache_is_crash_after_run(gdb_run, go_version: str) -> None:
    binary = build("hkbreak", go_version)
    r = gdb_run(
        [
            "unset environment GOTRACEBACK",  # only the in-memory store is left
            "run",
            "print 'runtime.traceback_cache'",
            "wslgo-traceback",
            "wslgo-traceback single",
            "print 'runtime.traceback_cache'",
            "kill",
        ],
        binary=binary,
    )
    out = r.stdout
    values = re.findall(r"^\$\d+ = (\d+)$", out, re.M)
    assert values == ["11", "4"], r.output
    assert "traceback: crash (level 2, all, crash) [traceback_cache=11, traceback_env=11]" in out
    assert "traceback: single (level 1) [traceback_cache=4, traceback_env=0]" in out


@pytest.mark.parametrize("mode", ["pie", "opt", "nodwarf"])
def test_breakpoint_and_traceback_in_other_build_modes(gdb_run, go_version: str, mode: str) -> None:
    binary = build("hkbreak", go_version, mode)
    r = gdb_run(
        [
            "unset environment GOTRACEBACK",
            "run",
            "x/dw &'runtime.traceback_cache'",
            "continue",
            "continue",
        ],
        binary=binary,
    )
    out = r.output
    # PIE: addresses from the file plus the load bias; opt: runtime.Breakpoint is inlined;
    # nodwarf: symbols and lines from the native module (.symtab, pclntab)
    line = line_of("hkbreak", "BREAK-HERE")
    pat = r"^wslgo: Go breakpoint: runtime\.Breakpoint\(\) in main\.main at (\S+),"
    stops = re.findall(pat, out, re.M)
    assert len(stops) == 2, out
    # nodwarf: the caller's line of the inlined runtime.Breakpoint comes from the pclntab's
    # inline tree (the call site, not the callee's proc.go line)
    assert stops == [f"{gofixtures.source_dir('hkbreak')}/main.go:{line}"] * 2, out
    assert "SIGTRAP" not in out, out
    assert re.search(r"<runtime\.traceback_cache>:\s+11$", r.stdout, re.M), out
    assert "exited normally" in out, out


def test_breakpoint_and_traceback_in_a_stripped_build(gdb_run, go_version: str) -> None:
    """-s -w: gdb knows no symbol at all; the Go breakpoint comes from the pclntab and
    traceback_cache / traceback_env from the runtime's code (src/disasm)."""
    binary = build("hkbreak", go_version, "stripped")
    r = gdb_run(
        ["unset environment GOTRACEBACK", "run", "wslgo-traceback", "continue", "continue"],
        binary=binary,
    )
    out = r.output
    assert "stripped (-s -w): goroutines, stacks, the Go breakpoint and traceback work" in out
    line = line_of("hkbreak", "BREAK-HERE")
    pat = r"^wslgo: Go breakpoint: runtime\.Breakpoint\(\) in main\.main at (\S+),"
    stops = re.findall(pat, out, re.M)
    assert stops == [f"{gofixtures.source_dir('hkbreak')}/main.go:{line}"] * 2, out
    assert "SIGTRAP" not in out, out
    assert "[traceback_cache=11, traceback_env=11]" in out, out
    assert "exited normally" in out, out


def test_gotraceback_env_is_crash_unless_the_user_set_it(gdb_run, go_version: str) -> None:
    binary = build("hkbreak", go_version)
    show = "show environment GOTRACEBACK"
    assert "GOTRACEBACK = crash" in gdb_run([show], binary=binary).stdout
    mine = gdb_run([show], binary=binary, env={"GOTRACEBACK": "all"})
    assert "GOTRACEBACK = all" in mine.stdout, mine.output
    off = gdb_run(["set wslgo crash-traceback off", f"file {binary}", show])
    assert 'Environment variable "GOTRACEBACK" not defined.' in off.stdout, off.output
    # turning it off later takes back only what wslgo added
    later = gdb_run(["set wslgo crash-traceback off", show], binary=binary)
    assert 'Environment variable "GOTRACEBACK" not defined.' in later.stdout, later.output
    kept = gdb_run(
        ["set wslgo crash-traceback off", show], binary=binary, env={"GOTRACEBACK": "all"}
    )
    assert "GOTRACEBACK = all" in kept.stdout, kept.output


def _crash_run(gdb_run, binary: Path, args: str, resume: str, pre: list[str]) -> str:
    r = gdb_run(
        [FAKE_CONTEXT, *pre, f"run {args}", resume, "continue", "continue", "continue"],
        binary=binary,
    )
    return r.output


def _assert_crash_traceback(out: str, prog: str) -> None:
    ids = goids(out, prog)
    # every goroutine, with runtime frames and system goroutines (GOTRACEBACK=crash)
    for who in ("hold1", "hold2", "crasher"):
        assert re.search(rf"^goroutine {ids[who]}\b", out, re.M), (who, out)
    assert "runtime.gopark(" in out and "runtime.goexit(" in out, out
    assert "runtime.forcegchelper(" in out, out
    # The runtime raised SIGABRT (GOTRACEBACK=crash) and the process died of it. gdb 13
    # sometimes loses the exit status of a multi-threaded process killed by a signal and says
    # "Couldn't get registers: No such process." instead (seen without wslgo too).
    assert re.search(r"^wslgo: SIGABRT from the Go runtime's crash", out, re.M), out
    assert (
        "Program terminated with signal SIGABRT" in out
        or "Couldn't get registers: No such process." in out
    ), out


@pytest.mark.parametrize("mode", ["debug", "stripped"])
def test_nil_deref_in_goroutine_dies_with_crash_traceback(
    gdb_run, go_version: str, mode: str
) -> None:
    binary = build("hkcrash", go_version, mode)
    for resume in ("continue", "signal SIGSEGV"):
        out = _crash_run(gdb_run, binary, "", resume, [])
        crasher = goids(out, "hkcrash")["crasher"]
        assert re.search(rf"^wslgo: fatal signal SIGSEGV: .*, goroutine {crasher}$", out, re.M), out
        assert out.count("CTX-brief") >= 2, out
        _assert_crash_traceback(out, "hkcrash")


def test_set_traceback_single_cannot_lower_the_level(gdb_run, go_version: str) -> None:
    binary = build("hkcrash", go_version)
    # Oracle: without gdb the same program prints only the crashing goroutine.
    env = {k: v for k, v in os.environ.items() if k != "GOTRACEBACK"}
    plain = subprocess.run([binary, "settb"], capture_output=True, text=True, env=env)
    assert plain.returncode == 2 and "runtime.forcegchelper(" not in plain.stderr
    assert "main.hold(" not in plain.stderr, plain.stderr
    # Under gdb with GOTRACEBACK unset, only wslgo's store at runtime.main raises it.
    out = _crash_run(gdb_run, binary, "settb", "continue", ["unset environment GOTRACEBACK"])
    assert "hkcrash: SetTraceback(single)" in out
    _assert_crash_traceback(out, "hkcrash")


def test_users_hook_post_run_still_runs(gdb_run, go_version: str, tmp_path: Path) -> None:
    binary = build("hkbreak", go_version)
    script = tmp_path / "user.gdb"
    # gdb's post-hook of `run` is spelled hookpost-run (the design's "hook-post-run")
    script.write_text(
        "define hookpost-run\n  echo USER-HOOK-RAN\\n\n  if 1\n    echo NESTED\\n\n  end\nend\n"
    )
    before = gdb_run(
        ["run", "show user hookpost-run", "kill"], binary=binary, early=[f"source {script}"]
    )
    # defined after wslgo was sourced: re-chained when the Go program is loaded
    after = gdb_run([f"source {script}", f"file {binary}", "run", "kill"])
    for r in (before, after):
        assert r.stdout.splitlines().count("USER-HOOK-RAN") == 1, r.output
        assert "NESTED" in r.stdout.splitlines()
        assert "wslgo: Go breakpoint" in r.stdout, r.output
    assert "wslgo-post-run" in before.stdout and "echo USER-HOOK-RAN" in before.stdout


def test_stop_context_levels_and_user_breakpoints(gdb_run, go_version: str) -> None:
    binary = build("hkbreak", go_version)
    r = gdb_run(
        [
            FAKE_CONTEXT,
            "set wslgo stop-context full",
            "break main.spin",
            "run",
            "echo MARK-OFF\\n",
            "delete",
            "set wslgo stop-context off",
            "continue",
            "echo MARK-END\\n",
            "kill",
        ],
        binary=binary,
    )
    out = r.stdout
    first, rest = out.split("MARK-OFF", 1)
    spin = goids(r.output, "hkbreak")["spin"]
    assert re.search(rf"^wslgo: breakpoint 1, goroutine {spin}$", first, re.M), r.output
    assert "CTX-full" in first
    silenced = rest.split("MARK-END")[0]
    assert "wslgo: Go breakpoint" in silenced, r.output  # the stop line replaces gdb's own
    assert "CTX-" not in silenced, r.output


@pytest.mark.parametrize(("mode", "where"), [("on", "fatalpanic"), ("all", "gopanic")])
def test_break_on_panic_stops_before_the_runtime_dies(
    gdb_run, go_version: str, mode: str, where: str
) -> None:
    binary = build("hkcrash", go_version)
    r = gdb_run(
        [FAKE_CONTEXT, f"set wslgo break-on-panic {mode}", "run", "continue", "bt 12", "kill"],
        binary=binary,
    )
    out = r.output
    crasher = goids(out, "hkcrash")["crasher"]
    assert re.search(
        rf"^wslgo: panic \(stopped at runtime\.{where}\), goroutine {crasher}\n"
        r"panic: runtime error: invalid memory address or nil pointer dereference$",
        out,
        re.M,
    ), out
    assert "[signal SIGSEGV" not in out, out  # stopped before the runtime printed it
    assert re.search(r"#\d+ .*main\.deref \(", out), out
    assert "Program terminated" not in out


def test_help_and_parameters(gdb_run) -> None:
    r = gdb_run(
        [
            "help wslgo",
            "show wslgo stop-context",
            "show wslgo break-on-panic",
            "show wslgo crash-traceback",
            "help set wslgo stop-context",
            "set wslgo stop-context loud",
        ]
    )
    for name in ("wslgo-goroutine", "wslgo-traceback", "wslgo-post-run"):
        assert name in r.stdout, r.output
    assert "wslgo stop-context is brief." in r.stdout
    assert "wslgo break-on-panic is off." in r.stdout
    assert "wslgo crash-traceback is on." in r.stdout
    assert "how much goroutine context" in r.stdout
    assert 'Undefined item: "loud".' in r.stderr, r.stderr


@pytest.mark.parametrize("mode", ["debug", "stripped"])
def test_attach_raises_the_level_of_a_running_program(
    gdb_run, go_version: str, mode: str, tmp_path: Path
) -> None:
    """Attached after runtime.main started (runtime.mainStarted set; in a `-s -w` build
    found from the runtime's code), wslgo stores the crash level at once."""
    binary = build("hkattach", go_version, mode)
    env = {k: v for k, v in os.environ.items() if k != "GOTRACEBACK"}
    proc = subprocess.Popen(
        [binary], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "hkattach: ready\n"
        r = gdb_run(
            [
                f"attach {proc.pid}",
                "wslgo-traceback",
                "detach",
            ],
            binary=binary,
        )
        # runtime.main ran long ago: wslgo stored the level at the attach stop
        assert "traceback_cache=11, traceback_env=11]" in r.stdout, r.output
        (tmp_path / "go").touch()
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    # Oracle: the program itself, after gdb left, dies with the crash traceback.
    assert proc.returncode == -6, (proc.returncode, err)  # SIGABRT
    assert "main.hold(" in err and "runtime.gopark(" in err, err
