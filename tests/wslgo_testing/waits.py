"""The oracle of tests/go/waits: what the fixture printed about itself (its objects'
addresses, its goroutines' ids, who waits on what and who can unblock it), read from its
output, and the checks of `wslgo waits` JSON and the goroutine views' `waits_on` against it
(shared by tests/py/test_waits.py and tests/py/test_arm64.py)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Told:
    """What the fixture printed."""

    objects: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> (kind, addr)
    waiters: set[tuple[int, str, str]] = field(default_factory=set)  # (goid, op, name)
    holders: dict[str, set[int]] = field(default_factory=dict)
    sleepers: set[int] = field(default_factory=set)
    ready: bool = False

    def addr(self, name: str) -> int:
        return 0 if name == "nilchan" else self.objects[name][1]

    def abba(self) -> list[int]:
        """The two goroutines of the AB-BA deadlock."""
        return sorted({g for g, _, n in self.waiters if n.startswith("abba_")})


def read_told(lines: Iterable[str]) -> Told:
    """The fixture's account, up to its `ready` line (``told.ready`` says it was reached)."""
    told = Told()
    for line in lines:
        f = line.split()
        if f == ["ready"]:
            told.ready = True
            break
        if f[:1] == ["object"]:
            told.objects[f[1]] = (f[2], int(f[3], 16))
        elif f[:1] == ["waiter"]:
            told.waiters.add((int(f[1]), f[2], f[3]))
        elif f[:1] == ["holder"]:
            told.holders.setdefault(f[2], set()).add(int(f[1]))
        elif f[:1] == ["sleeper"]:
            told.sleepers.add(int(f[1]))
    return told


@contextmanager
def running(argv: list[str], **popen: Any) -> Iterator[tuple[subprocess.Popen[str], Told]]:
    """The fixture (``argv``), parked and ready, with what it printed; killed afterwards."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, **popen)
    try:
        assert proc.stdout is not None
        told = read_told(proc.stdout)
        assert told.ready, "the fixture ended before it was ready"
        yield proc, told
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def check(doc: dict[str, Any], told: Told) -> None:
    """The JSON view against the program's account, the same for every build (a `-s -w`
    one finds runtime.mheap_ and runtime.types without symbols)."""
    assert doc["errors"] == []
    objs = {int(o["addr"], 16): o for o in doc["objects"]}
    want: dict[int, set[tuple[int, str]]] = {}
    for goid, op, name in told.waiters:
        want.setdefault(told.addr(name), set()).add((goid, op))
    assert set(objs) == set(want)
    for addr, ws in want.items():
        assert {(w["goid"], w["op"]) for w in objs[addr]["waiters"]} == ws, hex(addr)
        # The fixture ran a collection once every goroutine was parked: the runtime
        # recorded since when each one waits.
        assert all(w["wait_s"] >= 0 for w in objs[addr]["waiters"]), objs[addr]["waiters"]
    for name, (kind, addr) in told.objects.items():
        if addr in objs:
            assert objs[addr]["kind"] == kind, name
    # Every object the fixture blocks on lives in the heap (the nil channel has no place).
    for addr, o in objs.items():
        assert (o["place"], "heap_object" in o) == (("heap", True) if addr else (None, False)), o
    waiting = {g for g, _, _ in told.waiters}
    assert not told.sleepers & waiting
    for name, goids in told.holders.items():
        got = {s["goid"] for s in objs[told.addr(name)]["suspects"]}
        assert got == goids, name
        for s in objs[told.addr(name)]["suspects"]:
            assert s["func"].startswith("main.") and s["file"].endswith("main.go"), s
    # Nobody holds the channel nobody closes.
    assert objs[told.addr("never")]["suspects"] == []
    unbuf = objs[told.addr("unbuf")]
    assert (unbuf["type"], unbuf["len"], unbuf["cap"], unbuf["send_waiting"]) == (
        "chan int",
        0,
        0,
        50,
    ), unbuf
    selb = objs[told.addr("selb")]
    assert (selb["type"], selb["cap"]) == ("chan string", 3), selb
    assert doc["cycles"] == [
        {"goids": told.abba(), "objects": sorted(hex(told.addr(n)) for n in ("abba_a", "abba_b"))}
    ]


def waits_on(told: Told) -> dict[int, set[tuple[str, str, str]]]:
    """goid -> {(kind, addr, op)} the fixture said each waiter waits on."""
    out: dict[int, set[tuple[str, str, str]]] = {}
    for goid, op, name in told.waiters:
        kind = told.objects[name][0] if name != "nilchan" else "chan"
        out.setdefault(goid, set()).add((kind, hex(told.addr(name)), op))
    return out


def check_goroutines_json(records: list[dict[str, Any]], told: Told) -> None:
    """The goroutine views' `waits_on` against the program's account."""
    got = {
        r["goid"]: {(w["kind"], w["addr"], w["op"]) for w in r["waits_on"]}
        for r in records
        if "waits_on" in r
    }
    assert got == waits_on(told)
