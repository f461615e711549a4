"""What the value printers share: which objfiles are Go, gdb types by their runtime names,
the native value reader of the current program, and the dynamic type of an interface.

The reader is the program's (:meth:`wslgo.gdb.program.Program.values`), built over its one
Symbols and dropped with its other targets; the caches here live in :data:`STATE`.
"""

from __future__ import annotations

import _thread
import contextlib
import functools
import itertools
import signal
from collections.abc import Iterator
from typing import Any, TypeVar

import gdb

from wslgo import _native
from wslgo.gdb import gofacts, program

T = TypeVar("T")

#: Interface levels followed even when ``print max-depth`` is unlimited: each level is a
#: stack of gdb and Python frames, and a deep chain must not exhaust gdb's stack.
HARD_DEPTH = 64
#: Bytes one print may read through the printers (string bytes, elements, nested values).
PRINT_BUDGET = 1 << 20
#: Children one print may hand to gdb to print itself (each a gdb value: a struct, an
#: interface); natively decoded strings and integers count only their bytes.
MAX_CHILDREN = 20_000
#: Bytes of one interface's value printed through gdb (larger ones show their size).
MAX_VALUE = 1 << 20
#: Interface values one print may expand (a graph whose paths multiply, such as a chain of
#: diamonds, stops here instead of growing with the number of paths).
MAX_EXPANSIONS = 20_000

#: A printer's ``children`` after Ctrl-C. gdb 13 shows a KeyboardInterrupt raised by a
#: printer as a "Python Exception" line and carries on printing; this callable, run by gdb
#: itself once the printer returned, re-raises the interrupt from C (``filter`` calls
#: ``interrupt_main`` with no Python code after it), so gdb's next check ends the command
#: with its usual "Quit".
QUIT_CHILDREN = functools.partial(filter, _thread.interrupt_main, (signal.SIGINT,))


class Walk:
    """What one print shares: the interfaces being expanded (a target met again is a cycle),
    the address of the outermost one (a target holding it is where the print came from), the
    depth allowed and the budget left."""

    def __init__(self, max_depth: int) -> None:
        self.path: list[int] = []
        self.outer: int | None = None
        self.max_depth = max_depth
        self.budget = PRINT_BUDGET
        self.children = MAX_CHILDREN
        self.expansions = MAX_EXPANSIONS

    def charge(self, n: int) -> bool:
        """Take ``n`` bytes from the budget; False (and nothing taken) when they are not
        left."""
        if n > self.budget:
            self.budget = 0
            return False
        self.budget -= n
        return True

    def cycle(self, addr: int, size: int) -> bool:
        """The object at ``addr`` (``size`` bytes) is being printed already: it is on the path
        or holds the outermost interface."""
        if addr in self.path:
            return True
        return self.outer is not None and addr <= self.outer < addr + max(size, 1)


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
        #: Printer calls running now (a nested call shares the outermost one's walk).
        self.active = 0
        #: The walk of the print in progress.
        self.walk: Walk | None = None


STATE = PrinterState()


def max_depth() -> int:
    """gdb's ``print max-depth`` in effect, at most :data:`HARD_DEPTH`."""
    fn = getattr(gdb, "print_options", None)
    n: Any = fn().get("max_depth") if fn is not None else None
    if n is None:
        try:
            n = gdb.parameter("print max-depth")
        except gdb.error:
            n = 20
    if n is None or int(n) < 0:
        return HARD_DEPTH
    return min(int(n), HARD_DEPTH)


@contextlib.contextmanager
def walking() -> Iterator[Walk]:
    """The walk of the print in progress: a new one when no printer call is running (a new
    print), the running one's for a call nested in it (an interface's value formatted inside
    another's)."""
    st = STATE
    if st.active == 0 or st.walk is None:
        st.walk = Walk(max_depth())
    st.active += 1
    try:
        yield st.walk
    finally:
        st.active -= 1


@contextlib.contextmanager
def holding(walk: Walk) -> Iterator[Walk]:
    """Make ``walk`` the running print's while a container's children are printed (in the
    CLI gdb prints each child, nested values and all, before asking for the next one: they
    belong to the same print and share its budget)."""
    st = STATE
    if st.active == 0:
        st.walk = walk
    st.active += 1
    try:
        yield walk
    finally:
        st.active -= 1


def current_walk() -> Walk:
    """The running print's walk, or a new one (a container's own, for its children)."""
    st = STATE
    if st.active and st.walk is not None:
        return st.walk
    return Walk(max_depth())


def interruptible(children: Iterator[T]) -> Iterator[T]:
    """``children`` ending at Ctrl-C with gdb's "Quit" (see :data:`QUIT_CHILDREN`)."""
    trigger: list[int] = []

    def run() -> Iterator[T]:
        try:
            yield from children
        except KeyboardInterrupt:
            trigger.append(signal.SIGINT)

    return itertools.chain(run(), filter(_thread.interrupt_main, trigger))  # type: ignore[arg-type]


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
        # The program itself, which wslgo opened as a Go binary, needs no symbol lookup
        # (gdb expands the runtime's symbols for it: 17 ms at every program gdb loads).
        prog = program.current_or_none()
        known = (prog is not None and prog.path == name) or (
            objfile.lookup_global_symbol(gofacts.MAIN) is not None
            or objfile.lookup_static_symbol(gofacts.MAIN) is not None
        )
        STATE.go_objfiles[name] = known
    return known


def lookup_type(name: str) -> gdb.Type | None:
    """The gdb type for a runtime type name (``int``, ``*errors.errorString``)."""
    key = (gdb.current_progspace().filename or "", name)
    if key in STATE.types:
        return STATE.types[key]
    t: gdb.Type | None = None
    # The program's own DWARF type first: gdb's Go `int` is 4 bytes, the program's is 8.
    try:
        sym = gdb.lookup_static_symbol(name)
    except (gdb.error, ValueError):
        sym = None
    if sym is not None and sym.addr_class == gdb.SYMBOL_LOC_TYPEDEF:
        t = sym.type
    for candidate in (name, "struct " + name) if t is None else ():
        try:
            t = gdb.lookup_type(candidate)
            break
        except (gdb.error, ValueError):
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
    name, size, _kind, direct = reader().dyn_type(typ)
    t = lookup_type(name)
    if t is None or t.sizeof != size:
        # no DWARF type of that name, or one of another size: never read it as that type
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
