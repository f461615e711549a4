"""What the session shows of values around a call (issue 20, on fixture tests/go/sstrial):
the thread's own frame #0 while a parked goroutine is selected (``info threads``), results
before the function sets them, and the Go results of MI's ``-exec-finish``."""

from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import build
from wslgo_testing.gdb import GDB_MI, Mi, marked, section
from wslgo_testing.sources import line_of

#: An `info threads` row: the current mark, gdb's number, the frame shown.
THREAD_ROW = re.compile(r"^([* ]) +(\d+) +(?:Thread|LWP) .*?\" (\S+ \(.*\)) at ", re.M)


def _rows(text: str) -> dict[str, tuple[str, str]]:
    """`info threads` rows: number -> (mark, frame)."""
    return {n: (mark, frame) for mark, n, frame in THREAD_ROW.findall(text)}


def test_info_threads_reads_frame_zero_while_a_parked_goroutine_is_selected(
    gdb_run, go_version: str
) -> None:
    binary = build("sstrial", go_version)
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "break main.square",
            "run square",
            *marked("BEFORE", "info threads"),
            *marked("SEL", "wslgo-goroutine 1", "info threads", "wslgo-goroutine 1 info threads"),
            *marked("BACK", "wslgo-goroutine", "info threads"),
            *marked("STEP", "wslgo-goroutine 1", "next"),
            "kill",
        ],
        binary=binary,
        # one P: goroutine 1 (in wg.Wait) is parked or runnable while square runs, never
        # running on another thread (it was once, caught in a signal handler)
        env={**os.environ, "GOMAXPROCS": "1"},
    )
    assert "error reading variable" not in r.output, r.output
    before = _rows(section(r.stdout, "BEFORE"))
    (hit,) = [n for n, (_, frame) in before.items() if frame.startswith("main.square (")]
    assert before[hit][0] == "*", r.output
    sel = section(r.stdout, "SEL")
    # every thread's own frame #0 reads as it did before the selection (its arguments: the
    # stack is not the goroutine's), in both `info threads` of the selection
    for part in sel.split("Id   Target Id")[1:]:
        rows = _rows(part)
        assert {n: f for n, (_, f) in rows.items()} == {n: f for n, (_, f) in before.items()}
    assert re.search(r"^\[goroutine 1: ", sel, re.M), r.output
    # back on the thread that was selected, however the goroutine was shown
    back = _rows(section(r.stdout, "BACK"))
    assert back[hit][0] == "*", r.output
    # stepping from the selection steps that thread
    step = section(r.stdout, "STEP")
    assert f"back to the thread view: thread {hit} (LWP " in step, r.output


def test_results_are_not_set_yet_at_a_functions_entry(gdb_run, go_version: str) -> None:
    binary = build("sstrial", go_version)
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "break main.named",
            "run results",
            *marked("ENTRY", "info args", "bt 1"),
            *marked("FINISH", "wslgo-finish"),
            "continue",
        ],
        binary=binary,
    )
    results = ("count", "name", "err")
    # the stop line, `info args`, `bt`: gdb would print the stack's old bytes
    stop = re.search(r"hit Breakpoint 1, main\.named \((.*)\) at ", r.stdout)
    assert stop, r.output
    shown = ", ".join(f"{n}=<not set yet>" for n in results)
    assert stop.group(1) == f"x=7, {shown}", r.output
    entry = section(r.stdout, "ENTRY")
    assert re.findall(r"^(\w+) = (.*)$", entry, re.M) == [
        ("x", "7"),
        *((n, "<not set yet>") for n in results),
    ], r.output
    assert f"main.named (x=7, {shown}) at " in entry, r.output
    # `finish` from there: the frame it leaves says so, and the values returned are the
    # program's own (it prints them)
    finish = section(r.stdout, "FINISH")
    assert f"Run till exit from #0  main.named (x=7, {shown}) at " in finish, r.output
    m = re.search(r"^sstrial: results \d+ \d+ \w+ \S+ (\d+) (\w+) (bad \d+) ", r.stderr, re.M)
    assert m, r.output
    n, s, err = m.groups()
    got = re.findall(r"^Value returned is (\w+) = (.*)$", finish, re.M)
    want = [("count", n), ("name", f'"{s}"'), ("err", f'*errors.errorString {{s = "{err}"}}')]
    assert got == want, r.output


