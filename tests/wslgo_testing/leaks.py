"""The oracle of tests/go/leaks: which goroutines it leaked and which it keeps blocked on
objects something still reaches, as it printed them before `ready` (shared by
tests/py/test_leaks.py, tests/py/test_report.py and tests/py/test_arm64.py), and the
fixture run until it is ready."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass
class Told:
    """What the fixture printed: goid -> how."""

    leaked: dict[int, str] = field(default_factory=dict)
    blocked: dict[int, str] = field(default_factory=dict)
    ready: bool = False


def read_told(lines: Iterable[str]) -> Told:
    """The fixture's account, up to its `ready` line (``told.ready`` says it was reached)."""
    told = Told()
    for line in lines:
        f = line.split()
        if f == ["ready"]:
            told.ready = True
            break
        if f[:1] == ["leaked"]:
            told.leaked[int(f[1])] = f[2]
        elif f[:1] == ["blocked"]:
            told.blocked[int(f[1])] = f[2]
    return told


@contextmanager
def running(binary: Path) -> Iterator[tuple[subprocess.Popen[str], Told]]:
    """The fixture, parked and ready, with what it printed; killed afterwards."""
    proc = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        told = read_told(proc.stdout)
        if not told.ready:
            pytest.fail("the fixture ended before it was ready")
        yield proc, told
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
