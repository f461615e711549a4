"""Which Go releases each delve release debugs: the one table, and what it answers.

Pure Python. The doctor (and any other Python reader: diagnose-log could name the release
to install) asks it; nothing on the Rust side needs it, so it is not in the core.

Read from go-delve/delve's ``pkg/goversion/compat.go`` (``MinSupportedVersionOfGoMajor`` /
``MinSupportedVersionOfGoMinor`` / ``MaxSupportedVersionOfGoMajor`` /
``MaxSupportedVersionOfGoMinor``) at each release tag, v1.20.0 through v1.27.1:
v1.20.0 v1.20.1 v1.20.2 v1.21.0 v1.21.1 v1.21.2 v1.22.0 v1.22.1 v1.23.0 v1.23.1 v1.24.0
v1.24.1 v1.24.2 v1.25.0 v1.25.1 v1.25.2 v1.26.0 v1.26.1 v1.26.2 v1.26.3 v1.27.0 v1.27.1
(v1.27.1 is f053895a26cb, 2026-08-01). Every tag has major 1 on both sides. The same reading
gave two more facts: ``cmd/dlv/cmds/commands.go`` defaults ``--api-version`` to 1 up to
v1.23.1 and says "The only valid value is 2" from v1.24.0 (service/rpc1 removed); and
``Compatible`` refuses DWARFv5 programs (Go 1.25 and later) when delve itself was built
with Go older than 1.25, from v1.24.2.

delve's rule (``Compatible``): a program's Go release below Min is "too old for this version
of Delve", at Max + 1 or above "Version of Delve is too old"; ``--check-go-version=false``
turns either refusal into a warning with undefined behaviour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: (delve release, oldest Go minor, newest Go minor) of Go 1.x, oldest release first.
RELEASES: tuple[tuple[tuple[int, int, int], int, int], ...] = (
    ((1, 20, 0), 18, 20),
    ((1, 20, 1), 18, 20),
    ((1, 20, 2), 18, 20),
    ((1, 21, 0), 18, 21),
    ((1, 21, 1), 19, 21),
    ((1, 21, 2), 19, 21),
    ((1, 22, 0), 19, 22),
    ((1, 22, 1), 19, 22),
    ((1, 23, 0), 21, 23),
    ((1, 23, 1), 21, 23),
    ((1, 24, 0), 21, 24),
    ((1, 24, 1), 21, 24),
    ((1, 24, 2), 21, 24),
    ((1, 25, 0), 21, 24),
    ((1, 25, 1), 22, 25),
    ((1, 25, 2), 22, 25),
    ((1, 26, 0), 24, 26),
    ((1, 26, 1), 24, 26),
    ((1, 26, 2), 24, 26),
    ((1, 26, 3), 24, 26),
    ((1, 27, 0), 25, 27),
    ((1, 27, 1), 25, 27),
)
#: The first release that serves only JSON-RPC API v2 (`--api-version=1` refused).
API_V1_DROPPED = (1, 24, 0)
#: The first release that refuses DWARFv5 programs when built with a Go older than 1.25.
DWARF5_BUILDER_RULE = (1, 24, 2)
#: Go 1.25 writes DWARFv5.
DWARF5_GO_MINOR = 25

INSTALL = "go install github.com/go-delve/delve/cmd/dlv@v{}"
#: What `--check-go-version=false` costs.
RISK = (
    'or start delve with --check-go-version=false (launch.json: "dlvFlags": '
    '["--check-go-version=false"]), at the risk of undefined behaviour: goroutines, '
    "stacks and variables misread where this Go's runtime changed"
)

Version = tuple[int, int, int]


def text(v: Version) -> str:
    return ".".join(map(str, v))


def oldest() -> Version:
    return RELEASES[0][0]


def newest() -> Version:
    return RELEASES[-1][0]


_DLV_VERSION = re.compile(r"^Version:\s*(\d+)\.(\d+)\.(\d+)(\S*)", re.M)


def parse_dlv_version(out: str) -> tuple[Version, str] | None:
    """delve's version and its metadata suffix (``-dev``) from `dlv version`'s output
    (``Delve Debugger`` / ``Version: 1.27.1`` / ``Build: $Id: … $``), or None."""
    m = _DLV_VERSION.search(out)
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))), m.group(4)


_GO_VERSION = re.compile(r"^go(\d+)\.(\d+)")


def go_minor(go_version: str | None) -> int | None:
    """The minor of a Go 1.x release string (``go1.24.11`` -> 24), None for others."""
    m = _GO_VERSION.match(go_version or "")
    if not m or m.group(1) != "1":
        return None
    return int(m.group(2))


def supported(dlv: Version) -> tuple[int, int] | None:
    """(oldest, newest) Go minor delve ``dlv`` debugs, None when the table lacks it."""
    for v, lo, hi in RELEASES:
        if v == dlv:
            return lo, hi
    return None


@dataclass(frozen=True)
class Verdict:
    """delve ``dlv`` against a Go release."""

    kind: str  # "ok", "go-too-old", "dlv-too-old", "unknown"
    range: tuple[int, int] | None  # the Go minors dlv supports, when known

    @property
    def refused(self) -> bool:
        return self.kind in ("go-too-old", "dlv-too-old")


def check(dlv: Version, minor: int) -> Verdict:
    """What delve ``dlv`` does with a program of Go 1.``minor``, by delve's own rule."""
    r = supported(dlv)
    if r is None:
        return Verdict("unknown", None)
    if minor < r[0]:
        return Verdict("go-too-old", r)
    if minor > r[1]:
        return Verdict("dlv-too-old", r)
    return Verdict("ok", r)


def release_for(minors: list[int]) -> Version | None:
    """The newest delve release that debugs every Go 1.<minor> in ``minors``."""
    best = None
    for v, lo, hi in RELEASES:
        if all(lo <= m <= hi for m in minors):
            best = v
    return best


def install_command(minors: list[int]) -> str | None:
    """`go install …@vX.Y.Z` of the delve for these Go minors (all of them, else the first)."""
    v = release_for(minors) or (release_for(minors[:1]) if minors else None)
    return INSTALL.format(text(v)) if v else None


def serves_api_v1(dlv: Version) -> bool:
    return dlv < API_V1_DROPPED


def dwarf5_needs_go125(dlv: Version) -> bool:
    """delve ``dlv`` refuses a DWARFv5 program unless it was built with Go 1.25 or later."""
    return dlv >= DWARF5_BUILDER_RULE
