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

