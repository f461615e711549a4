"""Results a Go function has not set yet. At a function's entry, before its body's first
statement (``Symbols.body_offset``: the entry line's code sets the frame up and, unoptimized,
zeroes the results), a result's stack slot holds whatever the stack held: gdb's frame lines
(the stop, ``finish``'s "Run till exit", ``info threads``), ``info args``, ``bt`` and MI's
frame arguments print it as ``<not set yet>`` instead. A result DWARF locates nowhere there
(optimized code) stays gdb's ``<optimized out>``.

gdb hands a printer the value, not its symbol: the results of each thread's frame #0 at its
function's entry are known by address and type, found once per thread per stop (the program
resuming forgets them, :meth:`Unset.forget`).
"""

from __future__ import annotations

import gdb

from wslgo import _native
from wslgo.gdb import program

#: What an unset result prints as.
TEXT = "<not set yet>"

#: (address, type name) of results.
Slots = frozenset[tuple[int, str]]


class Unset:
    """The unset results of each thread's frame #0 at this stop."""

    def __init__(self) -> None:
        #: Per thread (gdb's global number): its frame #0's unset results.
        self.by_thread: dict[int, Slots] = {}
        #: Per function name: where its body starts (an offset from its entry), or None.
        self.bodies: dict[str, int | None] = {}

    def forget(self) -> None:
        """The program resumed or stopped anew: frame #0 moved."""
        self.by_thread.clear()

    def forget_program(self) -> None:
        """Another program: its functions' bodies are elsewhere."""
        self.by_thread.clear()
        self.bodies.clear()


STATE = Unset()


def _body(symbols: _native.Symbols, func: str) -> int | None:
    if func not in STATE.bodies:
        try:
            STATE.bodies[func] = symbols.body_offset(func)
        except _native.WslgoError:
            STATE.bodies[func] = None
    return STATE.bodies[func]


def unset_results(frame: gdb.Frame) -> Slots:
    """The results of ``frame``'s Go function that it has not set yet: all of them while
    ``frame`` is at the function's entry line, before its body, else none."""
    prog = program.current_or_none()
    if prog is None or prog.symbols is None:
        return frozenset()
    try:
        block: gdb.Block | None = frame.block()
    except RuntimeError:
        return frozenset()
    while block is not None and block.function is None:
        block = block.superblock
    if block is None or block.function is None:
        return frozenset()
    func = block.function.name
    body = _body(prog.symbols, func)
    if body is None or not block.start <= frame.pc() < block.start + body:
        return frozenset()
    try:
        names = set(prog.symbols.result_names(func))
    except _native.WslgoError:
        return frozenset()
    out = set()
    for sym in block:
        if sym.is_argument and sym.name in names:
            value = frame.read_var(sym)  # lazy: its address, nothing read
            if value.address is not None:
                out.add((int(value.address), str(value.type)))
    return frozenset(out)


def claims(val: gdb.Value) -> bool:
    """True when ``val`` is an unset result of the selected thread's frame #0."""
    thread = gdb.selected_thread()
    if thread is None:
        return False
    known = STATE.by_thread.get(thread.global_num)
    if known is None:
        try:
            known = unset_results(gdb.newest_frame())
        except (gdb.error, RuntimeError):
            known = frozenset()
        STATE.by_thread[thread.global_num] = known
    if not known:
        return False
    addr = val.address
    return addr is not None and (int(addr), str(val.type)) in known