def test_results_read_once_the_body_runs(gdb_run, go_version: str) -> None:
    binary = build("sstrial", go_version)
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "break main.square",
            "run square",
            *marked("ENTRY", "info args"),
            "next",
            *marked("BODY", "info args"),
            "kill",
        ],
        binary=binary,
        # No async preemption: `next` single-steps slowly enough for sysmon to preempt the
        # goroutine, which then ran square's entry again on another thread and hit the
        # breakpoint there before `next` ended (once in a CI run).
        env={**os.environ, "GODEBUG": "asyncpreemptoff=1"},
    )
    args = r"^(\S+) = (.*)$"
    n = re.findall(args, section(r.stdout, "ENTRY"), re.M)
    assert n == [("n", n[0][1]), ("~r0", "<not set yet>")], r.output
    # the entry line zeroed the result: its Go zero value from the body on
    assert re.findall(args, section(r.stdout, "BODY"), re.M) == [n[0], ("~r0", "0")], r.output


def _field(record: str, name: str) -> str | None:
    m = re.search(rf'\b{name}="([^"]*)"', record)
    return m.group(1) if m else None


def _console(text: str) -> str:
    """The console stream records of MI ``text``, decoded."""
    return "".join(
        bytes(m.group(1), "ascii").decode("unicode_escape")
        for m in re.finditer(r'^~"(.*)"$', text, re.M)
    )


def _mi_stop(mi: Mi) -> tuple[str, str]:
    """The MI text up to the next ``*stopped`` record, and the record."""
    seen = mi.until(r"\*stopped")
    return seen, seen.splitlines()[-1]


def test_mi_exec_finish_reports_the_go_results(
    go_version: str, wslgo_entry: Path, tmp_path: Path
) -> None:
    binary = build("sstrial", go_version)
    printed = tmp_path / "printed.txt"
    here = {k: line_of("sstrial", f"{k}-HERE") for k in ("INTS", "NAMED", "MIXED")}
    mi = Mi(
        [*GDB_MI, "-iex", "set auto-load python-scripts off", "-iex", f"source {wslgo_entry}"],
        numbered=True,
        # one P: the goroutine resumes on its thread (gdb's finish waits on that thread)
        env={**os.environ, "GOMAXPROCS": "1"},
    )
    got: dict[str, tuple[str, str]] = {}
    try:
        mi.until(r"\(gdb\)")
        for c in (
            "-enable-pretty-printing",
            f"-file-exec-and-symbols {binary}",
            f"-exec-arguments results 2>{printed}",
            *(f"-break-insert main.go:{line}" for line in here.values()),
        ):
            assert "^done" in mi.cmd(c), "".join(mi.transcript)
        mi.cmd("-exec-run")
        for name in here:
            _, rec = _mi_stop(mi)
            assert _field(rec, "reason") == "breakpoint-hit", rec
            assert _field(rec, "line") == str(here[name]), rec
            mi.cmd("-exec-finish")
            text, rec = _mi_stop(mi)
            assert _field(rec, "reason") == "function-finished", rec
            assert _field(rec, "func") == "main.main", rec
            # wslgo's lines follow the record
            asked = mi.cmd("-wslgo-return-values")
            got[name] = (_console(text + asked), asked.splitlines()[-1])
            mi.cmd("-exec-continue")
        _, rec = _mi_stop(mi)
        assert _field(rec, "reason") == "exited-normally", rec
    finally:
        mi.close()
    # what the program printed of the same calls
    m = re.search(
        r"^sstrial: results (\d+) (\d+) (\w+) \S+ (\d+) (\w+) (bad \d+) \{(\d+) (\w+)\} (\S+) "
        r"\[(\d+) (\d+)\] ",
        printed.read_text(),
        re.M,
    )
    assert m, printed.read_text()
    a, b, c, n, s, err, pa, pb, pf, s0, s1 = m.groups()
    want = {
        "INTS": [("~r0", a), ("~r1", b), ("~r2", c)],
        "NAMED": [
            ("count", n),
            ("name", f'"{s}"'),
            # MI's interface printer: the dynamic type, then the value
            ("err", f'*errors.errorString = {{s = "{err}"}}'),
        ],
        "MIXED": [
            ("~r0", f'{{A = {pa}, B = "{pb}"}}'),
            ("~r1", pf),
            ("~r2", f"[]int = {{{s0}, {s1}}}"),
        ],
    }
    for name, results in want.items():
        console, asked = got[name]
        # the console says them as the CLI's finish does
        said = re.findall(r"^Value returned is (\S+) = (.*)$", console, re.M)
        assert said == results, (name, console)
        # and -wslgo-return-values gives them as MI fields
        fields = re.findall(r'\{name="([^"]*)",value="((?:[^"\\]|\\.)*)"\}', asked)
        unquoted = [(k, bytes(v, "ascii").decode("unicode_escape")) for k, v in fields]
        assert unquoted == results, (name, asked)
