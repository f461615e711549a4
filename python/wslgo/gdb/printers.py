"""Go values in gdb: pretty-printers for strings, slices, maps, chans, interfaces and a few
runtime types, and the convenience functions ``$len``, ``$cap`` and ``$dtype``.

The printers answer only for types of Go objfiles. Walking a map or a chan happens in the
native core (``_native.Values``), which reads /proc/PID/mem of a live process or gdb's
``inferior.read_memory`` otherwise (cores, remote targets); gdb then asks for children
lazily through its child protocol (display hints ``string``, ``array``, ``map``), so
``print elements``, ``print pretty``, ``/x`` and MI's ``-var-list-children`` work as usual.
A corrupt value prints a short ``<map: …>`` marker and never raises out of printing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import gdb

from wslgo import _native

# Bytes one map / chan / slice walk may read, and entries it may return.
READ_LIMIT = 16 << 20
ENTRY_LIMIT = 1 << 20
# 8-byte integer types decoded natively in one batch (children become Python ints).
INT8_NAMES = ("int", "int64", "uint64", "uint", "uintptr")
# Children are decoded in chunks of this many elements, as gdb asks for them.
CHUNK = 256
# Go stores a map key or element larger than this behind a pointer (abi.MapMaxKeyBytes).
MAX_INLINE_SLOT = 128
# sync.Mutex state bits and sync.RWMutex's reader bias (sync/mutex.go, sync/rwmutex.go).
MUTEX_LOCKED, MUTEX_WOKEN, MUTEX_STARVING, MUTEX_WAITER_SHIFT = 1, 2, 4, 3
RW_MAX_READERS = 1 << 30


def _mi_session() -> bool:
    """gdb was started as an MI server (``--interpreter=mi*``: VS Code and other IDEs)."""
    try:
        with open("/proc/self/cmdline", "rb") as f:
            args = f.read().split(b"\0")
    except OSError:
        return False
    for i, a in enumerate(args):
        if a.startswith((b"--interpreter=mi", b"-i=mi", b"--i=mi")):
            return True
        if a in (b"-i", b"--interpreter", b"-interpreter") and args[i + 1 : i + 2] in (
            [b"mi"],
            [b"mi2"],
            [b"mi3"],
            [b"mi4"],
        ):
            return True
    return False


# In MI, a Python string child becomes a char array variable object ("[7]" with 7 children):
# there string elements are Go string values (one printer each: slower, but IDEs ask for
# small windows); in the CLI they are decoded natively in batches and handed over quoted.
MI = _mi_session()
_go_objfiles: dict[str, bool] = {}
_values: dict[tuple[str, int, str], tuple[Any, int | None]] = {}
_types: dict[tuple[str, str], gdb.Type | None] = {}


# --- memory and the native reader ------------------------------------------------------


def _is_live(inf: gdb.Inferior) -> bool:
    conn = getattr(inf, "connection", None)
    return inf.pid > 0 and conn is not None and getattr(conn, "type", "") == "native"


def _types_addr() -> int | None:
    try:
        return int(gdb.parse_and_eval("&'runtime.types'"))
    except gdb.error:
        return None


def values() -> tuple[Any, int | None]:
    """The native reader for the current program and inferior (cached per process)."""
    inf = gdb.selected_inferior()
    path = gdb.current_progspace().filename or ""
    live = _is_live(inf)
    key = (path, inf.pid, "live" if live else "read")
    cached = _values.get(key)
    if cached is None:
        types = _types_addr()
        if live:
            v = _native.Values(path, pid=inf.pid, types=types)
        else:

            def read(addr: int, length: int) -> bytes:
                return bytes(gdb.selected_inferior().read_memory(addr, length))

            v = _native.Values(path, read=read, types=types)
        _values.clear()
        cached = _values[key] = (v, types)
    return cached


def _lookup_type(name: str) -> gdb.Type | None:
    """The gdb type for a runtime type name (``int``, ``*errors.errorString``)."""
    key = (gdb.current_progspace().filename or "", name)
    if key in _types:
        return _types[key]
    t: gdb.Type | None = None
    for candidate in (name, "struct " + name):
        try:
            t = gdb.lookup_type(candidate)
            break
        except gdb.error:
            continue
    if t is None and not name.startswith("*") and "." in name:
        # the runtime says `y.T` where the DWARF says `github.com/x/y.T`
        full = values()[0].dwarf_type_name(name)
        if full is not None:
            try:
                t = gdb.lookup_type(full)
            except gdb.error:
                t = None
    if t is None:
        if name.startswith("*"):
            inner = _lookup_type(name[1:])
            t = inner.pointer() if inner is not None else None
    _types[key] = t
    return t


def _at(addr: int, typ: gdb.Type) -> gdb.Value:
    return gdb.Value(addr).cast(typ.pointer()).dereference()


# --- element decoding in chunks --------------------------------------------------------


def _is_string(t: gdb.Type) -> bool:
    return t.code == gdb.TYPE_CODE_STRUCT and t.name == "string"


def _decode(vals: Any, typ: gdb.Type, addrs: list[int]) -> list[Any]:
    """Children for values of ``typ`` at ``addrs``: Python str / int from one batched native
    read for strings and 8-byte integers, lazy gdb.Values otherwise."""
    st = typ.strip_typedefs()
    if _is_string(st) and typ.name in (None, "string") and not MI:
        limit = _print_elements()
        return [
            "<unreadable string>" if s is None else quote(s[0], s[1] > limit)
            for s in vals.strings(addrs, limit)
        ]
    if st.code == gdb.TYPE_CODE_INT and st.sizeof == 8 and typ.name in INT8_NAMES:
        signed = not (typ.name or "").startswith("u")
        return [n if n is not None else "<unreadable>" for n in vals.ints(addrs, 8, signed)]
    return [_at(a, typ) for a in addrs]


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def quote(text: str, truncated: bool = False) -> str:
    """A Go string as gdb quotes one: ``"a\\"b"``, ``"long"...`` when cut at the limit.
    Children that are Python strings print verbatim (cheap, and a scalar in MI)."""
    tail = "..." if truncated else ""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"{tail}'
    out = []
    for c in text:
        e = _ESCAPES.get(c)
        if e is not None:
            out.append(e)
        elif c < " " or c == "\x7f":
            out.append(f"\\{ord(c):03o}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"' + tail


def _print_elements() -> int:
    try:
        n = gdb.parameter("print elements")
    except gdb.error:
        n = 200
    return int(n) if n else 1 << 30


# --- printers --------------------------------------------------------------------------


class _Text:
    """A printer with only a one-line text (nil values, markers)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def to_string(self) -> str:
        return self.text


