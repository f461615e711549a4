"""Printers for Go's containers: slices, maps and chans.

Maps and chans are walked natively (``_native.Values.map_entries`` / ``chan_queue``); gdb
then asks for children lazily through its child protocol (display hints ``array`` and
``map``), decoded in chunks: strings and 8-byte integers in one batched native read,
anything else as gdb values at their address.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gdb

from wslgo import _native, goformat, text
from wslgo.gdb.printers import gotypes

# Bytes one map / chan / slice walk may read, and entries it may return.
READ_LIMIT = 16 << 20
ENTRY_LIMIT = 1 << 20
# 8-byte integer types decoded natively in one batch (children become Python ints).
INT8_NAMES = ("int", "int64", "uint64", "uint", "uintptr")
# Children are decoded in chunks of this many elements, as gdb asks for them.
CHUNK = 256
# DWARF names of a map header (hash<K,V> before Go 1.24, map<K,V> since) and a chan header.
MAP_PREFIXES = ("hash<", "map<")
CHAN_PREFIX = "hchan<"

# In MI, a Python string child becomes a char array variable object ("[7]" with 7 children):
# there string elements are Go string values (one printer each: slower, but IDEs ask for
# small windows); in the CLI they are decoded natively in batches and handed over quoted.
MI = goformat.mi_session()


def print_options() -> dict[str, Any]:
    """gdb's print options in effect for the value being printed (``p/x`` gives ``format``,
    ``p -elements 5 --`` gives ``max_elements``); {} where gdb lacks ``gdb.print_options``."""
    fn = getattr(gdb, "print_options", None)
    return fn() if fn is not None else {}


def print_elements(opts: dict[str, Any] | None = None) -> int:
    """gdb's ``print elements`` limit in effect (a large number for unlimited)."""
    n = (print_options() if opts is None else opts).get("max_elements")
    if n is None:
        try:
            n = gdb.parameter("print elements")
        except gdb.error:
            n = 200
    return int(n) if n else 1 << 30


def _natural_ints(opts: dict[str, Any]) -> bool:
    """Integers print as plain decimal text: no format letter (``p/x``), decimal output radix,
    not MI (where children stay values). Then integer children are handed over as text and gdb
    makes no value (and runs no printer lookup) per element."""
    if MI or "max_elements" not in opts or "format" in opts:
        return False
    try:
        return int(gdb.parameter("output-radix")) == 10
    except (gdb.error, TypeError, ValueError):
        return False


class BudgetSpent(Exception):
    """The print's read budget is spent: the container ends with a marker."""


def _decode(vals: _native.Values, typ: gdb.Type, addrs: list[int], walk: gotypes.Walk) -> list[Any]:
    """Children for values of ``typ`` at ``addrs``: Python str (quoted natively) / int (decimal
    text when :func:`_natural_ints`) from one batched native read for strings and 8-byte
    integers, gdb.Values otherwise (read now: an unreadable one becomes ``<unreadable T at
    0x…>`` in place instead of gdb's "Cannot access memory" ending the whole print). Each
    counts against ``walk``'s budget (:class:`BudgetSpent` when it is gone)."""
    st = typ.strip_typedefs()
    opts = print_options()
    if st.code == gdb.TYPE_CODE_STRUCT and st.name == "string" and typ.name in (None, "string"):
        if not MI:
            if not walk.charge(32 * len(addrs)):
                raise BudgetSpent
            out = vals.quoted_strings(addrs, print_elements(opts), walk.budget)
            walk.charge(sum(len(q) for q in out))
            return out
    if st.code == gdb.TYPE_CODE_INT and st.sizeof == 8 and typ.name in INT8_NAMES:
        if not walk.charge(32 * len(addrs)):  # (its text, not only its 8 bytes)
            raise BudgetSpent
        signed = not (typ.name or "").startswith("u")
        ints = vals.ints(addrs, 8, signed)
        if _natural_ints(opts):
            return ["<unreadable>" if n is None else str(n) for n in ints]
        return ["<unreadable>" if n is None else n for n in ints]
    # (in MI gdb prints no child until asked; in the CLI gdb prints each one, nested values
    # and all, right away: those count against the print's children too)
    if MI:  # lazy children: read when the client asks for their values
        return [gotypes.at(a, typ) for a in addrs]
    if not walk.charge(st.sizeof * len(addrs)):
        raise BudgetSpent
    walk.children -= len(addrs)
    if walk.children < 0:
        raise BudgetSpent
    out = []
    for a in addrs:
        v = gotypes.at(a, typ)
        try:
            v.fetch_lazy()
        except gdb.MemoryError:
            out.append(f"<unreadable {text.esc(typ)} at {a:#x}>")
            continue
        out.append(v)
    return out


