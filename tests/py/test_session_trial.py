"""The session defects a user trial found (issue 20), in real gdb on fixture tests/go/sstrial
(and ssflow's crash scenarios): stepping from a function's entry, ``$goid`` wherever gdb
evaluates it, the user frame selected at crash stops, the fatal error at a SIGABRT stop,
``wslgo-finish`` through a method wrapper."""

from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import build
from wslgo_testing.gdb import GDB_MI, Mi, marked, section
from wslgo_testing.sources import line_of


def _lines(out: str) -> list[int]:
    """The source line numbers gdb printed (``29\\t...``), in order."""
    return [int(n) for n in re.findall(r"^(\d+)\t", out, re.M)]


def _printed_goids(out: str, name: str) -> set[int]:
    return {int(n) for n in re.findall(rf"^sstrial: {name}\d* goid=(\d+)$", out, re.M)}


def test_steps_from_a_functions_entry_enter_its_body(gdb_run, go_version: str) -> None:
    binary = build("sstrial", go_version)
    body = [line_of("sstrial", f"SQUARE-{i}") for i in (1, 2, 3)]
    call = line_of("sstrial", "SQUARES-CALL")
    loop = line_of("sstrial", "SQUARES-LOOP")
    for pre, steps, back in (
        ([], ["wslgo-step"] * 3 + ["wslgo-next"], call),
        ([], ["wslgo-next"] * 4, call),
        # gdb's own `next` out of a function finishes the caller's line
        (["set wslgo follow-goroutine on"], ["step", "next", "next", "next"], loop),
    ):
        r = gdb_run(
            [
                "set wslgo stop-context off",
                *pre,
                "break main.square",
                "run square",
                *marked("S", *steps),
                "kill",
            ],
            binary=binary,
        )
        # gdb stops at the entry (the `func` line); the steps go through the body, then
        # back to the caller
        assert _lines(section(r.stdout, "S")) == [*body, back], r.output


def test_goid_in_dprintf_and_silent_commands(gdb_run, go_version: str, tmp_path) -> None:
    binary = build("sstrial", go_version)
    script = tmp_path / "cmds.gdb"
    script.write_text(
        "break main.squares\ncommands\n  silent\n"
        '  printf "silent g=%d G=%d\\n", $goid, $_goid()\n  continue\nend\n'
    )
    r = gdb_run(
        [
            'dprintf main.square,"dp g=%d G=%d\\n",$goid,$_goid()',
            f"source {script}",
            "run square",
        ],
        binary=binary,
        # No async preemption: a SIGURG that lands while a thread stands at the breakpoint
        # parks the goroutine there; it resumed on another thread at the same pc and hit
        # main.squares again, and a third goroutine's hit went unreported (once in a run
        # with three workers: silent ids 20, 20, 3 for goroutines 3, 20, 21).
        env={**os.environ, "GODEBUG": "asyncpreemptoff=1"},
    )
    out = r.output
    want = _printed_goids(out, "square")
    assert len(want) == 3, out
    dp = re.findall(r"^dp g=(\d+) G=(\d+)$", out, re.M)
    silent = re.findall(r"^silent g=(\d+) G=(\d+)$", out, re.M)
    # 6 calls, 3 goroutines; a preemption at a function's stack check runs its entry again
    assert 6 <= len(dp) <= 8 and 3 <= len(silent) <= 5, out
    # each hit prints the id of the goroutine that hit it, as the program says it
    assert all(g == big for g, big in dp + silent), out
    assert {int(g) for g, _ in dp} == want == {int(g) for g, _ in silent}, out
    assert "exited normally" in out, out


def test_goid_follows_the_selected_goroutine_and_ends_with_the_process(
    gdb_run, go_version: str
) -> None:
    binary = build("sstrial", go_version)
    pick = "'main.parkedID'"
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "run locals",
            *marked("IN", f'eval "wslgo-goroutine %d print $goid", {pick}'),
            *marked("SEL", f'eval "wslgo-goroutine %d", {pick}', "print $goid", "print $_goid()"),
            *marked("BACK", "wslgo-goroutine", "print $goid"),
            "continue",
            *marked("EXIT", "print $goid", "print $_goid()"),
        ],
        binary=binary,
    )
    parked = _printed_goids(r.output, "parked")
    main = _printed_goids(r.output, "main")
    assert len(parked) == 1 and main == {1}, r.output
    (n,) = parked
    assert re.findall(r"^\$\d+ = (\d+)$", section(r.stdout, "IN"), re.M) == [str(n)], r.output
    assert re.findall(r"^\$\d+ = (\d+)$", section(r.stdout, "SEL"), re.M) == [str(n)] * 2
    assert re.findall(r"^\$\d+ = (\d+)$", section(r.stdout, "BACK"), re.M) == ["1"], r.output
    assert "exited normally" in r.output, r.output
    end = section(r.output.replace(r.stderr, ""), "EXIT")
    assert re.search(r"^\$\d+ = void$", end, re.M), r.output
    assert "$_goid(): the program is not running" in r.stderr, r.output


