"""``watch``, ``rwatch`` and ``awatch`` with Go expressions: ``watch s[2]``, ``watch m["k"]``,
``watch -l p.pts[1].X``.

gdb evaluates a watchpoint's expression itself, and its Go language never asks Python for
``operator[]`` (xmethods are consulted for C++ only), so ``watch s[2]`` fails ("Structure
has no component named operator[]") and ``watch m[5]`` watches memory five map headers
further on. These commands replace gdb's: the argument is rewritten as ``print``'s is
(:func:`wslgo.gdb.printers.expressions.rewrite`: ``$index``, ``$slice``, ``$len``, ``$cap``) and the
watchpoint is created through ``gdb.Breakpoint``, which parses it as gdb's ``watch`` does
(``if COND``, ``thread N``, ``task N``, ``mask M``). ``-l`` / ``-location`` watches the
address the expression has now, as ``$at(ADDR, "TYPE")`` (gdb's own ``-l`` writes a C cast
that its Go parser rejects).
"""

from __future__ import annotations

import re

import gdb

from wslgo.gdb import commands
from wslgo.gdb.printers import expressions, gotypes

_LOCATION = re.compile(r"^\s*(?:-location|-l)(?:\s+|$)")
#: The expression, then gdb's `if COND` and `thread|task|mask N` words.
_TAIL = re.compile(r"^(?P<expr>.*?)(?P<tail>(?:\s+(?:if\s.*|(?:thread|task|mask)\s+\S+))*)$", re.S)
#: The function a -location watchpoint reads through.
AT = "at"


class WatchTypes:
    """Type name -> the gdb type ``$at`` reads (each one a watchpoint was made with)."""

    def __init__(self) -> None:
        self.types: dict[str, gdb.Type] = {}


TYPES = WatchTypes()


def spec(arg: str) -> str:
    """``watch``'s argument as gdb can evaluate it."""
    m = _LOCATION.match(arg)
    if m is None:
        return expressions.rewrite(arg)
    parts = _TAIL.match(arg[m.end() :])
    if parts is None or not parts.group("expr").strip():
        raise gdb.GdbError("Argument required (expression to compute).")
    value = gdb.parse_and_eval(expressions.rewrite(parts.group("expr")))
    addr = value.address
    if addr is None:
        raise gdb.GdbError("-location needs a value in memory (this one is not)")
    name = str(value.type)
    TYPES.types[name] = value.type
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'${AT}({int(addr):#x}, "{quoted}"){expressions.rewrite(parts.group("tail"))}'


WATCH_DOC = """Set a watchpoint for EXPRESSION (gdb's `watch`, with Go expressions).

    Usage: watch [-location] EXPRESSION [mask MASK] [thread N] [if CONDITION]
    Go index, slice and map expressions (s[i], m[key]) and len(x)/cap(x) are rewritten as
    `print` rewrites them (`set wslgo go-expressions`); -location watches the memory the
    expression names now. `rwatch` stops when it is read, `awatch` on both."""


def watch(wp_class: int, arg: str) -> None:
    """wslgo's ``watch`` / ``rwatch`` / ``awatch`` (``wp_class``: gdb.WP_WRITE, ...)."""
    if not arg.strip():
        raise gdb.GdbError("Argument required (expression to compute).")
    try:
        gdb.Breakpoint(spec(arg), gdb.BP_WATCHPOINT, wp_class)
    except gdb.error as e:
        raise gdb.GdbError(str(e).removeprefix(expressions.PY_ERROR)) from None


def _watch_command(name: str, wp_class: int) -> gdb.Command:
    """Register ``name`` in gdb's place: gdb's errors pass as gdb words them (not guarded)."""
    return commands.raw(
        name,
        WATCH_DOC,
        lambda arg, from_tty: watch(wp_class, arg),
        category=gdb.COMMAND_BREAKPOINTS,
        complete=gdb.COMPLETE_EXPRESSION,
        repeat=True,
        guarded=False,
    )


class At(gdb.Function):
    """$at(ADDR, "TYPE"): the value of type TYPE at address ADDR (what `watch -location`
    watches)."""

    def __init__(self) -> None:
        super().__init__(AT)

    def invoke(self, addr: gdb.Value, name: gdb.Value) -> gdb.Value:
        tname = name.string()
        t = TYPES.types.get(tname) or gotypes.lookup_type(tname)
        if t is None:
            raise gdb.GdbError(f"no type {tname!r} in the program's debug info")
        return gotypes.at(int(addr), t)


class Registered:
    """The commands and function :func:`register` made (kept alive here)."""

    def __init__(self) -> None:
        self.objects: list[object] = []


REGISTERED = Registered()


def register() -> None:
    """wslgo's ``watch``, ``rwatch``, ``awatch`` and ``$at`` (once per gdb session)."""
    if not REGISTERED.objects:
        REGISTERED.objects += [
            _watch_command("watch", gdb.WP_WRITE),
            _watch_command("rwatch", gdb.WP_READ),
            _watch_command("awatch", gdb.WP_ACCESS),
            At(),
        ]
