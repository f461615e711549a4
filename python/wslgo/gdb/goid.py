"""The current goroutine in expressions: ``$goid`` and ``$_goid()``.

``$_goid()`` is a gdb convenience function: the goroutine selected with ``wslgo-goroutine
N``, else the id of the goroutine gdb's selected thread runs (0 when it runs none, e.g. a
thread on the system stack without a user goroutine); an error without a process.
``$goid`` is a convenience variable set to the same number at each stop (quiet ones too), at
each ``wslgo-goroutine`` selection, and made void when the program exits. A breakpoint
condition is evaluated before any stop is reported, so ``$goid`` spelled in it (``break
main.handle if $goid == 56``) is rewritten to call ``$_goid()`` when the breakpoint is
created or changed. A ``dprintf`` prints without stopping (and gdb's Python does not see
it): one whose arguments spell ``$goid`` gets the condition ``$_goid() >= 0`` in front of
its own, and ``$_goid()`` sets ``$goid`` as it runs.
"""

from __future__ import annotations

import re

import gdb

from wslgo import _native
from wslgo.gdb import goframes, program

#: ``$goid`` not followed by a call's ``(``.
_BARE = re.compile(r"\$goid\b(?!\s*\()")
VARIABLE = "goid"
FUNCTION = "_goid"


def current() -> int:
    """The goroutine selected with ``wslgo-goroutine N``, else the id of the goroutine the
    selected thread runs (0: none, or unreadable)."""
    sel = goframes.SWITCHER.applies()
    if sel is not None:
        return sel.goroutine.goid
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
        if gdb.selected_inferior().pid == 0 and not program.is_core():
            raise gdb.GdbError("$_goid(): the program is not running")
        n = current()
        gdb.set_convenience_variable(VARIABLE, n)  # what a dprintf's `$goid` then reads
        return n


def refresh() -> None:
    """Set ``$goid`` for the stop being reported (nothing when no Go program is loaded)."""
    if program.current_or_none() is not None:
        gdb.set_convenience_variable(VARIABLE, current())


def forget() -> None:
    """The program exited: ``$goid`` names no goroutine any more (void)."""
    gdb.set_convenience_variable(VARIABLE, None)


def rewrite_condition(bp: gdb.Breakpoint) -> None:
    """``$goid`` in ``bp``'s condition becomes ``$_goid()`` (evaluated at each hit)."""
    cond = bp.condition
    if cond and _BARE.search(cond):
        bp.condition = _BARE.sub(f"${FUNCTION}()", cond)


#: Put in front of a dprintf's condition: always true, sets ``$goid`` first.
DPRINTF_GUARD = f"${FUNCTION}() >= 0"
#: A dprintf in `info breakpoints`: its number, then its condition and printf lines.
_DPRINTF = re.compile(r"^(\d+)\s+dprintf\s.*?(?=^\d|\Z)", re.M | re.S)
_COND = re.compile(r"^\s+stop only if (.*)$", re.M)


def guard_dprintfs() -> None:
    """Each dprintf that prints ``$goid`` evaluates ``$_goid()`` first (its condition)."""
    try:
        listing = gdb.execute("info breakpoints", to_string=True)
    except gdb.error:
        return
    for m in _DPRINTF.finditer(listing):
        block = m.group(0)
        printf = [ln for ln in block.splitlines() if ln.lstrip().startswith("printf ")]
        if not printf or not _BARE.search(printf[-1]):
            continue
        c = _COND.search(block)
        cond = c.group(1).strip() if c else ""
        if cond.startswith(DPRINTF_GUARD):
            continue
        new = f"{DPRINTF_GUARD} && ({cond})" if cond else DPRINTF_GUARD
        gdb.execute(f"condition {m.group(1)} {new}", to_string=True)