def test_wslgo_bt_marks_the_selected_goroutine_current(gdb_run, go_version: str) -> None:
    binary = build("sstrial", go_version)
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "break main.square",
            "run square",
            *marked("SEL", "wslgo-goroutine 1", "wslgo-bt -l", "wslgo-bt"),
            *marked("BACK", "wslgo-goroutine", "wslgo-bt -l"),
            "kill",
        ],
        binary=binary,
    )
    (worker,) = _printed_goids(r.output, "square")
    sel = section(r.stdout, "SEL")
    # the list marks goroutine 1 (selected), the default view shows its stack first
    assert re.findall(r"^\*\s+(\d+) ", sel, re.M) == ["1"], r.output
    assert re.search(r"^goroutine 1 \[[^]]*\]:\n", sel, re.M), r.output
    assert not re.search(rf"^goroutine {worker} ", sel, re.M), r.output
    back = section(r.stdout, "BACK")
    # goroutine 1 parked: the selection is wslgo's, and ends with the thread's goroutine
    # marked again; goroutine 1 running (main starting the workers): the selection switched
    # gdb's thread, which stays selected
    running = re.search(r"^\[goroutine 1: running on thread ", sel, re.M)
    want = "1" if running else str(worker)
    assert re.findall(r"^\*\s+(\d+) ", back, re.M) == [want], r.output


def test_parked_goroutine_command_starts_at_its_user_frame(gdb_run, go_version: str) -> None:
    binary = build("sstrial", go_version)
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "run locals",
            *marked("L", "eval \"wslgo-goroutine %d info locals\", 'main.parkedID'"),
            *marked("F", "eval \"wslgo-goroutine %d frame\", 'main.parkedID'"),
            "kill",
        ],
        binary=binary,
    )
    assert re.search(r"^secret = 4242$", section(r.stdout, "L"), re.M), r.output
    frame = section(r.stdout, "F")
    assert re.search(r"^#\d+ .*main\.parked ", frame, re.M), r.output
    assert re.search(rf"^{line_of('sstrial', 'PARKED-HERE')}\t", frame, re.M), r.output


def test_crash_stops_select_the_user_frame(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    panic = gdb_run(
        ["set wslgo break-on-panic on", "run nilmap", *marked("P", "frame"), "kill"],
        binary=binary,
    )
    at = section(panic.stdout, "P")
    assert re.search(r"^#\d+ .*main\.process \(", at, re.M), panic.output
    assert re.search(rf"^{line_of('ssflow', 'NILMAP-HERE')}\t", at, re.M), panic.output
    for level in ("brief", "off"):
        sig = gdb_run(
            [f"set wslgo stop-context {level}", "run mapwrites", *marked("S", "frame", "i locals")],
            binary=binary,
        )
        assert "SIGABRT" in sig.stdout, sig.output
        at = section(sig.stdout, "S")
        # the writer's frame and its loop variable, not runtime.raise's
        assert re.search(r"^#\d+ .*main\.writer \(", at, re.M), sig.output
        assert re.search(r"^i = \d+$", at, re.M), sig.output
    off = gdb_run(
        ["set wslgo select-user-frame off", "run mapwrites", *marked("S", "frame")],
        binary=binary,
    )
    assert re.search(r"^#0 .*runtime\.raise", section(off.stdout, "S"), re.M), off.output


def test_sigabrt_stops_say_the_fatal_error(gdb_run, go_version: str) -> None:
    binary = build("ssflow", go_version)
    writes = gdb_run(["run mapwrites", "kill"], binary=binary)
    head = re.search(r"^wslgo: SIGABRT from the Go runtime's crash.*\n(.*)$", writes.stdout, re.M)
    assert head and head.group(1) == "fatal error: concurrent map writes", writes.output
    dead = gdb_run(["break main.main", "run deadlock", *["wslgo-next"] * 10, "kill"], binary=binary)
    m = re.search(r"^wslgo: SIGABRT from the Go runtime's crash.*, (.*)\n(.*)$", dead.stdout, re.M)
    assert m, dead.output
    assert m.group(1) == "no goroutine (the runtime's scheduler)", dead.output
    assert m.group(2) == "fatal error: all goroutines are asleep - deadlock!", dead.output


def test_wslgo_finish_returns_through_a_method_wrapper(gdb_run, go_version: str) -> None:
    binary = build("sstrial", go_version)
    r = gdb_run(
        [
            "set wslgo stop-context off",
            f"break main.go:{line_of('sstrial', 'AREA-HERE')}",
            "run iface",
            *marked("F", "wslgo-finish"),
            "kill",
        ],
        binary=binary,
    )
    at = section(r.output, "F")
    assert "autogenerated" not in at and "No such file" not in at, r.output
    assert re.search(r"^#0 .*main\.measure \(", at, re.M), r.output
    assert _lines(at) == [line_of("sstrial", "MEASURE-CALL")], r.output


def test_gdbs_own_stepping_from_a_go_breakpoint_reaches_the_next_user_line(
    gdb_run, go_version: str
) -> None:
    binary = build("ssflow", go_version)
    nxt = line_of("ssflow", "BP-HERE") + 1
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "run bp3",
            *marked("NEXT", "next"),
            "continue",
            *marked("STEP", "step"),
            "continue",
            *marked("UNTIL", "until"),
            "kill",
        ],
        binary=binary,
    )
    for name in ("NEXT", "STEP", "UNTIL"):
        at = section(r.stdout, name)
        assert re.search(r"^main\.work \(i=\d", at, re.M), r.output
        assert _lines(at) == [nxt], r.output