class StringPrinter:
    """Go string: quoted text through gdb's lazy string (``print elements`` applies)."""

    def __init__(self, val: gdb.Value) -> None:
        self.val = val

    def display_hint(self) -> str:
        return "string"

    def to_string(self) -> Any:
        try:
            n = int(self.val["len"])
            ptr = self.val["str"]
            if n < 0:
                return f"<string: garbage length {n}>"
            if n == 0:
                return ""
            return ptr.lazy_string(encoding="utf-8", length=min(n, READ_LIMIT))
        except gdb.error as e:
            return f"<string: {e}>"


class SlicePrinter:
    """Go slice: ``[]T len N cap M`` and its elements."""

    def __init__(self, val: gdb.Value, name: str) -> None:
        self.val = val
        self.name = name
        self.elem = val["array"].type.target()
        self.n = int(val["len"])
        self.cap = int(val["cap"])
        size = max(self.elem.sizeof, 1)
        self.shown = max(0, min(self.n, READ_LIMIT // size, ENTRY_LIMIT))
        self.marker = ""
        if self.n < 0 or self.cap < self.n:
            self.marker = f" <slice: garbage header (len {self.n}, cap {self.cap})>"
            self.shown = 0
        elif self.shown < self.n:
            self.marker = f" <slice: showing {self.shown}, the read limit is {READ_LIMIT} bytes>"

    def display_hint(self) -> str:
        return "array"

    def to_string(self) -> str:
        return f"{self.name} len {self.n} cap {self.cap}{self.marker}"

    def children(self) -> Iterator[tuple[str, Any]]:
        base = int(self.val["array"])
        size = self.elem.sizeof
        vals, _ = values()
        for start in range(0, self.shown, CHUNK):
            end = min(self.shown, start + CHUNK)
            addrs = [base + i * size for i in range(start, end)]
            try:
                items = _decode(vals, self.elem, addrs)
            except Exception as e:  # noqa: BLE001 - a child must not break printing
                yield f"[{start}]", f"<slice: {e}>"
                return
            for i, v in enumerate(items, start):
                yield f"[{i}]", v


def _map_geometry(hdr: gdb.Type) -> tuple[str, tuple[int, ...], gdb.Type, gdb.Type]:
    """(kind, geometry, key type, elem type) from the DWARF of a map header struct."""
    fields = {f.name: f for f in hdr.fields()}
    if "buckets" in fields:
        bucket = fields["buckets"].type.target().strip_typedefs()
        bf = {f.name: f for f in bucket.fields()}
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
        groups = {f.name: f for f in table.fields()}["groups"].type.strip_typedefs()
        group = {f.name: f for f in groups.fields()}["data"].type.target().strip_typedefs()
        slots = {f.name: f for f in group.fields()}["slots"]
        slot = slots.type.strip_typedefs().target().strip_typedefs()
        sf = {f.name: f for f in slot.fields()}
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
    s = t.strip_typedefs()
    return s.code == gdb.TYPE_CODE_PTR and s.target().sizeof > MAX_INLINE_SLOT


class MapPrinter:
    """Go map: ``map[K]V len N`` and its entries (walked natively, decoded lazily)."""

    def __init__(self, val: gdb.Value, name: str) -> None:
        self.val = val
        self.name = name
        hdr = val.type.strip_typedefs().target().strip_typedefs()
        self.kind, self.geo, self.kt, self.et = _map_geometry(hdr)
        vals, _ = values()
        self.count, self.entries, marker = vals.map_entries(
            int(val), self.geo, self.kind, READ_LIMIT, ENTRY_LIMIT
        )
        self.marker = f" {marker}" if marker else ""

    def display_hint(self) -> str:
        return "map"

    def to_string(self) -> str:
        return f"{self.name} len {self.count}{self.marker}"

    def children(self) -> Iterator[tuple[str, Any]]:
        vals, _ = values()
        for start in range(0, len(self.entries), CHUNK):
            part = self.entries[start : start + CHUNK]
            try:
                keys = _decode(vals, self.kt, [k for k, _ in part])
                elems = _decode(vals, self.et, [e for _, e in part])
            except Exception as e:  # noqa: BLE001 - a child must not break printing
                yield f"[{start}]", f"<map: {e}>"
                return
            for i, (k, v) in enumerate(zip(keys, elems), start):
                yield f"k{i}", k
                yield f"v{i}", v


class ChanPrinter:
    """Go chan: ``chan T len N cap M [closed]`` and the buffered elements in receive order."""

    def __init__(self, val: gdb.Value, name: str) -> None:
        self.val = val
        self.name = name
        self.elem = _chan_elem(val)
        vals, _ = values()
        self.len, self.cap, self.closed, self.elems, marker = vals.chan_queue(
            int(val), READ_LIMIT, ENTRY_LIMIT
        )
        self.marker = f" {marker}" if marker else ""

    def display_hint(self) -> str:
        return "array"

    def to_string(self) -> str:
        closed = " closed" if self.closed else ""
        return f"{self.name} len {self.len} cap {self.cap}{closed}{self.marker}"

    def children(self) -> Iterator[tuple[str, Any]]:
        if self.elem is None:
            return
        vals, _ = values()
        for start in range(0, len(self.elems), CHUNK):
            for i, v in enumerate(
                _decode(vals, self.elem, self.elems[start : start + CHUNK]), start
            ):
                yield f"[{i}]", v


def _chan_elem(val: gdb.Value) -> gdb.Type | None:
    """The element type of a chan from its DWARF name ``hchan<T>``, else its typedef."""
    name = val.type.strip_typedefs().target().name or ""
    if name.startswith("hchan<") and name.endswith(">"):
        t = _lookup_type(name[6:-1])
        if t is not None:
            return t
    tn = val.type.name or ""
    return _lookup_type(tn[5:]) if tn.startswith("chan ") else None


def dynamic(val: gdb.Value) -> tuple[str, gdb.Value | None]:
    """(dynamic type name, value of that type) of a Go interface value; ("nil", None) for nil."""
    st = val.type.strip_typedefs()
    vals, types = values()
    if st.name == "runtime.eface":
        typ = int(val["_type"])
    else:
        tab = int(val["tab"])
        typ = vals.itab_type(tab) if tab else 0
    if typ == 0:
        return "nil", None
    if types is None:
        raise gdb.GdbError("wslgo: no runtime.types symbol: cannot name dynamic types")
    name, _size, _kind, direct = vals.dyn_type(typ)
    t = _lookup_type(name)
    if t is None:
        return name, None
    data = val["data"]
    if direct:
        if t.strip_typedefs().code == gdb.TYPE_CODE_PTR:
            return name, data.cast(t)
        if data.address is not None:
            return name, data.address.cast(t.pointer()).dereference()
        return name, None
    return name, _at(int(data), t)


class InterfacePrinter:
    """Go interface: the dynamic type and the value (``int 42``, ``*errors.errorString
    {s = "boom"}``), or ``nil``."""

    def __init__(self, val: gdb.Value) -> None:
        self.val = val

    def to_string(self) -> str:
        try:
            name, v = dynamic(self.val)
        except Exception as e:  # noqa: BLE001 - printing must not fail in gdb
            return f"<interface: {' '.join(str(e).split())}>"
        if v is None:
            if name == "nil":
                return name
            # No DWARF type by that name (e.g. dropped from an optimized build): the name
            # and the data word (the pointer itself for pointer types).
            data = int(self.val["data"])
            return f"{name} {data:#x}" if name.startswith("*") else f"{name} <value at {data:#x}>"
        try:
            t = v.type.strip_typedefs()
            if (
                t.code == gdb.TYPE_CODE_PTR
                and int(v) != 0
                and t.target().strip_typedefs().code == gdb.TYPE_CODE_STRUCT
            ):
                return f"{name} {v.dereference().format_string()}"
            return f"{name} {v.format_string()}"
        except gdb.error as e:
            return f"{name} <{e}>"


def go_duration(ns: int) -> str:
    """time.Duration.String(): ``1.5s``, ``2m0s``, ``150ms``, ``0s``."""
    if ns == 0:
        return "0s"
    neg, u = ns < 0, abs(ns)
    if u < 1_000_000_000:
        for unit, scale in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if u >= scale:
                return ("-" if neg else "") + _frac(u, scale) + unit
    h, rem = divmod(u, 3_600_000_000_000)
    m, rem = divmod(rem, 60_000_000_000)
    out = f"{h}h{m}m" if h else (f"{m}m" if m else "")
    return ("-" if neg else "") + out + _frac(rem, 1_000_000_000) + "s"


def _frac(v: int, scale: int) -> str:
    whole, part = divmod(v, scale)
    if not part:
        return str(whole)
    digits = len(str(scale)) - 1
    return f"{whole}." + f"{part:0{digits}d}".rstrip("0")


class DurationPrinter:
    def __init__(self, val: gdb.Value) -> None:
        self.val = val

    def to_string(self) -> str:
        return go_duration(int(self.val))


# time.Time's wall/ext encoding (time/time.go): with hasMonotonic the wall word holds 33 bits
# of seconds since 1885 and ext the monotonic reading; without it ext holds seconds since
# year 1. The low 30 bits of wall are the nanoseconds.
TIME_HAS_MONOTONIC = 1 << 63
TIME_NSEC_BITS = 30
TIME_WALL_TO_INTERNAL = 59453308800  # seconds from year 1 to 1885
TIME_UNIX_TO_INTERNAL = 62135596800  # seconds from year 1 to 1970


def go_time(wall: int, ext: int, offset: int = 0, zone: str = "UTC") -> str:
    """time.Time.String() without the monotonic suffix: ``2024-02-29 13:04:05.123 +0000 UTC``."""
    wall &= (1 << 64) - 1
    nsec = wall & ((1 << TIME_NSEC_BITS) - 1)
    local = datetime.datetime(1970, 1, 1) + datetime.timedelta(
        seconds=_unix_seconds(wall, ext) + offset
    )
    frac = f".{nsec:09d}".rstrip("0") if nsec else ""
    sign, mins = ("+" if offset >= 0 else "-"), abs(offset) // 60
    return f"{local:%Y-%m-%d %H:%M:%S}{frac} {sign}{mins // 60:02d}{mins % 60:02d} {zone}"


class TimePrinter:
    """time.Time as a date, in its location's zone when the location has one zone or a
    cached zone covering the instant; otherwise in UTC, naming the location."""

    def __init__(self, val: gdb.Value) -> None:
        self.val = val

    def to_string(self) -> str:
        try:
            wall, ext = int(self.val["wall"]), int(self.val["ext"])
            loc = self.val["loc"]
            if int(loc) == 0:
                return go_time(wall, ext)
            loc = loc.dereference()
            utc = go_time(wall, ext)
            zone = None
            cz = loc["cacheZone"]
            secs = _unix_seconds(wall, ext)
            if int(cz) != 0 and int(loc["cacheStart"]) <= secs < int(loc["cacheEnd"]):
                zone = cz.dereference()
            elif int(loc["zone"]["len"]) == 1:
                zone = loc["zone"]["array"].dereference()
            if zone is None:
                return f"{utc} ({_go_str(loc['name'])})"
            return go_time(wall, ext, int(zone["offset"]), _go_str(zone["name"]))
        except (gdb.error, ValueError, OverflowError) as e:
            return f"<time.Time: {e}>"


def _unix_seconds(wall: int, ext: int) -> int:
    wall &= (1 << 64) - 1
    if wall & TIME_HAS_MONOTONIC:
        sec = TIME_WALL_TO_INTERNAL + (((wall << 1) & ((1 << 64) - 1)) >> (TIME_NSEC_BITS + 1))
    else:
        sec = ext
    return sec - TIME_UNIX_TO_INTERNAL


def _go_str(v: gdb.Value) -> str:
    n = int(v["len"])
    if n <= 0:
        return ""
    raw = bytes(gdb.selected_inferior().read_memory(int(v["str"]), min(n, 256)))
    return raw.decode("utf-8", "replace")


def _mutex_state(val: gdb.Value) -> int:
    t = val.type.strip_typedefs()
    names = [f.name for f in t.fields()]
    if "state" in names:
        return int(val["state"])
    return int(val["mu"]["state"])


def mutex_words(state: int) -> str:
    """A sync.Mutex state word in words."""
    parts = ["locked" if state & MUTEX_LOCKED else "unlocked"]
    waiters = state >> MUTEX_WAITER_SHIFT
    if waiters:
        parts.append(f"{waiters} waiter{'s' if waiters != 1 else ''}")
    if state & MUTEX_STARVING:
        parts.append("starving")
    if state & MUTEX_WOKEN:
        parts.append("woken")
    return ", ".join(parts)


class MutexPrinter:
    def __init__(self, val: gdb.Value) -> None:
        self.val = val

    def to_string(self) -> str:
        return f"sync.Mutex {mutex_words(_mutex_state(self.val))}"


class RWMutexPrinter:
    def __init__(self, val: gdb.Value) -> None:
        self.val = val

    def to_string(self) -> str:
        rc = int(self.val["readerCount"]["v"])
        w = _mutex_state(self.val["w"])
        if rc < 0:
            readers = rc + RW_MAX_READERS
            return (
                f"sync.RWMutex write-locked (writer waiting for {readers} readers)"
                if readers
                else "sync.RWMutex write-locked"
            )
        if rc:
            return f"sync.RWMutex read-locked by {rc} reader{'s' if rc != 1 else ''}"
        return "sync.RWMutex unlocked" + (" (writer lock held)" if w & MUTEX_LOCKED else "")


# --- lookup ------------------------------------------------------------------------------


def _is_go_objfile(objfile: gdb.Objfile | None) -> bool:
    if objfile is None:
        return False
    name = objfile.filename or ""
    known = _go_objfiles.get(name)
    if known is None:
        known = objfile.lookup_global_symbol("runtime.main") is not None or (
            objfile.lookup_static_symbol("runtime.main") is not None
        )
        _go_objfiles[name] = known
    return known


def lookup(val: gdb.Value) -> Any:
    """gdb's pretty-printer lookup: a printer for Go values, None for anything else. Never
    raises: a value the printers cannot make sense of prints as a one-line marker."""
    try:
        return _lookup(val)
    except Exception as e:  # noqa: BLE001 - printing must not fail in gdb
        return _Text(f"<wslgo: {' '.join(str(e).split())}>")


def _lookup(val: gdb.Value) -> Any:
    t = val.type
    name = t.name or ""
    st = t.strip_typedefs()
    code = st.code
    if code == gdb.TYPE_CODE_STRUCT:
        sname = st.name or ""
        if sname == "string":
            return StringPrinter(val) if _go(st) else None
        if sname.startswith("[]") and _go(st):
            try:
                return (
                    SlicePrinter(val, name or sname)
                    if int(val["array"]) or int(val["len"])
                    else _Text(f"{name or sname} nil")
                )
            except gdb.error as e:
                return _Text(f"<slice: {e}>")
        if sname in ("runtime.eface", "runtime.iface") and _go(st):
            return InterfacePrinter(val)
        if sname == "sync.Mutex" and _go(st):
            return MutexPrinter(val)
        if sname == "sync.RWMutex" and _go(st):
            return RWMutexPrinter(val)
        if sname == "time.Time" and _go(st):
            return TimePrinter(val)
        return None
    if code == gdb.TYPE_CODE_PTR:
        target = st.target().strip_typedefs()
        tname = target.name or ""
        is_map = tname.startswith(("hash<", "map<"))
        is_chan = tname.startswith("hchan<")
        if (is_map or is_chan) and _go(st):
            display = name or ("map" if is_map else "chan")
            try:
                if int(val) == 0:
                    return _Text(f"{display} nil")
                return MapPrinter(val, display) if is_map else ChanPrinter(val, display)
            except (gdb.error, _native.WslgoError, KeyError, AttributeError, TypeError) as e:
                return _Text(f"<{'map' if is_map else 'chan'}: {' '.join(str(e).split())}>")
        return None
    if code == gdb.TYPE_CODE_INT and name == "time.Duration" and _go(t):
        return DurationPrinter(val)
    return None


def _go(t: gdb.Type) -> bool:
    return _is_go_objfile(getattr(t, "objfile", None))


# --- convenience functions ----------------------------------------------------------------


def _deref(v: gdb.Value) -> gdb.Value:
    """Follow pointers to strings, slices, arrays (``p $len(*pSlice)`` and ``$len(pSlice)``)."""
    st = v.type.strip_typedefs()
    while st.code == gdb.TYPE_CODE_PTR and not (st.target().strip_typedefs().name or "").startswith(
        ("hash<", "map<", "hchan<")
    ):
        v = v.dereference()
        st = v.type.strip_typedefs()
    return v


def length(v: gdb.Value, which: str) -> int:
    """len(v) or cap(v) for strings, slices, arrays, maps and chans."""
    v = _deref(v)
    st = v.type.strip_typedefs()
    if st.code == gdb.TYPE_CODE_ARRAY:
        return st.range()[1] - st.range()[0] + 1
    if st.code == gdb.TYPE_CODE_STRUCT:
        names = [f.name for f in st.fields()]
        if st.name == "string" and which == "len":
            return int(v["len"])
        if "array" in names and "cap" in names:
            return int(v[which])
    if st.code == gdb.TYPE_CODE_PTR:
        tname = st.target().strip_typedefs().name or ""
        if int(v) == 0:
            return 0
        hdr = v.dereference()
        if tname.startswith("hchan<"):
            return int(hdr["qcount" if which == "len" else "dataqsiz"])
        if tname.startswith(("hash<", "map<")) and which == "len":
            return int(hdr["count" if tname.startswith("hash<") else "used"])
    raise gdb.GdbError(f"${which}: not a Go value with a {which}: {v.type}")


class _Len(gdb.Function):
    """$len(x): len(x) of a Go string, slice, array, map or chan."""

    def __init__(self) -> None:
        super().__init__("len")

    def invoke(self, v: gdb.Value) -> int:
        return length(v, "len")


class _Cap(gdb.Function):
    """$cap(x): cap(x) of a Go slice, array or chan."""

    def __init__(self) -> None:
        super().__init__("cap")

    def invoke(self, v: gdb.Value) -> int:
        return length(v, "cap")


class _Dtype(gdb.Function):
    """$dtype(x): the value inside a Go interface, with its dynamic type
    (``ptype $dtype(err)``, ``p *$dtype(err)``)."""

    def __init__(self) -> None:
        super().__init__("dtype")

    def invoke(self, v: gdb.Value) -> gdb.Value:
        st = v.type.strip_typedefs()
        if st.name not in ("runtime.eface", "runtime.iface"):
            raise gdb.GdbError(f"$dtype: not a Go interface: {v.type}")
        try:
            name, dv = dynamic(v)
        except _native.WslgoError as e:
            raise gdb.GdbError(f"$dtype: {e}") from None
        if dv is None:
            raise gdb.GdbError(
                "$dtype: nil interface" if name == "nil" else f"$dtype: no debug type named {name}"
            )
        return dv


_registered = False


def register() -> None:
    """Add the lookup function and the convenience functions (once per gdb session)."""
    global _registered
    if _registered:
        return
    gdb.pretty_printers.append(lookup)
    _Len()
    _Cap()
    _Dtype()
    _registered = True
