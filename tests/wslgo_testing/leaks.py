"""The oracle of tests/go/leaks: which goroutines it leaked and which it keeps blocked on
objects something still reaches, as it printed them before `ready` (shared by
tests/py/test_leaks.py and tests/py/test_arm64.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


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