def _field(record: str, name: str) -> str | None:
    m = re.search(rf'\b{name}="([^"]*)"', record)
    return m.group(1) if m else None


def test_mi_go_breakpoint_stop_and_startup(go_version: str, wslgo_entry: Path) -> None:
    binary = build("sstrial", go_version)
    mi = Mi(
        [*GDB_MI, "-iex", "set auto-load python-scripts off", "-iex", f"source {wslgo_entry}"],
        numbered=True,
    )
    try:
        start = mi.until(r"\(gdb\)")
        for c in (
            "-gdb-set mi-async on",
            "-enable-pretty-printing",
            '-interpreter-exec console "set pagination off"',
            f"-file-exec-and-symbols {binary}",
            "-exec-arguments bp",
        ):
            assert "^done" in mi.cmd(c), "".join(mi.transcript)
        start += "".join(mi.transcript)
        # wslgo's setup changes no setting the MI client would hear of
        # (the 28 `=cmd-param-changed,param="confirm"` records of hook definitions)
        assert 'param="confirm"' not in start and "wslgo: " in start, start
        mi.cmd("-exec-run")
        stopped = mi.until(r"\*stopped")
        rec = stopped.splitlines()[-1]
        # a full record: why, which thread, where (cppdbg needs all three to show the stop)
        assert _field(rec, "reason") == "breakpoint-hit", rec
        assert _field(rec, "thread-id") and "frame={" in rec, rec
        frames = mi.cmd(f"-stack-list-frames --thread {_field(rec, 'thread-id')} 0 10")
        assert 'func="main.afterbp"' in frames, frames
        assert f'line="{line_of("sstrial", "AFTERBP-BP")}"' in frames, frames
        mi.cmd(f"-exec-next --thread {_field(rec, 'thread-id')}")
        rec = mi.until(r"\*stopped").splitlines()[-1]
        assert _field(rec, "reason") == "end-stepping-range", rec
        assert _field(rec, "func") == "main.afterbp", rec
        assert _field(rec, "line") == str(line_of("sstrial", "AFTERBP-NEXT")), rec
    finally:
        mi.close()


LOST_STOP = re.compile(r"^wslgo: [\w ]+ \(stopped at (runtime\.\w+)\), goroutine (\d+)$", re.M)


def test_a_panic_main_outruns_is_stopped_for_or_said_lost(gdb_run, go_version: str) -> None:
    binary = build("sstrial", go_version)
    # lost: main returns while the panic runs its defers (the runtime's grace loop races
    # it: under gdb's breakpoint at runtime.fatalpanic it lost every time); lostslow: a
    # slow deferred call after wg.Done, the panic lost even without a debugger
    for scenario, value in (("lost", "lost in flight"), ("lostslow", "lost for good")):
        on = gdb_run(
            [
                "set wslgo break-on-panic on",
                "set wslgo stop-context off",
                f"run {scenario}",
                "continue",
            ],
            binary=binary,
        )
        stops = LOST_STOP.findall(on.stdout)
        worker = _printed_goids(on.output, "lost")
        # one stop, for the worker's panic: at runtime.fatalpanic, or at the exit if main
        # got there first
        assert len(stops) == 1 and {int(stops[0][1])} == worker, on.output
        assert stops[0][0] in ("runtime.fatalpanic", "runtime.exit"), on.output
        assert re.search(rf"^panic: {value}$", on.stdout, re.M), on.output
    off = gdb_run(["set wslgo stop-context off", "run lostslow"], binary=binary)
    (worker,) = _printed_goids(off.output, "lost")
    assert not LOST_STOP.search(off.stdout) and "exited normally" in off.output, off.output
    assert (
        f"wslgo: goroutine {worker} was panicking when the program exited with status 0; "
        "the panic was lost (main returned while it ran its defers): panic: lost for good"
    ) in off.stdout, off.output


