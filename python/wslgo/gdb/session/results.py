"""Return values at ``finish`` and ``wslgo-finish``: ``Value returned is NAME = VALUE`` for
each result of the Go function left, through the Go printers.

gdb does not know Go's register ABI, so it prints none. Before the function is left,
:func:`capture` takes its results' names from DWARF (``Symbols.result_names``: the formal
parameters marked ``DW_AT_variable_parameter``) and their types from gdb's block, and
flattens each type into the scalars it is made of (:func:`leaves`); the native core says
which registers hold which (``_native.abi_results``, Go's assignment rules). After the
return, :func:`report` reads those registers from the caller's frame #0 and builds each
value. A result the ABI puts on the stack is said to be not available.

MI: gdb's ``-exec-finish`` runs gdb's ``finish`` in the background, so its hookpost runs
before the function returns, and gdb 13 lets no Python command replace it: the stop
prints the results (:func:`note_mi_stop`, console records), and ``-wslgo-return-values``
(:class:`MiReturnValues`) answers them as MI fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gdb

from wslgo import _native
from wslgo.gdb import program
from wslgo.gdb.printers import containers
from wslgo.text import esc

#: gdb type codes of the scalars an integer register holds.
_INTS = (
    gdb.TYPE_CODE_INT,
    gdb.TYPE_CODE_BOOL,
    gdb.TYPE_CODE_PTR,
    gdb.TYPE_CODE_CHAR,
    gdb.TYPE_CODE_ENUM,
    gdb.TYPE_CODE_FUNC,
)
#: Nesting depth of a result type that is flattened at most (deeper: on the stack).
_MAX_DEPTH = 32


def leaves(t: gdb.Type, offset: int = 0, depth: int = 0) -> list[tuple[str, int, int]]:
    """The scalars a value of type ``t`` is made of, in memory order: ``("int" | "float",
    offset, size)``, or ``("stack", ...)`` for a part no register holds (an array of more
    than one element). Go's strings, slices and interfaces are structs of words to gdb."""
    t = t.strip_typedefs()
    code = t.code
    if depth > _MAX_DEPTH:
        return [("stack", offset, 0)]
    if code in _INTS:
        return [("int", offset, t.sizeof)]
    if code == gdb.TYPE_CODE_FLT:
        return [("float", offset, t.sizeof)]
    if code == gdb.TYPE_CODE_COMPLEX:
        half = t.sizeof // 2
        return [("float", offset, half), ("float", offset + half, half)]
    if code == gdb.TYPE_CODE_STRUCT:
        out: list[tuple[str, int, int]] = []
        for f in t.fields():
            if not f.artificial and f.bitpos is not None:
                out += leaves(f.type, offset + f.bitpos // 8, depth + 1)
        return out
    if code == gdb.TYPE_CODE_ARRAY:
        lo, hi = t.range()
        n = hi - lo + 1
        if n <= 0:
            return []
        if n == 1:
            return leaves(t.target(), offset, depth + 1)
    return [("stack", offset, t.sizeof)]


@dataclass
class Pending:
    """A function being left: its results and the architecture."""

    func: str
    arch: str
    #: (pc, depth below the goroutine's stack top) of the caller's frame: where the
    #: return lands (a depth, not an sp: the stack may grow and move on the way).
    lands: tuple[int, int]
    #: (name, type) of each result, in order.
    results: list[tuple[str, gdb.Type]] = field(default_factory=list)


@dataclass
class State:
    """The function the running ``finish`` leaves (set by :func:`capture`)."""

    pending: Pending | None = None
    #: What the last stop returned: (name, value, or None and why it is not available);
    #: emptied when the program resumes.
    last: list[tuple[str, str | None, str]] = field(default_factory=list)


STATE = State()


def _function_block(frame: gdb.Frame) -> gdb.Block | None:
    try:
        block: gdb.Block | None = frame.block()
    except RuntimeError:
        return None
    while block is not None and block.function is None:
        block = block.superblock
    return block


def _depth(sp: int) -> int:
    """``sp``'s depth below the top of the stack of the goroutine gdb's thread runs."""
    g = program.current_goroutine()
    return int(g["stack_hi"]) - sp if g is not None else -sp


def capture(frame: gdb.Frame, caller: gdb.Frame | None = None) -> Pending | None:
    """The results of the Go function ``frame`` runs, which returns to ``caller`` (default
    its older frame); None when it has none or is not a Go function with DWARF. Kept for
    :func:`report`."""
    STATE.pending = None
    prog = program.current_or_none()
    block = _function_block(frame)
    caller = caller or frame.older()
    if prog is None or prog.symbols is None or block is None or block.function is None:
        return None
    if caller is None:
        return None
    func = block.function.name
    try:
        names = prog.symbols.result_names(func)
    except _native.WslgoError:
        return None
    if not names:
        return None
    types = {s.name: s.type for s in block if s.is_argument}
    if any(n not in types for n in names):
        return None
    try:
        lands = (int(caller.pc()), _depth(int(caller.read_register("sp"))))
    except (gdb.error, _native.WslgoError, OSError):
        return None
    results = [(n, types[n]) for n in names]
    STATE.pending = Pending(func, frame.architecture().name(), lands, results)
    return STATE.pending


def arm() -> None:
    """:func:`capture` of the selected frame, for gdb's own ``finish`` (its hook)."""
    STATE.pending = None
    try:
        frame = gdb.selected_frame()
    except gdb.error:
        return  # no process: gdb's finish says so
    capture(frame)


def _register_bytes(frame: gdb.Frame, reg: str, is_float: bool, arm64: bool) -> bytes:
    """The low bytes of register ``reg`` in ``frame``, little-endian."""
    if not is_float:
        return (int(frame.read_register(reg)) & (1 << 64) - 1).to_bytes(8, "little")
    if arm64:  # v0..v15: their low 8 bytes are d0..d15 (a union: its "u" reads them raw)
        return (int(frame.read_register("d" + reg[1:])["u"]) & (1 << 64) - 1).to_bytes(8, "little")
    return (int(frame.read_register(reg)["v2_int64"][0]) & (1 << 64) - 1).to_bytes(8, "little")


def _value(
    frame: gdb.Frame, t: gdb.Type, pieces: list[tuple[str, bool, int, int]], arm64: bool
) -> gdb.Value:
    buf = bytearray(t.sizeof)
    for reg, is_float, offset, size in pieces:
        raw = _register_bytes(frame, reg, is_float, arm64)
        buf[offset : offset + size] = raw[:size]
    return gdb.Value(bytes(buf), t)


def collect(frame: gdb.Frame | None = None) -> list[tuple[str, str | None, str]] | None:
    """The captured function's results, read from ``frame`` (the caller's frame #0 just
    after the return; default the newest frame): (name, value, or None and why), None
    when the program did not stop where it returns. Kept in ``STATE.last``. Nothing while
    the thread runs (MI's background ``finish``): the stop reports."""
    thread = gdb.selected_thread()
    if STATE.pending is None or thread is None or thread.is_running():
        return None
    pending, STATE.pending = STATE.pending, None
    try:
        frame = frame or gdb.newest_frame()
        if (int(frame.pc()), _depth(int(frame.read_register("sp")))) != pending.lands:
            return None  # stopped elsewhere (a breakpoint on the way): no value returned yet
    except (gdb.error, _native.WslgoError, OSError):
        return None  # the program exited
    shapes = [leaves(t) for _, t in pending.results]
    try:
        where = _native.abi_results(pending.arch, shapes)
    except ValueError as e:
        STATE.last = [("", None, f"not available ({e})")]
        return STATE.last
    arm64 = "aarch64" in pending.arch
    out: list[tuple[str, str | None, str]] = []
    for (name, t), pieces in zip(pending.results, where):
        if pieces is None:
            out.append((name, None, "not available (returned on the stack)"))
            continue
        try:
            out.append((name, _value(frame, t, pieces, arm64).format_string(), ""))
        except (gdb.error, ValueError) as e:
            out.append((name, f"<{' '.join(str(e).split())}>", ""))
    STATE.last = out
    return out


def report(frame: gdb.Frame | None = None) -> None:
    """Print the captured function's results (:func:`collect`)."""
    for name, value, why in collect(frame) or ():
        if not name:
            gdb.write(f"Value returned: {why}\n")
        elif value is None:
            gdb.write(f"Value returned is {esc(name)}: {why}\n")
        else:
            gdb.write(f"Value returned is {esc(name)} = {value}\n")


def note_mi_stop() -> None:
    """An MI stop: the results of the function ``-exec-finish`` left, when this stop is
    where it returns (MI runs ``finish`` in the background: gdb's hookpost-finish runs
    while the thread still runs, and leaves them to the stop)."""
    if containers.MI and STATE.pending is not None:
        report()


#: gdb's MI command class (gdb 13 and later), else a stand-in never instantiated.
_MICommand: type = getattr(gdb, "MICommand", object)


class MiReturnValues(_MICommand):
    """``-wslgo-return-values``: the Go results the last stop returned (after
    ``-exec-finish``, ``finish`` or ``wslgo-finish``) as
    ``^done,return-values=[{name,value}...]`` (``error`` instead of ``value`` for one not
    available; an empty list when the stop returned none). An MI command that runs the
    program is answered ``^running``, never ``^done``: so the values are asked for after
    the ``*stopped`` record."""

    def __init__(self) -> None:
        super().__init__("-wslgo-return-values")

    def invoke(self, argv: list[str]) -> dict[str, object]:
        if argv:
            raise gdb.GdbError("-wslgo-return-values takes no arguments")
        values: list[dict[str, str]] = []
        for name, value, why in STATE.last:
            if value is None:
                values.append({"name": name, "error": why})
            else:
                values.append({"name": name, "value": value})
        return {"return-values": values}
