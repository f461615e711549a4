"""The convenience functions ``$len(x)``, ``$cap(x)`` (Go strings, slices, arrays, maps,
chans) and ``$dtype(x)`` (the value inside a Go interface, with its dynamic type), and
``wslgo-ptype`` (gdb's ptype of an expression that calls them)."""

from __future__ import annotations

import argparse

import gdb

from wslgo import _native, text
from wslgo.gdb import commands
from wslgo.gdb.printers import containers, gotypes

#: The convenience variable ``wslgo-ptype`` hands to gdb's ptype.
PTYPE_VAR = "_wslgo_ptype"


def _deref(v: gdb.Value) -> gdb.Value:
    """Follow pointers to strings, slices, arrays (``p $len(*pSlice)`` and ``$len(pSlice)``)."""
    st = v.type.strip_typedefs()
    while st.code == gdb.TYPE_CODE_PTR and not (st.target().strip_typedefs().name or "").startswith(
        (*containers.MAP_PREFIXES, containers.CHAN_PREFIX)
    ):
        v = v.dereference()
        st = v.type.strip_typedefs()
    return v


def length(v: gdb.Value, which: str) -> int:
    """len(v) or cap(v) for strings, slices, arrays, maps and chans."""
    v = _deref(v)
    st = v.type.strip_typedefs()
    if st.code == gdb.TYPE_CODE_ARRAY:
        n: int = st.range()[1] - st.range()[0] + 1
        return n
    if st.code == gdb.TYPE_CODE_STRUCT:
        names = [f.name for f in st.fields()]
        if st.name == "string" and which == "len":
            return int(v["len"])
        if "array" in names and "cap" in names:
            return int(v[which])
    if st.code == gdb.TYPE_CODE_PTR:
        tname = st.target().strip_typedefs().name or ""
        try:
            if tname.startswith(containers.CHAN_PREFIX):
                n, cap = gotypes.reader().chan_len_cap(int(v))
                return n if which == "len" else cap
            if tname.startswith(containers.MAP_PREFIXES) and which == "len":
                return gotypes.reader().map_len(int(v), containers.map_kind(st))
        except _native.WslgoError as e:
            raise gdb.GdbError(f"${which}: {' '.join(str(e).split())}") from None
    raise gdb.GdbError(f"${which}: not a Go value with a {which}: {v.type}")


class Len(gdb.Function):
    """$len(x): len(x) of a Go string, slice, array, map or chan."""

    def __init__(self) -> None:
        super().__init__("len")

    def invoke(self, v: gdb.Value) -> int:
        return length(v, "len")


class Cap(gdb.Function):
    """$cap(x): cap(x) of a Go slice, array or chan."""

    def __init__(self) -> None:
        super().__init__("cap")

    def invoke(self, v: gdb.Value) -> int:
        return length(v, "cap")


def dynamic(v: gdb.Value, who: str) -> tuple[str, gdb.Value | None]:
    """(dynamic type name, value) of the Go interface ``v`` (``$dtype`` and ``iface``)."""
    if not gotypes.is_interface(v.type):
        raise gdb.GdbError(f"{who}: not a Go interface: {v.type}")
    try:
        return gotypes.dynamic(v)
    except _native.WslgoError as e:
        raise gdb.GdbError(f"{who}: {' '.join(str(e).split())}") from None


def iface(v: gdb.Value) -> str:
    """runtime-gdb.py's ``iface`` line: ``static type: dynamic type`` (``error:
    *errors.errorString``, ``interface {}: nil``)."""
    name, _ = dynamic(v, "iface")
    return f"{v.type}: {name}"


class Dtype(gdb.Function):
    """$dtype(x): the value inside a Go interface, with its dynamic type
    (``p *$dtype(err)``, ``p $dtype(err).s``, ``wslgo-ptype $dtype(err)``)."""

    def __init__(self) -> None:
        super().__init__("dtype")

    def invoke(self, v: gdb.Value) -> gdb.Value:
        name, dv = dynamic(v, "$dtype")
        if dv is None:
            raise gdb.GdbError(
                "$dtype: nil interface" if name == "nil" else f"$dtype: no debug type named {name}"
            )
        return dv


def register() -> None:
    """Define $len, $cap and $dtype (gdb keeps them for the session)."""
    Len()
    Cap()
    Dtype()


_ptype = commands.parser(
    "wslgo-ptype",
    "gdb's ptype of an expression evaluated as print evaluates it, so convenience functions "
    "run: `wslgo-ptype $dtype(err)`.",
    "gdb's own ptype and whatis never call a convenience function (gdb's evaluate_funcall "
    "answers `int` for one without calling it), so `ptype $dtype(err)` says int. "
    "Flags pass on to ptype: `wslgo-ptype/r $dtype(e)`.",
)
_ptype.add_argument("expr", help="a gdb expression, e.g. $dtype(err)")


def _one_arg(arg: str) -> list[str]:
    arg = arg.strip()
    return [arg] if arg else []


@commands.command("wslgo-ptype", _ptype, category=gdb.COMMAND_DATA, argv=_one_arg)
def wslgo_ptype(args: argparse.Namespace) -> None:
    expr: str = args.expr
    flags = ""
    if expr.startswith("/"):
        flags, _, expr = expr.partition(" ")
    if not expr.strip():
        raise commands.UsageError("wslgo-ptype: usage: wslgo-ptype[/FLAGS] EXPR")
    gdb.set_convenience_variable(PTYPE_VAR, gdb.parse_and_eval(expr))
    try:
        out = gdb.execute(f"ptype{flags} ${PTYPE_VAR}", to_string=True)
    finally:
        gdb.set_convenience_variable(PTYPE_VAR, None)
    # type and field names come from the binary: escaped line by line
    gdb.write("".join(text.esc(line) + "\n" for line in out.splitlines()))


def zone_at(loc: gdb.Value, secs: int) -> gdb.Value | None:
    """The zone a time.Location gives the instant ``secs`` (Unix seconds): the zone of the
    last transition at or before it (the first zone before any), as time's lookup does for
    instants its ``extend`` rule does not cover; None for a location without zones."""
    zones = loc["zone"]
    if int(zones["len"]) <= 0:
        return None
    tx = loc["tx"]
    n = int(tx["len"])
    arr = tx["array"]
    if n <= 0 or secs < int(arr[0]["when"]):
        return zones["array"].dereference()
    lo, hi = 0, n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if secs < int(arr[mid]["when"]):
            hi = mid
        else:
            lo = mid
    i = int(arr[lo]["index"])
    return zones["array"][i] if 0 <= i < int(zones["len"]) else None
