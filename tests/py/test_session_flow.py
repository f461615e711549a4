"""A debugging session's flow in real gdb (fixture tests/go/ssflow): Go breakpoints that
land in the user's frame, logpoints, quiet breakpoints, GOTRACEBACK honoured, $goid."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import build
from wslgo_testing.cores import make_core
from wslgo_testing.gdb import marked, section
from wslgo_testing.sources import goids, line_of


def _goids(out: str) -> dict[str, int]:
    return {m[0]: int(m[1]) for m in re.findall(r"^ssflow: (\w+) goid=(\d+)$", out, re.M)}


def test_go_breakpoint_selects_the_callers_frame(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    line = line_of("ssflow", "BP-HERE")
    r = gdb_run(
        ["run bp3", *marked("AT", "info locals", "list", "print square"), "kill"],
        binary=binary,
    )
    at = section(r.stdout, "AT")
    # the caller's locals, the caller's source, its variables: no `up` needed
    assert re.search(r"^square = 1$", at, re.M), r.output
    assert re.search(r'^label = .*"work-1"$', at, re.M), r.output
    assert re.search(rf"^{line}\s+runtime\.Breakpoint\(\) // BP-HERE", at, re.M), r.output
    assert re.search(r"^\$1 = 1$", at, re.M), r.output
    assert re.search(
        rf"^#\d+\s+.*main\.work \(i=1.*\) at \S+ssflow/main\.go:{line}$", r.stdout, re.M
    )
    kept = gdb_run(
        ["set wslgo select-user-frame off", "run bp3", *marked("AT", "frame"), "kill"],
        binary=binary,
    )
    assert re.search(r"^#0 .*runtime\.breakpoint", section(kept.stdout, "AT"), re.M), kept.output


def test_go_breakpoint_print_is_a_logpoint_and_off_ignores(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    line = line_of("ssflow", "BP-HERE")
    r = gdb_run(["set wslgo go-breakpoint print", "run bp3"], binary=binary)
    out = r.output
    logs = re.findall(
        r"^wslgo: Go breakpoint \(print\): runtime\.Breakpoint\(\) in main\.work at (\S+), "
        r"goroutine (\d+)$",
        out,
        re.M,
    )
    assert len(logs) == 3, out
    assert all(f.endswith(f"ssflow/main.go:{line}") for f, _ in logs), logs
    # three contexts: the brief context names the goroutine's frames each time
    assert len(re.findall(r"main\.work\b.*main\.go:" + str(line), out)) >= 3, out
    assert "SIGTRAP" not in out and "ssflow: done" in out, out
    assert "exited normally" in out, out
    off = gdb_run(["set wslgo go-breakpoint off", "run bp3"], binary=binary)
    assert "wslgo: Go breakpoint" not in off.output, off.output
    assert "SIGTRAP" not in off.output and "exited normally" in off.output, off.output


def test_silent_breakpoint_prints_nothing_from_wslgo(
    gdb_run, go_version: str, tmp_path: Path
) -> None:
    binary = build("ssflow", go_version)
    script = tmp_path / "quiet.gdb"
    script.write_text(
        "break main.hit\ncommands\n  silent\n  set $hits = $hits + 1\n  continue\nend\n"
    )
    r = gdb_run(["set $hits = 0", f"source {script}", "run loop", "print $hits"], binary=binary)
    # 50 calls; gdb may count one more hit when a preemption at the function's stack
    # check runs its entry again
    hits = re.findall(r"^\$\d+ = (\d+)$", r.stdout, re.M)
    assert hits and 50 <= int(hits[0]) <= 52, r.output
    said = [ln for ln in r.output.splitlines() if ln.startswith("wslgo:")]
    assert len(said) == 1 and "Go program" in said[0], r.output  # the load line only
    assert "exited normally" in r.output, r.output


def test_goid_conditions_stop_only_in_that_goroutine(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    first = line_of("ssflow", "HANDLE-HERE")
    later = line_of("ssflow", "HANDLE-LATER")
    for how in (
        [f'eval "break main.go:{later} if $goid == %d", $goid'],
        [f"break main.go:{later}", 'eval "condition 2 $goid == %d", $goid'],
    ):
        r = gdb_run(
            [
                f"break main.go:{first}",
                "run handlers",
                "delete 1",
                *how,
                *marked("AT", "continue", "print $goid", "print $_goid()"),
                "info breakpoints",
                "delete",
                "continue",
            ],
            binary=binary,
        )
        m = re.search(r"^wslgo: breakpoint 1, goroutine (\d+)$", r.stdout, re.M)
        assert m, r.output
        want = m.group(1)
        at = section(r.stdout, "AT")
        # every handler passes the later line; only goroutine `want` stops there
        assert re.findall(r"^wslgo: breakpoint 2, goroutine (\d+)$", at, re.M) == [want], r.output
        assert re.findall(r"^\$\d+ = (\d+)$", at, re.M) == [want] * 2, r.output
        assert "breakpoint already hit 1 time" in r.stdout, r.output
        assert f"$_goid() == {want}" in r.stdout, r.output
        assert "exited normally" in r.output, r.output


def _plain(binary: Path, arg: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GOTRACEBACK"}
    return subprocess.run([binary, arg], capture_output=True, text=True, timeout=60, env=env)


STOP = re.compile(r"^wslgo: ([\w ]+) \(stopped at (runtime\.\w+)\), ([^\n]+)\n([^\n]+)$", re.M)


@pytest.mark.parametrize("scenario", ["nilmap", "index", "errpanic"])
def test_break_on_panic_names_the_panic_value(gdb_run, go_version: str, scenario: str) -> None:
    binary = build("ssflow", go_version)
    plain = _plain(binary, scenario)
    assert plain.returncode == 2, plain.stderr
    said = next(ln for ln in plain.stderr.splitlines() if ln.startswith("panic: "))
    r = gdb_run(["set wslgo break-on-panic on", f"run {scenario}", "continue"], binary=binary)
    stops = STOP.findall(r.stdout)
    worker = _goids(r.output)["worker"]
    assert stops == [("panic", "runtime.fatalpanic", f"goroutine {worker}", said)], r.output
    marker = {"nilmap": "NILMAP-HERE", "index": "INDEX-HERE", "errpanic": "ERRPANIC-HERE"}
    line = line_of("ssflow", marker[scenario])
    assert re.search(
        rf"^wslgo: in user code: main\.process at \S+/ssflow/main\.go:{line}$", r.stdout, re.M
    ), r.output
    # continuing lets the runtime print the same line and die
    assert said in r.output.split("(stopped at")[1], r.output


def test_break_on_panic_all_stops_once_per_recovered_panic(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    plain = _plain(binary, "recovered")
    assert "ssflow: recovered: first try failed" in plain.stderr, plain.stderr
    r = gdb_run(["set wslgo break-on-panic all", "run recovered", "continue"], binary=binary)
    stops = STOP.findall(r.stdout)
    main = _goids(r.output)["main"]
    assert stops == [
        ("panic", "runtime.gopanic", f"goroutine {main}", "panic: first try failed")
    ], r.output
    assert "exited normally" in r.output, r.output


def test_break_on_panic_names_a_deadlock(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    plain = _plain(binary, "deadlock")
    said = plain.stderr.splitlines()[1]
    assert said == "fatal error: all goroutines are asleep - deadlock!", plain.stderr
    r = gdb_run(["set wslgo break-on-panic on", "run deadlock", "continue"], binary=binary)
    stops = STOP.findall(r.stdout)
    assert len(stops) == 1 and stops[0][0] == "deadlock", r.output
    assert stops[0][1] in ("runtime.fatal", "runtime.throw") and stops[0][3] == said, r.output


def test_users_gotraceback_is_honoured(gdb_run, go_version: str) -> None:
    binary = build("hkcrash", go_version)
    env = {k: v for k, v in os.environ.items() if k != "GOTRACEBACK"}
    plain = subprocess.run(
        [binary], capture_output=True, text=True, env={**env, "GOTRACEBACK": "single"}
    )
    assert plain.returncode == 2 and "main.hold(" not in plain.stderr, plain.stderr
    steps = [
        "break main.deref",
        "run",
        "print 'runtime.traceback_cache'",
        "delete",
        "continue",
        "continue",
    ]
    crash = gdb_run(["run", "kill"], binary=binary)
    line = line_of("hkcrash", "CRASH-HERE")
    assert re.search(
        rf"^wslgo: in user code: main\.deref at \S+/hkcrash/main\.go:{line}$", crash.stdout, re.M
    ), crash.output
    for how, kw, value in (
        ("shell", {"env": {"GOTRACEBACK": "single"}}, "4"),
        ("set environment", {}, "0"),
    ):
        pre = [] if how == "shell" else ["set environment GOTRACEBACK=none"]
        r = gdb_run([*pre, *steps], binary=binary, **kw)
        name = "single" if how == "shell" else "none"
        said = f"wslgo: GOTRACEBACK={name} from your environment: wslgo leaves the traceback"
        assert r.stdout.count(said) == 1, r.output
        assert re.search(rf"^\$1 = {value}$", r.stdout, re.M), r.output
        assert "exited with code 02" in r.output, r.output
        if name == "single":
            # the runtime's single-goroutine dump, as outside gdb
            assert "panic: runtime error: invalid memory address" in r.stderr, r.output
            assert re.search(r"^goroutine \d+ \[running\]:$", r.stderr, re.M), r.output
            assert "main.hold(" not in r.stderr and "runtime.gopark(" not in r.stderr, r.output
        else:
            assert "goroutine " not in r.stderr.split("hkcrash: crasher", 1)[1], r.output


def test_wslgo_next_stays_on_one_goroutine(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    line = line_of("ssflow", "HANDLE-HERE")
    steps = []
    for i in range(10):
        steps += marked(f"S{i}", "wslgo-next", "print $goid")
    r = gdb_run(
        [f"break main.go:{line}", "run handlers", *steps, "delete", "continue"], binary=binary
    )
    first = re.search(r"^wslgo: breakpoint 1, goroutine (\d+)$", r.stdout, re.M)
    assert first, r.output
    want = first.group(1)
    for i in range(10):
        at = section(r.stdout, f"S{i}")
        # the next line of the same goroutine, whatever else hit breakpoint 1 meanwhile
        assert re.search(rf"^{line + i + 1}\t", at, re.M), (i, r.output)
        assert re.findall(r"^\$\d+ = (\d+)$", at, re.M) == [want], (i, r.output)
    others = re.findall(
        r"^wslgo: goroutine (\d+) hit breakpoint 1 at \S+; still stepping", r.stdout, re.M
    )
    assert want not in others, r.output
    # the program ran to its end (gdb 13 under load sometimes omits its exit line here)
    assert "ssflow: done" in r.output, r.output


def test_next_with_a_parked_goroutine_returns_to_the_thread(gdb_run, go_version: str) -> None:
    binary = build("hkbreak", go_version)
    r = gdb_run(
        ["run", 'eval "wslgo-goroutine %d", main.ids[1]', "frame 1", "next", "kill"], binary=binary
    )
    m = re.search(
        r"^wslgo: goroutine (\d+) is parked and cannot be stepped; back to the thread view: "
        r"thread (\d+) \(LWP (\d+)\)$",
        r.stdout,
        re.M,
    )
    assert m and int(m.group(1)) == goids(r.output, "hkbreak")["hold1"], r.output
    assert "sigtramp" not in r.output.split(m.group(0))[1], r.output


def test_fatal_stop_with_many_goroutines_warns_about_the_dump(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    steps = ["set wslgo break-on-panic on", "set wslgo stop-context off", "run many", "kill"]
    r = gdb_run(steps, binary=binary)
    warn = re.findall(
        r"^wslgo: (\d+) goroutines: continuing prints every one of them \(GOTRACEBACK=crash\); "
        r"`wslgo-bt all` shows them grouped$",
        r.stdout,
        re.M,
    )
    assert len(warn) == 1 and int(warn[0]) > 400, r.output
    mine = gdb_run(steps, binary=binary, env={"GOTRACEBACK": "single"})
    assert "continuing prints every one" not in mine.output, mine.output
    assert "panic: assignment to entry in nil map" in mine.stdout, mine.output


def test_wslgo_finish_returns_to_the_caller_in_the_same_goroutine(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    line = line_of("ssflow", "BUMP-HERE")
    r = gdb_run(
        [f"break main.go:{line}", "run handlers", *marked("F", "wslgo-finish", "print $goid")],
        binary=binary,
    )
    want = re.search(r"^wslgo: breakpoint 1, goroutine (\d+)$", r.stdout, re.M)
    assert want, r.output
    at = section(r.stdout, "F")
    assert "Run till exit from #0" in at and "main.bump" in at, r.output
    # bump returns into main.handle of the same goroutine, at the line that called it
    assert re.search(r"^#0 .*main\.handle", at, re.M), r.output
    assert re.search(rf"^{line_of('ssflow', 'BUMP-CALL')}\t", at, re.M), r.output
    assert re.findall(r"^\$\d+ = (\d+)$", at, re.M) == [want.group(1)], r.output


@pytest.mark.parametrize("scenario", ["nilmap", "index", "errpanic"])
def test_core_report_carries_the_panic(go_version: str, tmp_path: Path, scenario: str) -> None:
    binary = build("ssflow", go_version)
    core, stderr = make_core(binary, tmp_path, scenario)
    said = next(ln for ln in stderr.splitlines() if ln.startswith("panic: "))
    worker = _goids(stderr)["worker"]
    text = subprocess.run(
        ["wslgo", "goroutines", str(binary), str(core)], capture_output=True, text=True
    )
    assert text.returncode == 0, text.stderr
    assert f"goroutine {worker} is panicking: {said}\n" in text.stderr, text.stderr
    js = subprocess.run(
        ["wslgo", "goroutines", "--json", str(binary), str(core)], capture_output=True, text=True
    )
    gs = {g["goid"]: g for g in json.loads(js.stdout)["goroutines"]}
    assert gs[worker]["panic"] == [said], gs[worker]
    assert all("panic" not in g for i, g in gs.items() if i != worker)


def test_down_stays_on_the_selected_goroutine(gdb_run, go_version: str) -> None:
    binary = build("hkbreak", go_version)
    r = gdb_run(
        ["run", 'eval "wslgo-goroutine %d", main.ids[1]', *marked("D", "frame", "down", "frame")],
        binary=binary,
    )
    at = section(r.stdout, "D")
    assert "Bottom (innermost) frame selected; you cannot go down." in r.stderr, r.output
    frames = re.findall(r"^#(\d+) .* in (\S+) ", at, re.M)
    assert len(frames) == 2 and frames[0] == frames[1], r.output  # `down` did not move
    assert "runtime.breakpoint" not in at, r.output


def _hostile_raw(stderr: str) -> str:
    """The runtime's own panic text for the hostile scenario (it may indent the forged line)."""
    return stderr[stderr.index("panic: bad") : stderr.index("\n\ngoroutine ")]


