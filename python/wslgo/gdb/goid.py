"""The current goroutine in expressions: ``$goid`` and ``$_goid()``.

``$_goid()`` is a gdb convenience function: the id of the goroutine gdb's selected thread
runs (0 when it runs none, e.g. a thread on the system stack without a user goroutine).
``$goid`` is a convenience variable set to the same number at each stop wslgo reports, for
``print $goid``. A breakpoint condition is evaluated before any stop is reported, so a
condition that spells ``$goid`` (``break main.handle if $goid == 56``, ``condition 2 $goid
== 56``) is rewritten to call ``$_goid()`` when the breakpoint is created or changed.
"""

from __future__ import annotations

import re

import gdb

from wslgo import _native
from wslgo.gdb import program

#: ``$goid`` not followed by a call's ``(``.
_BARE = re.compile(r"\$goid\b(?!\s*\()")
VARIABLE = "goid"
FUNCTION = "_goid"


def current() -> int:
    """The id of the goroutine the selected thread runs (0: none, or unreadable)."""
    try:
        g = program.current_goroutine()
    except (gdb.error, gdb.GdbError, _native.WslgoError, OSError):
        return 0
    return int(g["goid"]) if g is not None else 0


class GoidFunction(gdb.Function):
    """$_goid(): the id of the goroutine the selected thread runs (0 when none).

    Usable in breakpoint conditions: `break main.handle if $_goid() == 56`; wslgo also
    rewrites `$goid` in a condition to `$_goid()`."""

    def __init__(self) -> None:
        super().__init__(FUNCTION)

    def invoke(self, *args: gdb.Value) -> int:
        return current()


def refresh() -> None:
    """Set ``$goid`` for the stop being reported (nothing when no Go program is loaded)."""
    if program.current_or_none() is not None:
        gdb.set_convenience_variable(VARIABLE, current())


def rewrite_condition(bp: gdb.Breakpoint) -> None:
    """``$goid`` in ``bp``'s condition becomes ``$_goid()`` (evaluated at each hit)."""
    cond = bp.condition
    if not cond or not _BARE.search(cond):
        return
    bp.condition = _BARE.sub(f"${FUNCTION}()", cond)
