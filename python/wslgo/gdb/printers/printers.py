"""Go values in gdb: the pretty-printer lookup, and the printers of strings, interfaces and
the runtime types users meet (time.Duration, time.Time, sync.Mutex, sync.RWMutex).

The printers answer only for types of Go objfiles. Containers (slices, maps, chans) are in
:mod:`.containers`, the convenience functions in :mod:`.values`; what the
standard-library types' words mean is the native core's (``_native.go_time`` and friends).
A value the printers cannot make sense of prints a short marker and never raises out of
printing. :func:`register` is called once, from ``events.setup``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gdb

from wslgo import _native, text
from wslgo.gdb.printers import containers, gotypes, named, unset, values


class _Text:
    """A printer with only a one-line text (nil values, markers)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def to_string(self) -> str:
        return self.text


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())


class StringPrinter:
    """Go string: quoted by the native core's one rule (controls, C1 and bidi overrides
    escaped: gdb's own string printing shows U+202E raw under a UTF-8 locale), at most
    ``print elements`` bytes and only what the memory holds."""

    def __init__(self, val: gdb.Value) -> None:
        self.val = val

    def to_string(self) -> str:
        try:
            with gotypes.walking() as walk:
                n = int(self.val["len"])
                if n < 0:
                    return f"<string: garbage length {n}>"
                if n == 0:
                    return '""'
                addr = self.val.address
                limit = containers.print_elements()
                if addr is None:  # a string not in memory (a register pair, a slice's result)
                    k = min(n, limit, walk.budget)
                    data = gdb.selected_inferior().read_memory(int(self.val["str"]), k)
                    walk.charge(k)
                    return _native.go_quote(bytes(data), n > k)
                text = gotypes.reader().quoted_string(int(addr), limit, walk.budget)
                walk.charge(min(n, limit))
                return text
        except KeyboardInterrupt:
            return _interrupted(self)
        except (gdb.error, _native.WslgoError) as e:
            return f"<string: {_one_line(e)}>"


def _interrupted(printer: Any) -> str:
    """A printer's text after Ctrl-C; gdb's "Quit" follows (``gotypes.QUIT_CHILDREN``)."""
    printer.children = gotypes.QUIT_CHILDREN
    return "<interrupted>"


def _target(v: gdb.Value) -> tuple[gdb.Value, int | None, int]:
    """What an interface's dynamic value prints as (a pointer to a struct: the struct), its
    address (None when not in memory) and size."""
    t = v.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_PTR and t.target().strip_typedefs().code == gdb.TYPE_CODE_STRUCT:
        p = int(v)
        if p != 0:
            obj = v.dereference()
            return obj, p, obj.type.sizeof
    addr = v.address
    return v, None if addr is None else int(addr), v.type.sizeof


class InterfacePrinter:
    """Go interface: the dynamic type and the value (``int 42``, ``*errors.errorString
    {s = "boom"}``), or ``nil``. A value already being printed on the way here (cyclic data)
    prints as ``T (cycle) 0xADDR``; nesting stops at ``print max-depth`` (``T {...}``) and
    one print's expansions at a budget."""

    def __init__(self, val: gdb.Value) -> None:
        self.val = val

    def to_string(self) -> str:
        try:
            with gotypes.walking() as walk:
                return self._text(walk)
        except KeyboardInterrupt:
            return _interrupted(self)

    def _text(self, walk: gotypes.Walk) -> str:
        try:
            name, v = gotypes.dynamic(self.val)
        except Exception as e:  # noqa: BLE001 - printing must not fail in gdb
            return f"<interface: {_one_line(e)}>"
        if v is None:
            if name == "nil":
                return name
            # No DWARF type by that name (dropped from an optimized build, made at run time,
            # named differently): decoded from the runtime type descriptor.
            try:
                return gotypes.decoded(self.val, containers.print_elements())
            except (gdb.error, _native.WslgoError) as e:
                return f"{name} <{_one_line(e)}>"
        try:
            obj, addr, size = _target(v)
            if not walk.path and walk.outer is None:
                own = self.val.address
                walk.outer = None if own is None else int(own)
            if addr is not None and walk.cycle(addr, size):
                return f"{name} (cycle) {addr:#x}"
            if len(walk.path) >= walk.max_depth:
                return f"{name} {{...}}"
            if size > gotypes.MAX_VALUE:
                # (a corrupt type word can name a runtime table of hundreds of megabytes)
                at = "" if addr is None else f" at {addr:#x}"
                return f"{name} <{size} bytes{at}>"
            walk.expansions -= 1
            if walk.expansions < 0 or not walk.charge(size):
                return f"{name} <print budget spent>"
            walk.path.append(addr if addr is not None else -1)
            try:
                text = obj.format_string(max_depth=max(0, walk.max_depth - len(walk.path)))
            finally:
                walk.path.pop()
            return f"{name} {text}"
        except gdb.error as e:
            return f"{name} <{_one_line(e)}>"