def _hostile_said(stderr: str) -> str:
    """How wslgo must show the hostile panic text: one line, each control character written
    as its escape."""
    said = _hostile_raw(stderr)
    assert "\x1b]0;pwned\x07" in said, stderr
    shown = said
    for raw, esc in (
        ("\\", "\\\\"),
        ("\x1b", r"\x1b"),
        ("\x07", r"\x07"),
        ("\n", r"\n"),
        ("\t", r"\t"),
    ):
        shown = shown.replace(raw, esc)
    return shown


def test_break_on_panic_escapes_a_hostile_panic_value(gdb_run, go_version: str) -> None:
    # The panic value would retitle and clear the terminal and forge a "fatal error" line:
    # the stop shows it as one escaped line.
    binary = build("ssflow", go_version)
    shown = _hostile_said(_plain(binary, "hostile").stderr)
    r = gdb_run(["set wslgo break-on-panic on", "run hostile", "kill"], binary=binary)
    worker = _goids(r.output)["worker"]
    stops = STOP.findall(r.stdout)
    assert stops == [("panic", "runtime.fatalpanic", f"goroutine {worker}", shown)], r.output
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout, r.stdout
    assert not re.search(r"^\s*fatal error: forged", r.stdout, re.M), r.stdout


def test_core_report_escapes_a_hostile_panic_value(go_version: str, tmp_path: Path) -> None:
    binary = build("ssflow", go_version)
    core, stderr = make_core(binary, tmp_path, "hostile")
    worker = _goids(stderr)["worker"]
    text = subprocess.run(
        ["wslgo", "goroutines", str(binary), str(core)], capture_output=True, text=True
    )
    assert text.returncode == 0, text.stderr
    shown = _hostile_said(stderr)
    assert f"goroutine {worker} is panicking: {shown}\n" in text.stderr, text.stderr
    assert "\x1b" not in text.stdout + text.stderr and "\x07" not in text.stderr, text.stderr
    assert not re.search(r"^\s*fatal error: forged", text.stderr, re.M), text.stderr
    # JSON carries the program's text itself, in JSON's escapes
    js = subprocess.run(
        ["wslgo", "goroutines", "--json", str(binary), str(core)], capture_output=True, text=True
    )
    assert "\x1b" not in js.stdout, js.stdout[:200]
    gs = {g["goid"]: g for g in json.loads(js.stdout)["goroutines"]}
    assert gs[worker]["panic"] == [_hostile_raw(stderr)], gs[worker]
