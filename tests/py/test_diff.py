"""`wslgo diff` and `wslgo-diff` on tests/go/leakdiff, which leaks 10 goroutines every
100 ms and prints each batch's ids. gdb stops it at its tick after batch 3 (a gcore and
`wslgo-bt --save`) and after batch 18, 15 ticks (1.5 s of the program's time) later (a
second gcore and `wslgo-diff`). Whatever compares the two moments must find as new exactly
the goroutines of batches 4 to 18, the leaking group grown by as many, and every goroutine
blocked at the first moment stuck at the second."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import build

WSLGO = [sys.executable, "-m", "wslgo.cli"]
FIRST, LAST = 3, 18


def section(out: str, name: str) -> str:
    return out.split(f"=={name}==\n", 1)[1].split("==end==\n", 1)[0]


def wslgo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WSLGO, *args], capture_output=True, text=True, timeout=300)


def check(doc: dict[str, Any], created: list[int], blocked: set[int]) -> None:
    assert doc["new"] == created
    assert doc["gone"] == []
    leak = [g for g in doc["groups"] if g["location"].startswith("main.leak ")]
    assert len(leak) == 1 and leak[0]["state"] == "chan receive", doc["groups"]
    assert leak[0]["before"] == FIRST * 10
    assert leak[0]["after"] - leak[0]["before"] == len(created) == (LAST - FIRST) * 10
    assert doc["groups"][0] == leak[0]  # the biggest growth first
    assert {s["id"] for s in doc["stuck"]} == blocked
    assert all(s["at_least_ns"] > 0 for s in doc["stuck"])


@pytest.fixture
def moments(gdb_run: Any, go_version: str, tmp_path: Path) -> dict[str, Any]:
    binary = build("leakdiff", go_version, "opt")
    a, b, snap = tmp_path / "a.core", tmp_path / "b.core", tmp_path / "a.snap"
    r = gdb_run(
        [
            f"break main.tick if 'main.batches' == {FIRST}",
            "run",
            f"gcore {a}",
            f"wslgo-bt --save {snap}",
            f"condition 1 'main.batches' == {LAST}",
            "continue",
            f"gcore {b}",
            "echo ==gdb==\\n",
            f"wslgo-diff {snap} --json",
            "echo ==end==\\n",
            "echo ==text==\\n",
            f"wslgo-diff {snap}",
            "echo ==end==\\n",
            "kill",
        ],
        binary=binary,
        # Without async preemption, as the other tests that count breakpoint hits: a SIGURG
        # at the breakpoint can lose the hit at batch LAST, and the program runs on (one run
        # under load waited out the timeout).
        env={"GODEBUG": "asyncpreemptoff=1"},
        timeout=300,
    )
    batches = {
        int(m[1]): [int(i) for i in m[2].split()]
        for m in re.finditer(r"^batch (\d+) ([\d ]+)$", r.stdout, re.M)
    }
    assert sorted(batches) == list(range(1, LAST + 1)), r.stdout[-2000:]
    created = sorted(i for n in range(FIRST + 1, LAST + 1) for i in batches[n])
    first = wslgo("goroutines", str(binary), str(a), "--json")
    assert first.returncode == 0, first.stderr
    blocked = {
        g["goid"] for g in json.loads(first.stdout)["goroutines"] if g["status_name"] == "waiting"
    }
    assert len(blocked) > FIRST * 10
    return {
        "binary": binary,
        "a": a,
        "b": b,
        "snap": snap,
        "out": r.stdout,
        "created": created,
        "blocked": blocked,
    }


def test_diff_of_two_cores_and_of_a_saved_snapshot(moments: dict[str, Any], gdb_run: Any) -> None:
    m = moments
    check(json.loads(section(m["out"], "gdb")), m["created"], m["blocked"])
    text = section(m["out"], "text")
    assert re.search(r"^\s+30 -> 180\s+\(\+150\)\s+\[chan receive\] main\.leak ", text, re.M)
    assert f"new: 150 ({' '.join(map(str, m['created'][:40]))} … 110 more)" in text

    for a in (m["a"], m["snap"]):
        r = wslgo("diff", "--json", str(m["binary"]), str(a), str(m["b"]))
        assert r.returncode == 0, r.stderr
        check(json.loads(r.stdout), m["created"], m["blocked"])
    # B saved from the core, then compared with the core A: the same report.
    saved_b = m["b"].with_name("b.snap")
    r = wslgo("goroutines", str(m["binary"]), str(m["b"]), "--save", str(saved_b))
    assert r.returncode == 0 and r.stdout == "", r.stderr
    r = wslgo("diff", str(m["binary"]), str(m["a"]), str(saved_b), "--json")
    assert r.returncode == 0, r.stderr
    check(json.loads(r.stdout), m["created"], m["blocked"])
    r = wslgo("diff", str(m["binary"]), str(saved_b), str(m["a"]), "--json")
    assert json.loads(r.stdout)["gone"] == m["created"]

    # Bad input: one line, gdb stays up.
    junk = m["b"].with_name("junk")
    junk.write_bytes(b"not a snapshot\n")
    r = wslgo("diff", str(m["binary"]), str(junk), str(m["b"]))
    assert r.returncode != 0 and r.stderr.count("\n") == 1, r.stderr
    assert "not a wslgo snapshot" in r.stderr
    r = wslgo("diff", str(m["binary"]), str(m["b"]))
    assert r.returncode != 0 and "give two moments" in r.stderr
    r = gdb_run([f"core {m['b']}", f"wslgo-diff {junk}", "echo alive\\n"], binary=m["binary"])
    assert "wslgo-diff: not a wslgo snapshot" in r.stderr and "alive" in r.stdout
