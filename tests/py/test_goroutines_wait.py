"""Wait durations, `--min-wait` and `--user` on goroutines the runtime recorded as waiting
(tests/go/grwait), live in gdb and from a core. The clock is moved forward instead of
sleeping: the live views read `report.CLOCK`, the native views take `now`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import build
from wslgo import _native, report
from wslgo_testing.gdb import marked, section

#: The injected clock: the runtime's own clock (CLOCK_MONOTONIC) five minutes from now.
LATER = (
    "python import time; from wslgo import report; "
    "report.CLOCK = lambda: time.monotonic_ns() + 300 * 10**9"
)
LINE = re.compile(r"^[* ]\s*(\d+) \[([^\]]*)\] (\S+) at ", re.M)


def shown(text: str) -> dict[int, tuple[str, str]]:
    """goid -> (state, location function) of each `wslgo-bt -l` line."""
    return {int(m[1]): (m[2], m[3]) for m in LINE.finditer(text)}


def test_waits_min_wait_and_user_live_and_on_a_core(
    gdb_run, go_version: str, tmp_path: Path
) -> None:
    binary = build("grwait", go_version, "debug")
    core = tmp_path / "grwait.core"
    cmds = ["run", LATER]
    for name, cmd in [
        ("list", "wslgo-bt -l"),
        ("waited", "wslgo-bt -l --min-wait 4m"),
        ("none", "wslgo-bt -l --min-wait 10m"),
        ("user", "wslgo-bt -l -u"),
        ("json", "wslgo-bt all --no-group --json"),
    ]:
        cmds += marked(name, cmd)
    cmds += [f"gcore {core}"]
    r = gdb_run(cmds, binary=binary, timeout=240)
    out = r.stdout

    doc = {g["goid"]: g for g in json.loads(section(out, "json"))["goroutines"]}
    waiters = {i for i, g in doc.items() if any(f["func"] == "main.waiter" for f in g["frames"])}
    assert len(waiters) == 3, doc.keys()
    loop = {i for i, g in doc.items() if any(f["func"] == "os/signal.loop" for f in g["frames"])}
    assert len(loop) == 1, doc.keys()
    for i in waiters:
        assert doc[i]["waitsince"] > 0 and doc[i]["main_module_frame"]
    assert not any(doc[i].get("main_module_frame") for i in loop)

    listed = shown(section(out, "list"))
    for i in waiters:
        assert listed[i] == ("chan receive, 5 minutes", "main.waiter"), listed[i]
    assert listed[1][0] == "running"  # main ran the collection: no wait recorded
    # A stack of the standard library only: its first frame outside the runtime.
    assert [listed[i][1] for i in loop] == ["os/signal.loop"]

    waited = shown(section(out, "waited"))
    assert waiters <= set(waited) and 1 not in waited
    assert all(", 5 minutes" in state for state, _ in waited.values())
    assert shown(section(out, "none")) == {}

    user = shown(section(out, "user"))
    assert set(user) == {i for i, g in doc.items() if g.get("main_module_frame")}
    assert waiters | {1} <= set(user) and not loop & set(user)

    # The core gdb wrote: the same wait starts; durations from the `now` given, or relative
    # to the newest timestamp the core holds.
    snap = _native.Core(binary, str(core)).snapshot(scope="user")
    since = max(doc[i]["waitsince"] for i in waiters)
    later = report.render_native(
        snap, "list", report.Filter(min_wait=60 * 10**9), now=since + 300 * 10**9
    )
    got = shown(later["text"])
    assert waiters <= set(got) and not later["relative"]
    assert all(got[i] == ("chan receive, 5 minutes", "main.waiter") for i in waiters)
    relative = report.render_native(snap, "list", report.Filter())
    assert relative["relative"]
    assert report.summary_line(snap, relative).endswith(
        "relative to the newest timestamp in the core"
    )
    user_core = report.render_native(snap, "list", report.Filter(user_only=True))
    assert set(shown(user_core["text"])) == set(user)
