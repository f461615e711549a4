"""What the value printers share: which objfiles are Go, gdb types by their runtime names,
the native value reader of the current program, and the dynamic type of an interface.

The reader is the program's (:meth:`wslgo.gdb.program.Program.values`), built over its one
Symbols and dropped with its other targets; the caches here live in :data:`STATE`.
"""

from __future__ import annotations

import gdb

from wslgo import _native
from wslgo.gdb import gofacts, program


class PrinterState:
    """The printers' caches and whether they are registered (one per gdb session)."""

    def __init__(self) -> None:
        #: objfile name -> whether it is a Go program.
        self.go_objfiles: dict[str, bool] = {}
        #: (progspace file, runtime type name) -> gdb type, or None when gdb has none.
        self.types: dict[tuple[str, str], gdb.Type | None] = {}
        self.registered = False
        #: The value the lookup last found no printer for (gdb asks each printer list with
        #: the same value object).
        self.last_none: gdb.Value | None = None


STATE = PrinterState()


def reader() -> _native.Values:
    """The native value reader of the current program and inferior."""
    return program.current().values()


def is_go(t: gdb.Type) -> bool:
    """True when ``t`` comes from a Go objfile (one that has the runtime's main)."""
    objfile = getattr(t, "objfile", None)
    return objfile is not None and is_go_objfile(objfile)


def is_go_objfile(objfile: gdb.Objfile) -> bool:
    """True for a Go objfile (one that has the runtime's main)."""
    name = objfile.filename or ""
    known = STATE.go_objfiles.get(name)
    if known is None:
        known = objfile.lookup_global_symbol(gofacts.MAIN) is not None or (
            objfile.lookup_static_symbol(gofacts.MAIN) is not None
        )
        STATE.go_objfiles[name] = known
    return known


def lookup_type(name: str) -> gdb.Type | None:
    """The gdb type for a runtime type name (``int``, ``*errors.errorString``)."""
    key = (gdb.current_progspace().filename or "", name)
    if key in STATE.types:
        return STATE.types[key]
    t: gdb.Type | None = None
    for candidate in (name, "struct " + name):
        try:
            t = gdb.lookup_type(candidate)
            break
        except gdb.error:
            continue
    if t is None and not name.startswith("*") and "." in name:
        # the runtime says `y.T` where the DWARF says `github.com/x/y.T`
        full = reader().dwarf_type_name(name)
        if full is not None:
            try:
                t = gdb.lookup_type(full)
            except gdb.error:
                t = None
    if t is None and name.startswith("*"):
        inner = lookup_type(name[1:])
        t = inner.pointer() if inner is not None else None
    STATE.types[key] = t
    return t


def at(addr: int, typ: gdb.Type) -> gdb.Value:
    """The value of type ``typ`` at ``addr``."""
    return gdb.Value(addr).cast(typ.pointer()).dereference()


def is_interface(t: gdb.Type) -> bool:
    """True for Go's interface headers (``interface {}`` and non-empty interfaces)."""
    return t.strip_typedefs().name in gofacts.INTERFACES


def type_word(val: gdb.Value) -> int:
    """The ``*abi.Type`` of a Go interface value's dynamic type (0 for nil)."""
    if val.type.strip_typedefs().name == gofacts.EFACE:
        return int(val["_type"])
    tab = int(val["tab"])
    return reader().itab_type(tab) if tab else 0


def dynamic(val: gdb.Value) -> tuple[str, gdb.Value | None]:
    """(dynamic type name, value of that type) of a Go interface value; ("nil", None) for nil
    and (name, None) when gdb has no type of that name (:func:`decoded` reads it then)."""
    typ = type_word(val)
    if typ == 0:
        return "nil", None
    name, _size, _kind, direct = reader().dyn_type(typ)
    t = lookup_type(name)
    if t is None:
        return name, None
    data = val["data"]
    if direct:
        if t.strip_typedefs().code == gdb.TYPE_CODE_PTR:
            return name, data.cast(t)
        if data.address is not None:
            return name, data.address.cast(t.pointer()).dereference()
        return name, None
    return name, at(int(data), t)


def decoded(val: gdb.Value, limit: int) -> str:
    """The dynamic value of a Go interface decoded natively from its runtime type descriptor
    alone (for types the DWARF lacks): ``main.point {X = 7, Y = 8}``; ``limit`` elements per
    slice or array and bytes per string."""
    return reader().dynamic_text(type_word(val), int(val["data"]), limit, limit)