class MiInterfacePrinter(InterfacePrinter):
    """In MI, an interface holding a struct (or a pointer to one) has that struct's fields as
    children, so an IDE's variable object of it expands (``-var-list-children``); the CLI's
    printer has none (its text already shows the fields)."""

    def _struct(self) -> tuple[str, gdb.Value | None]:
        """(dynamic type name, the struct it holds or points to, else None)."""
        try:
            name, v = gotypes.dynamic(self.val)
            if v is None:
                return name, None
            obj, _addr, _size = _target(v)
            return name, obj if obj.type.strip_typedefs().code == gdb.TYPE_CODE_STRUCT else None
        except (gdb.error, _native.WslgoError):
            return "", None

    def to_string(self) -> str:
        name, obj = self._struct()
        return name if obj is not None else super().to_string()

    def children(self) -> Iterator[tuple[str, gdb.Value]]:
        _name, obj = self._struct()
        if obj is None:
            return
        for f in obj.type.strip_typedefs().fields():
            if f.name and not f.artificial:
                yield f.name, obj[f.name]


class DurationPrinter:
    """time.Duration as Go prints it: ``1.5s``."""

    def __init__(self, val: gdb.Value) -> None:
        self.val = val

    def to_string(self) -> str:
        return _native.go_duration(int(self.val))


def _go_str(v: gdb.Value) -> str:
    n = int(v["len"])
    if n <= 0:
        return ""
    raw = bytes(gdb.selected_inferior().read_memory(int(v["str"]), min(n, 256)))
    return text.esc(raw.decode("utf-8", "replace"))


class TimePrinter:
    """time.Time as a date, in its location's zone when the location has one zone or a
    cached zone covering the instant; otherwise in UTC, naming the location."""

    def __init__(self, val: gdb.Value) -> None:
        self.val = val

    def to_string(self) -> str:
        try:
            wall, ext = int(self.val["wall"]) & ((1 << 64) - 1), int(self.val["ext"])
            mono = _native.go_time_monotonic(wall, ext)
            suffix = f" {mono}" if mono else ""
            utc = _native.go_time(wall, ext)
            loc = self.val["loc"]
            if int(loc) == 0:
                return utc + suffix
            loc = loc.dereference()
            zone = None
            cz = loc["cacheZone"]
            secs = _native.go_time_unix(wall, ext)
            if int(cz) != 0 and int(loc["cacheStart"]) <= secs < int(loc["cacheEnd"]):
                zone = cz.dereference()
            else:
                zone = values.zone_at(loc, secs)
            if zone is None:
                name = _go_str(loc["name"])
                # time.Local before the program first used it: no zones loaded yet
                where = f"({name})" if name else "(Local, not loaded by the program yet)"
                return f"{utc}{suffix} {where}"
            offset, zname = int(zone["offset"]), _go_str(zone["name"])
            return _native.go_time(wall, ext, offset, zname) + suffix
        except (gdb.error, ValueError, OverflowError) as e:
            return f"<time.Time: {e}>"


def _mutex_state(val: gdb.Value) -> int:
    """The state word of a sync.Mutex (itself, or its inner mutex since Go 1.24)."""
    names = [f.name for f in val.type.strip_typedefs().fields()]
    return int(val["state"]) if "state" in names else int(val["mu"]["state"])


class MutexPrinter:
    """sync.Mutex in words: ``sync.Mutex locked, 2 waiters``."""

    def __init__(self, val: gdb.Value) -> None:
        self.val = val

    def to_string(self) -> str:
        return _native.go_mutex(_mutex_state(self.val))


class RWMutexPrinter:
    """sync.RWMutex in words: ``sync.RWMutex read-locked by 2 readers``."""

    def __init__(self, val: gdb.Value) -> None:
        self.val = val

    def to_string(self) -> str:
        rc = int(self.val["readerCount"]["v"])
        return _native.go_rwmutex(rc, _mutex_state(self.val["w"]))