def test_mi_interfaces_holding_structs_expand(go_version: str, wslgo_entry: Path) -> None:
    binary = build("sstrial", go_version)
    mi = Mi(
        [*GDB_MI, "-iex", "set auto-load python-scripts off", "-iex", f"source {wslgo_entry}"],
        numbered=True,
    )
    try:
        mi.until(r"\(gdb\)")
        for c in (
            "-enable-pretty-printing",
            f"-file-exec-and-symbols {binary}",
            "-exec-arguments iface",
            f"-break-insert main.go:{line_of('sstrial', 'INSPECT-HERE')}",
        ):
            assert "^done" in mi.cmd(c), "".join(mi.transcript)
        mi.cmd("-exec-run")
        rec = mi.until(r"\*stopped").splitlines()[-1]
        assert _field(rec, "reason") == "breakpoint-hit", rec
        # an interface holding a Rect value, and one holding a *Rect: both expand into the
        # struct's fields, with the values the program passed (Rect{5, 6}, &Rect{7, 8})
        for var, want in (("s", ("5", "6")), ("p", ("7", "8"))):
            made = mi.cmd(f"-var-create v{var} * {var}")
            # gdb's mark of an expandable pretty-printed variable object (numchild counts
            # the children once listed)
            assert 'dynamic="1",has_more="1"' in made, made
            kids = mi.cmd(f"-var-list-children --all-values v{var}")
            assert _field(kids, "numchild") == "2", kids
            got = re.findall(r'child=\{name="[^"]*",exp="(\w+)",numchild="\d+",value="(\d+)"', kids)
            assert got == [("W", want[0]), ("H", want[1])], kids
        # printed whole, the value says its dynamic type once and the fields once
        out = mi.cmd("-data-evaluate-expression p")
        assert _field(out, "value") == "*main.Rect = {W = 7, H = 8}", out
    finally:
        mi.close()


def test_finish_prints_the_go_results(gdb_run, go_version: str) -> None:
    binary = build("sstrial", go_version)
    here = {k: line_of("sstrial", f"{k}-HERE") for k in ("INTS", "NAMED", "MIXED", "FLOAT")}
    here |= {k: line_of("sstrial", f"{k}-HERE") for k in ("RECT", "PAIROF")}
    # gdb's finish (following the goroutine: a goroutine resumed after a long stop is often
    # preempted and moved to another thread) and wslgo-finish
    steps = [
        ("INTS", "finish"),
        ("NAMED", "wslgo-finish"),
        ("MIXED", "wslgo-finish"),
        ("FLOAT", "finish"),
        ("RECT", "wslgo-finish"),
        ("PAIROF", "finish"),
    ]
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "set wslgo follow-goroutine on",
            # named from its entry: its call to fmt.Errorf grows the stack and moves it
            *[f"break main.go:{line}" for k, line in here.items() if k != "NAMED"],
            "break main.named",
            "run results",
            *[c for name, cmd in steps for c in (*marked(name, cmd), "continue")],
        ],
        binary=binary,
    )
    # what the program printed of the same calls
    m = re.search(
        r"^sstrial: results (\d+) (\d+) (\w+) (\S+) (\d+) (\w+) (bad \d+) \{(\d+) (\w+)\} (\S+) "
        r"\[(\d+) (\d+)\] \{(\d+) (\d+)\} \[\d+ \d+\]$",
        r.stderr,
        re.M,
    )
    assert m, r.output
    a, b, c, f, n, s, err, pa, pb, pf, s0, s1, w, h = m.groups()
    want = {
        "INTS": [("~r0", a), ("~r1", b), ("~r2", c)],
        "NAMED": [
            ("count", n),
            ("name", f'"{s}"'),
            ("err", f'*errors.errorString {{s = "{err}"}}'),
        ],
        "MIXED": [
            ("~r0", f'{{A = {pa}, B = "{pb}"}}'),
            ("~r1", pf),
            ("~r2", f"[]int = {{{s0}, {s1}}}"),
        ],
        "FLOAT": [("~r0", f)],
        "RECT": [("~r0", f"{{W = {w}, H = {h}}}")],
    }
    for name, results in want.items():
        got = re.findall(r"^Value returned is (\S+) = (.*)$", section(r.stdout, name), re.M)
        assert got == results, (name, r.output)
    # an array of two ints is returned on the stack: said, not guessed
    assert "Value returned is ~r0: not available (returned on the stack)" in section(
        r.stdout, "PAIROF"
    ), r.output
