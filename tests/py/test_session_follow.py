"""A session that follows the goroutine (fixture tests/go/ssflow), in real gdb: gdb's own
`next`/`finish` with `set wslgo follow-goroutine on`, `wslgo-step`, the stop context that
folds runtime frames, `--depth` from the user frame, gdb's thread numbers in lists, and
fatal errors read from cores."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import build
from wslgo_testing.cores import make_core
from wslgo_testing.gdb import marked, section
from wslgo_testing.sources import line_of


def _first_stop(out: str) -> str:
    m = re.search(r"^wslgo: breakpoint 1, goroutine (\d+)$", out, re.M)
    assert m, out
    return m.group(1)


def test_follow_goroutine_makes_gdbs_next_stay_on_the_goroutine(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    line = line_of("ssflow", "HANDLE-HERE")
    steps = []
    for i in range(10):
        steps += marked(f"S{i}", "next" if i % 2 == 0 else "n", "print $goid")
    r = gdb_run(
        [
            "set wslgo follow-goroutine on",
            f"break main.go:{line}",
            "run handlers",
            *steps,
            *marked("B", "info breakpoints"),
            "delete",
            "continue",
        ],
        binary=binary,
    )
    want = _first_stop(r.stdout)
    # the user's breakpoint is enabled again after the steps, and gdb counted its hits
    assert re.search(r"^1\s+breakpoint\s+keep\s+y\s", section(r.stdout, "B"), re.M), r.output
    for i in range(10):
        at = section(r.stdout, f"S{i}")
        # the next line of the same goroutine, whatever else hit breakpoint 1 meanwhile
        assert re.search(rf"^{line + i + 1}\t", at, re.M), (i, r.output)
        assert re.findall(r"^\$\d+ = (\d+)$", at, re.M) == [want], (i, r.output)
    others = re.findall(
        r"^wslgo: goroutine (\d+) hit breakpoint 1 at \S+; still stepping goroutine (\d+)$",
        r.stdout,
        re.M,
    )
    assert all(o != want and s == want for o, s in others), r.output
    assert "ssflow: done" in r.output, r.output


def test_follow_goroutine_finish_returns_in_the_same_goroutine(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    line = line_of("ssflow", "BUMP-HERE")
    r = gdb_run(
        [
            "set wslgo follow-goroutine on",
            f"break main.go:{line}",
            "run handlers",
            *marked("F", "finish", "print $goid"),
            *marked("B", "info breakpoints"),
            "kill",
        ],
        binary=binary,
    )
    want = _first_stop(r.stdout)
    at = section(r.stdout, "F")
    assert re.search(r"^(0x[0-9a-f]+ in )?main\.handle \(", at, re.M), r.output
    assert re.search(rf"^{line_of('ssflow', 'BUMP-CALL')}\t", at, re.M), r.output
    assert re.findall(r"^\$\d+ = (\d+)$", at, re.M) == [want], r.output
    # the user's breakpoint is back (enabled) once the command ends
    assert re.search(r"^1\s+breakpoint\s+keep\s+y\s", section(r.stdout, "B"), re.M), r.output


@pytest.mark.parametrize("how", ["wslgo-step", "step"])
def test_step_enters_the_call_in_the_same_goroutine(gdb_run, go_version: str, how: str) -> None:
    """`wslgo-step`, and gdb's `step` with follow-goroutine on, enter bump in the goroutine
    that was current while the other handlers hit the breakpoint on the same line."""
    binary = build("ssflow", go_version)
    call = line_of("ssflow", "BUMP-CALL")
    r = gdb_run(
        [
            "set wslgo follow-goroutine on",
            f"break main.go:{call}",
            "run handlers",
            *marked("S", how, "print $goid"),
            "kill",
        ],
        binary=binary,
    )
    want = _first_stop(r.stdout)
    at = section(r.stdout, "S")
    body = line_of("ssflow", "BUMP-HERE")
    # at bump's `func` line or its first statement, in the same goroutine
    assert re.search(r"^(#0\s+)?main\.bump \(s=\d+.*\) at \S+ssflow/main\.go:\d+$", at, re.M), (
        r.output
    )
    assert re.search(rf"^({body - 1}|{body})\t", at, re.M), r.output
    assert re.findall(r"^\$\d+ = (\d+)$", at, re.M) == [want], r.output
    others = re.findall(r"^wslgo: goroutine (\d+) hit breakpoint 1 at ", at, re.M)
    assert want not in others, r.output


def test_crash_context_shows_the_users_frames(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    r = gdb_run(["run nilmap", "kill"], binary=binary)
    # the stop leads with what happened: the panic, read from the goroutine's _panic record
    assert re.search(
        r"^wslgo: SIGABRT from the Go runtime's crash .*\npanic: assignment to entry in nil map\n"
        r"wslgo: in user code: main\.process at ",
        r.stdout,
        re.M,
    ), r.output
    ctx = r.stdout.split("wslgo: in user code:", 1)[1]
    line = line_of("ssflow", "NILMAP-HERE")
    # runtime frames folded into one line, then the user's function and line
    fold = re.search(r"^\.\.\.(\d+) frames folded: runtime\.\S+ \.\.\. (\S+)\.\.\.$", ctx, re.M)
    assert fold and int(fold.group(1)) >= 3, r.output
    body = ctx[fold.end() :]
    assert re.match(rf"\nmain\.process\(\)\n\t\S+/ssflow/main\.go:{line} ", body), r.output
    assert re.search(r"^main\.worker\(\)$", body, re.M), r.output


def test_depth_counts_from_the_user_frame(gdb_run, go_version: str) -> None:
    binary = build("hkbreak", go_version)
    r = gdb_run(
        [
            "run",
            *marked("D", 'eval "wslgo-bt %d --depth 1", main.ids[1]'),
            *marked("T", 'eval "wslgo-bt %d --depth 1 --top", main.ids[1]'),
            *marked("L", "wslgo-bt -l", "info threads"),
            "kill",
        ],
        binary=binary,
    )
    d = section(r.stdout, "D")
    assert re.search(r"^\.\.\.\d+ frames? folded: runtime\.gopark", d, re.M), r.output
    assert re.search(r"^main\.\w+\(\)$", d, re.M) and "runtime.gopark()" not in d, r.output
    t = section(r.stdout, "T")
    assert re.search(r"^runtime\.gopark\(\)$", t, re.M) and "folded" not in t, r.output
    # a running goroutine's thread: gdb's number, then the LWP, as `info threads` has them
    lst = section(r.stdout, "L")
    threads = dict(re.findall(r"^\*?\s+(\d+)\s+(?:Thread 0x[0-9a-f]+ \(LWP|LWP) (\d+)", lst, re.M))
    shown = re.findall(r"\(thread (\d+) \(LWP (\d+)\)", lst)
    assert shown, r.output
    lwp_to_num = {lwp: num for num, lwp in threads.items()}
    assert all(lwp_to_num.get(lwp) == num for num, lwp in shown), (shown, r.output)


def _wslgo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["wslgo", *args], capture_output=True, text=True)


def test_core_report_names_a_fatal_error(go_version: str, tmp_path: Path) -> None:
    binary = build("ssflow", go_version)
    core, stderr = make_core(binary, tmp_path, "mapwrites")
    said = "fatal error: concurrent map writes"
    assert said in stderr, stderr
    # the first goroutine of the dump, the one that threw (1.23+ add gp=, m= before the state)
    thrower = re.search(r"^goroutine (\d+) [^\[\n]*\[running\]:$", stderr, re.M)
    assert thrower, stderr
    text = _wslgo("goroutines", str(binary), str(core))
    assert text.returncode == 0, text.stderr
    # Two writers may throw at once (the runtime then prints the fatal error twice): each
    # is named, and each was running in the dump.
    named = re.findall(rf"^goroutine (\d+) died of: {said}$", text.stderr, re.M)
    running = re.findall(r"^goroutine (\d+) [^\[\n]*\[running\]:$", stderr, re.M)
    assert thrower.group(1) in named, text.stderr
    assert set(named) <= set(running) and len(named) <= stderr.count(said), (text.stderr, stderr)
    js = json.loads(_wslgo("goroutines", "--json", str(binary), str(core)).stdout)
    gs = {g["goid"]: g for g in js["goroutines"]}
    assert gs[int(thrower.group(1))]["panic"] == [said], gs
    assert js.get("fatal_error") is None, js.get("fatal_error")


def test_core_report_names_a_deadlock(go_version: str, tmp_path: Path) -> None:
    binary = build("ssflow", go_version)
    core, stderr = make_core(binary, tmp_path, "deadlock")
    said = "fatal error: all goroutines are asleep - deadlock!"
    assert said in stderr, stderr
    text = _wslgo("goroutines", str(binary), str(core))
    assert f"{said} (on a system stack, no goroutine)\n" in text.stderr, text.stderr
    js = json.loads(_wslgo("goroutines", "--json", "--pretty", str(binary), str(core)).stdout)
    assert js["fatal_error"] == said, js
    assert all("panic" not in g for g in js["goroutines"])


@pytest.mark.parametrize("mode", ["full", "group", "json"])
def test_cli_depth_counts_from_the_user_frame(go_version: str, tmp_path: Path, mode: str) -> None:
    binary = build("ssflow", go_version)
    core, _ = make_core(binary, tmp_path, "nilmap")
    flag = {"full": "-f", "group": "-g", "json": "--json"}[mode]
    out = _wslgo("goroutines", flag, "--depth", "1", "-u", str(binary), str(core)).stdout
    if mode == "json":
        gs = {g["goid"]: g for g in json.loads(out)["goroutines"]}
        worker = next(g for g in gs.values() if g["frames"][0]["func"] == "main.process")
        assert worker["frames_skipped"] >= 3 and worker["user_frame"] == 0, worker
        assert len(worker["frames"]) == 1
    else:
        assert re.search(r"^\s*main\.process", out, re.M), out
        assert re.search(r"^\s*\.\.\.\d+ frames folded: runtime\.", out, re.M), out
        assert "runtime.gopark" not in out.split("main.process")[0].split("folded")[-1], out


def test_wslgo_break_goroutine_n_stops_only_there(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    first = line_of("ssflow", "HANDLE-HERE")
    later = line_of("ssflow", "HANDLE-LATER")
    r = gdb_run(
        [
            f"break main.go:{first}",
            "run handlers",
            "delete 1",
            f'eval "wslgo-break ssflow/main.go:{later} goroutine %d", $goid',
            *marked("AT", "continue", "print $goid"),
            "info breakpoints",
            "delete",
            "continue",
        ],
        binary=binary,
    )
    want = _first_stop(r.stdout)
    at = section(r.stdout, "AT")
    # every handler passes the later line; only goroutine `want` stops there
    assert re.findall(r"^wslgo: breakpoint 2, goroutine (\d+)$", at, re.M) == [want], r.output
    assert re.findall(r"^\$\d+ = (\d+)$", at, re.M) == [want], r.output
    assert f"$_goid() == {want}" in r.stdout, r.output
    assert "exited normally" in r.output, r.output


def test_hooks_are_there_before_any_program_is_loaded(gdb_run) -> None:
    """`gdb -ex 'source wslgo.py' PROG` loads PROG first: wslgo's setup installs the
    stepping hooks itself, not only when it sees a Go program load."""
    r = gdb_run(["show user hook-next", "show user hookpost-step"])
    assert "wslgo-follow-pre next" in r.stdout and "wslgo-pre-resume" in r.stdout, r.output
    assert "wslgo-follow-post" in r.stdout, r.output


@pytest.mark.parametrize(
    ("call", "func", "body"),
    [
        ("CALL-PTR", r"main\.\(\*circle\)\.area", "AREA-PTR-HERE"),
        ("CALL-VALUE", r"main\.square\.area", "AREA-VALUE-HERE"),
        ("CALL-FUNC", r"main\.main\.func\d+", "FUNC-HERE"),
    ],
)
def test_wslgo_step_enters_indirect_calls(
    gdb_run, go_version: str, call: str, func: str, body: str
) -> None:
    """Through an interface (a pointer method; a value method, behind the compiler's
    wrapper) and a func value, `wslgo-step` ends in the called function as gdb's `step`."""
    binary = build("ssflow", go_version)
    r = gdb_run(
        [
            f"break main.go:{line_of('ssflow', call)}",
            "run indirect",
            *marked("S", "wslgo-step", "print $goid"),
            *marked("G", "frame"),
            *marked("R", "wslgo-next", "wslgo-next"),
            "kill",
        ],
        binary=binary,
    )
    at = section(r.stdout, "S") + section(r.stdout, "G")
    line = line_of("ssflow", body)
    assert re.search(
        rf"^(#0\s+)?{func} \(.*\) at \S+ssflow/main\.go:({line - 1}|{line})$", at, re.M
    ), r.output
    assert re.findall(r"^\$\d+ = (\d+)$", at, re.M) == ["1"], r.output
    # stepping on returns to main.calls, never into the compiler's wrapper
    back = section(r.stdout, "R")
    assert "main.calls" in back and "autogenerated" not in back, r.output