#: Printers of Go structs by their DWARF name.
STRUCTS = {
    "sync.Mutex": MutexPrinter,
    "sync.RWMutex": RWMutexPrinter,
    "time.Time": TimePrinter,
}


def lookup(val: gdb.Value) -> Any:
    """gdb's pretty-printer lookup: a printer for Go values, None for anything else. Never
    raises: a value the printers cannot make sense of prints as a one-line marker.

    gdb asks every objfile's list, then the global one, with the same value object; when a
    claimed objfile's copy said None, the global copy answers None without looking again (a
    map's 10,000 integer keys would otherwise be looked up twice each)."""
    if val is gotypes.STATE.last_none:
        return None
    try:
        if unset.claims(val):
            return _Text(unset.TEXT)
        printer = _lookup(val)
    except KeyboardInterrupt:
        quit_ = _Text("")
        _interrupted(quit_)
        quit_.text = "<interrupted>"
        return quit_
    except Exception as e:  # noqa: BLE001 - printing must not fail in gdb
        return _Text(f"<wslgo: {_one_line(e)}>")
    if printer is None:
        gotypes.STATE.last_none = val
    return printer


def _lookup(val: gdb.Value) -> Any:
    t = val.type
    code = t.code
    if code == gdb.TYPE_CODE_INT:  # the common case first: integer children, plain ints
        if t.name == "time.Duration" and gotypes.is_go(t):
            return DurationPrinter(val)
        return named.lookup(val, t) if "." in (t.name or "") else None
    name = t.name or ""
    st = t.strip_typedefs()
    code = st.code
    if code == gdb.TYPE_CODE_STRUCT:
        return _struct(val, name, st)
    if code == gdb.TYPE_CODE_PTR:
        tname = st.target().strip_typedefs().name or ""
        is_map = tname.startswith(containers.MAP_PREFIXES)
        is_chan = tname.startswith(containers.CHAN_PREFIX)
        if (is_map or is_chan) and gotypes.is_go(st):
            display = name or ("map" if is_map else "chan")
            try:
                if int(val) == 0:
                    return _Text(f"{display} nil")
                if is_map:
                    return containers.MapPrinter(val, display)
                return containers.ChanPrinter(val, display)
            except (gdb.error, _native.WslgoError, KeyError, AttributeError, TypeError) as e:
                return _Text(f"<{'map' if is_map else 'chan'}: {_one_line(e)}>")
        return None
    if code == gdb.TYPE_CODE_INT and name == "time.Duration" and gotypes.is_go(t):
        return DurationPrinter(val)  # a typedef of time.Duration
    if code == gdb.TYPE_CODE_FUNC or (code == gdb.TYPE_CODE_INT and "." in name):
        return named.lookup(val, t)
    return None


def _struct(val: gdb.Value, name: str, st: gdb.Type) -> Any:
    sname = st.name or ""
    if sname == "string":
        return StringPrinter(val) if gotypes.is_go(st) else None
    if sname.startswith("[]") and gotypes.is_go(st):
        try:
            if int(val["array"]) or int(val["len"]):
                return containers.SlicePrinter(val, name or sname)
            return _Text(f"{name or sname} nil")
        except gdb.error as e:
            return _Text(f"<slice: {e}>")
    if gotypes.is_interface(st) and gotypes.is_go(st):
        return MiInterfacePrinter(val) if containers.MI else InterfacePrinter(val)
    printer = STRUCTS.get(sname)
    if printer is not None and gotypes.is_go(st):
        return printer(val)
    return None


def register() -> None:
    """Add the lookup function to gdb's global printers (for every objfile, behind any
    objfile's own: :func:`claim` puts it first in a Go objfile) and the convenience
    functions (once per gdb session)."""
    if gotypes.STATE.registered:
        return
    gdb.pretty_printers.append(lookup)
    values.register()
    gotypes.STATE.registered = True


def claim(objfile: gdb.Objfile) -> None:
    """Put the lookup first in ``objfile``'s own printers, ahead of runtime-gdb.py's (which
    gdb consults before the global ones)."""
    lst = objfile.pretty_printers
    if lst and lst[0] is lookup:
        return
    if lookup in lst:
        lst.remove(lookup)
    lst.insert(0, lookup)


def unclaim(objfile: gdb.Objfile) -> None:
    """Take the lookup out of ``objfile``'s own printers (the global one stays)."""
    if lookup in objfile.pretty_printers:
        objfile.pretty_printers.remove(lookup)