def _held(walk: gotypes.Walk, children: Iterator[Any]) -> Iterator[Any]:
    """``children`` sharing ``walk`` with the values gdb prints between them (CLI only: an
    MI client keeps a varobj's children iterator between commands)."""
    if MI:
        yield from children
        return
    with gotypes.holding(walk):
        yield from children


def _spent() -> str:
    return f"<print budget spent ({gotypes.PRINT_BUDGET} bytes, {gotypes.MAX_CHILDREN} values)>"


class SlicePrinter:
    """Go slice: ``[]T`` and its elements (runtime-gdb.py's header: ``$len`` / ``$cap`` give
    the numbers)."""

    def __init__(self, val: gdb.Value, name: str) -> None:
        self.val = val
        self.name = name
        self.elem = val["array"].type.target()
        self.n = int(val["len"])
        self.cap = int(val["cap"])
        self.walk = gotypes.current_walk()
        size = max(self.elem.sizeof, 1)
        self.shown = max(0, min(self.n, READ_LIMIT // size, ENTRY_LIMIT))
        self.marker = ""
        if self.n < 0 or self.cap < self.n:
            self.marker = f" <slice: garbage header (len {self.n}, cap {self.cap})>"
            self.shown = 0
            return
        if self.shown > 0:
            # no more elements than the mapped memory at the array holds
            ext = gotypes.reader().mapped_extent(int(val["array"]))
            if ext is not None and ext // size < self.shown:
                self.shown = ext // size
                self.marker = f" <slice: showing {self.shown}, the memory ends there>"
                return
        if self.shown < self.n:
            self.marker = f" <slice: showing {self.shown}, the read limit is {READ_LIMIT} bytes>"

    def display_hint(self) -> str:
        return "array"

    def to_string(self) -> str:
        return f"{self.name}{self.marker}"

    def children(self) -> Iterator[tuple[str, Any]]:
        return gotypes.interruptible(_held(self.walk, self._children()))

    def _children(self) -> Iterator[tuple[str, Any]]:
        base = int(self.val["array"])
        size = self.elem.sizeof
        vals = gotypes.reader()
        for start in range(0, self.shown, CHUNK):
            end = min(self.shown, start + CHUNK)
            addrs = [base + i * size for i in range(start, end)]
            try:
                items = _decode(vals, self.elem, addrs, self.walk)
            except BudgetSpent:
                yield f"[{start}]", _spent()
                return
            except Exception as e:  # noqa: BLE001 - a child must not break printing
                yield f"[{start}]", f"<slice: {_one_line(e)}>"
                return
            for i, v in enumerate(items, start):
                yield f"[{i}]", v
                if isinstance(v, str) and v.startswith("<unreadable"):
                    return  # the memory ends here: so do the elements


def _one_line(e: BaseException) -> str:
    return text.esc(" ".join(str(e).split()))


def _fields(t: gdb.Type) -> dict[str, gdb.Field]:
    return {f.name or "": f for f in t.fields()}


#: group size, key base and stride, elem base and stride, overflow offset, indirect key / elem.
Geometry = tuple[int, int, int, int, int, int, bool, bool]


def _map_geometry(hdr: gdb.Type) -> tuple[str, Geometry, gdb.Type, gdb.Type]:
    """(kind, geometry, key type, elem type) from the DWARF of a map header struct."""
    fields = _fields(hdr)
    geo: tuple[int, int, int, int, int, int]
    if "buckets" in fields:
        bucket = fields["buckets"].type.target().strip_typedefs()
        bf = _fields(bucket)
        keys, elems = bf["keys"], bf.get("values") or bf["elems"]
        kt, et = keys.type.strip_typedefs().target(), elems.type.strip_typedefs().target()
        geo = (
            bucket.sizeof,
            keys.bitpos // 8,
            kt.sizeof,
            elems.bitpos // 8,
            et.sizeof,
            bf["overflow"].bitpos // 8,
        )
        kind = "hash"
    else:
        table = fields["dirPtr"].type.target().target().strip_typedefs()
        groups = _fields(table)["groups"].type.strip_typedefs()
        group = _fields(groups)["data"].type.target().strip_typedefs()
        slots = _fields(group)["slots"]
        slot = slots.type.strip_typedefs().target().strip_typedefs()
        sf = _fields(slot)
        kt, et = sf["key"].type, sf["elem"].type
        base = slots.bitpos // 8
        geo = (
            group.sizeof,
            base + sf["key"].bitpos // 8,
            slot.sizeof,
            base + sf["elem"].bitpos // 8,
            slot.sizeof,
            0,
        )
        kind = "swiss"
    ki = _indirect(kt)
    ei = _indirect(et)
    return (
        kind,
        (*geo, ki, ei),
        kt.target() if ki else kt,
        et.target() if ei else et,
    )


def _indirect(t: gdb.Type) -> bool:
    """A slot holding a pointer to a key or element too large to sit in the slot itself."""
    s = t.strip_typedefs()
    big: bool = s.code == gdb.TYPE_CODE_PTR and s.target().sizeof > _native.MAP_MAX_INLINE_BYTES
    return big


def is_map_or_chan(t: gdb.Type) -> bool:
    """True for a Go map or chan (a pointer to a ``hash<``, ``map<`` or ``hchan<`` header)."""
    st = t.strip_typedefs()
    if st.code != gdb.TYPE_CODE_PTR:
        return False
    return (st.target().strip_typedefs().name or "").startswith((*MAP_PREFIXES, CHAN_PREFIX))


def map_kind(ptr: gdb.Type) -> str:
    """ "hash" or "swiss": the map implementation a map pointer type's DWARF name says."""
    name = ptr.strip_typedefs().target().strip_typedefs().name or ""
    return "hash" if name.startswith(MAP_PREFIXES[0]) else "swiss"


class MapPrinter:
    """Go map: ``map[K]V`` (runtime-gdb.py's header; ``$len`` gives the count) and its
    entries (walked natively, decoded lazily)."""

    def __init__(self, val: gdb.Value, name: str) -> None:
        self.val = val
        self.name = name
        hdr = val.type.strip_typedefs().target().strip_typedefs()
        self.kind, self.geo, self.kt, self.et = _map_geometry(hdr)
        self.vals = gotypes.reader()
        self.walk = gotypes.current_walk()
        self.count, self.entries, marker = self.vals.map_entries(
            int(val), self.geo, self.kind, READ_LIMIT, ENTRY_LIMIT
        )
        self.marker = f" {marker}" if marker else ""

    def display_hint(self) -> str:
        return "map"

    def to_string(self) -> str:
        return f"{self.name}{self.marker}"

    def children(self) -> Iterator[tuple[str, Any]]:
        return gotypes.interruptible(_held(self.walk, self._children()))

    def _children(self) -> Iterator[tuple[str, Any]]:
        for start in range(0, len(self.entries), CHUNK):
            part = self.entries[start : start + CHUNK]
            try:
                keys = _decode(self.vals, self.kt, [k for k, _ in part], self.walk)
                elems = _decode(self.vals, self.et, [e for _, e in part], self.walk)
            except BudgetSpent:
                yield f"k{start}", "<...>"
                yield f"v{start}", _spent()
                return
            except Exception as e:  # noqa: BLE001 - a child must not break printing
                yield f"k{start}", "<...>"
                yield f"v{start}", f"<map: {_one_line(e)}>"
                return
            for i, (k, v) in enumerate(zip(keys, elems), start):
                yield f"k{i}", k
                yield f"v{i}", v


class ChanPrinter:
    """Go chan: ``0xc00008a070 (closed, len 2, cap 4; waiting: 0 to send, 3 to receive)
    chan T`` and the buffered elements in receive order."""

    def __init__(self, val: gdb.Value, name: str) -> None:
        self.val = val
        self.name = name
        self.elem = _chan_elem(val)
        self.vals = gotypes.reader()
        self.walk = gotypes.current_walk()
        self.len, self.cap, self.closed, self.elems, marker = self.vals.chan_queue(
            int(val), READ_LIMIT, ENTRY_LIMIT
        )
        self.marker = f" {marker}" if marker else ""

    def display_hint(self) -> str:
        return "array"

    def to_string(self) -> str:
        closed = "closed, " if self.closed else ""
        try:
            hdr = self.val.dereference()
            send, recv = _waiters(hdr["sendq"]), _waiters(hdr["recvq"])
            waiting = f"; waiting: {send} to send, {recv} to receive"
        except gdb.error as e:
            waiting = f"; waiting: <{e}>"
        info = f"{closed}len {self.len}, cap {self.cap}{waiting}"
        # the header stays last: Go's TestGdbPython ends its match with `chan int = {…}`
        unknown = " <chan: no element type in the DWARF>" if self.elem is None else ""
        return f"{int(self.val):#x} ({info}) {self.name}{self.marker}{unknown}"

    def children(self) -> Iterator[tuple[str, Any]]:
        return gotypes.interruptible(_held(self.walk, self._children()))

    def _children(self) -> Iterator[tuple[str, Any]]:
        if self.elem is None:
            return
        for start in range(0, len(self.elems), CHUNK):
            part = self.elems[start : start + CHUNK]
            try:
                items = _decode(self.vals, self.elem, part, self.walk)
            except BudgetSpent:
                yield f"[{start}]", _spent()
                return
            except Exception as e:  # noqa: BLE001 - a child must not break printing
                yield f"[{start}]", f"<chan: {_one_line(e)}>"
                return
            for i, v in enumerate(items, start):
                yield f"[{i}]", v


def _waiters(q: gdb.Value, limit: int = 1 << 16) -> str:
    """How many goroutines a chan's wait queue (``sendq`` / ``recvq``) holds."""
    n, p, seen = 0, q["first"], set()
    while int(p) != 0:
        if int(p) in seen or n >= limit:
            return f"{n}+ (cycle or garbage)"
        seen.add(int(p))
        n += 1
        p = p.dereference()["next"]
    return str(n)


def _chan_elem(val: gdb.Value) -> gdb.Type | None:
    """The element type of a chan from its DWARF: the linker's ``hchan<T>`` holds
    ``recvq waitq<T>`` whose ``first`` is a ``*sudog<T>`` with ``elem *T`` (never looked up by
    name: gdb's Go ``int`` is 4 bytes where the program's is 8)."""
    try:
        hchan = val.type.strip_typedefs().target().strip_typedefs()
        waitq = _fields(hchan)["recvq"].type.strip_typedefs()
        sudog = _fields(waitq)["first"].type.strip_typedefs().target().strip_typedefs()
        elem = _fields(sudog)["elem"].type.strip_typedefs()
    except (KeyError, gdb.error, RuntimeError):
        return None
    if elem.code != gdb.TYPE_CODE_PTR or elem.target().code == gdb.TYPE_CODE_VOID:
        return None
    return elem.target()
