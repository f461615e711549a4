"""What the session shows of values around a call (issue 20, on fixture tests/go/sstrial):
the thread's own frame #0 while a parked goroutine is selected (``info threads``), results
before the function sets them, and the Go results of MI's ``-exec-finish``."""

from __future__ import annotations

import re

from conftest import build
from wslgo_testing.gdb import marked, section

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
    )
    args = r"^(\S+) = (.*)$"
    n = re.findall(args, section(r.stdout, "ENTRY"), re.M)
    assert n == [("n", n[0][1]), ("~r0", "<not set yet>")], r.output
    # the entry line zeroed the result: its Go zero value from the body on
    assert re.findall(args, section(r.stdout, "BODY"), re.M) == [n[0], ("~r0", "0")], r.output
