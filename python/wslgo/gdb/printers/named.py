"""Printers of values whose text is one of the program's names: func values (the function
they call, ``main.square``, ``main.(*T).M-fm``, ``main.main.func1 (main.go:58)``) and values
of named integer types with constants (``main.Blue (2)``).

gdb reads a Go func type as a function type, so a func variable prints as a function at the
variable's own address (``{void (int, int)} 0x5983a0 <main[fnSquare]>``); the variable holds
a pointer to a funcval whose first word is the code pointer, named here from the pclntab. The
constants of a named type come from the DWARF (``_native.Symbols.constants_of_type``): those
whose DWARF type is the value's type; a value no constant has prints as the number.
"""

from __future__ import annotations

import os

import gdb

from wslgo import _native
from wslgo.gdb import program
from wslgo.gdb.printers import gotypes


class FuncPrinter:
    """A Go func value: the name of the function it calls and where that is declared."""

    def __init__(self, val: gdb.Value, name: str) -> None:
        self.val = val
        self.name = name

    def to_string(self) -> str:
        addr = self.val.address
        if addr is None:
            return f"{self.name} <func value not in memory>"
        try:
            inf = gdb.selected_inferior()
            fv = int.from_bytes(bytes(inf.read_memory(int(addr), 8)), "little")
            if fv == 0:
                return f"{self.name} nil"
            pc = int.from_bytes(bytes(inf.read_memory(fv, 8)), "little")
        except gdb.MemoryError as e:
            return f"{self.name} <{e}>"
        frames = program.current().frames(pc)
        if not frames:
            return f"{self.name} {pc:#x}"
        f = frames[-1]  # the outermost at the entry: the function itself
        where = f" ({_native.escape_text(os.path.basename(f.file))}:{f.line})" if f.file else ""
        return f"{self.name} {_native.escape_text(f.function)}{where}"


class Constants:
    """Named type -> {value: constant name}, from the DWARF (once per type)."""

    def __init__(self) -> None:
        self.by_type: dict[tuple[str, str], dict[int, str]] = {}


CONSTANTS = Constants()


def constants_of(t: gdb.Type) -> dict[int, str]:
    """{value: name} of the constants of the named type ``t`` (``main.Color``): those of
    its package whose DWARF type is ``t`` (read in the native module: gdb's symbol lookup
    of every constant of ``runtime`` took a tenth of a second)."""
    tname = t.name or ""
    key = (gdb.current_progspace().filename or "", tname)
    found = CONSTANTS.by_type.get(key)
    if found is not None:
        return found
    found = {}
    syms = program.current().symbols
    for name, value in syms.constants_of_type(tname) if syms is not None else []:
        found.setdefault(value, name)
    CONSTANTS.by_type[key] = found
    return found


class ConstantPrinter:
    """A value of a named integer type that has constants: ``main.Blue (2)``."""

    def __init__(self, val: gdb.Value, names: dict[int, str]) -> None:
        self.val = val
        self.names = names

    def to_string(self) -> str:
        n = int(self.val)
        name = self.names.get(n)
        return f"{_native.escape_text(name)} ({n})" if name else str(n)


def lookup(val: gdb.Value, t: gdb.Type) -> object | None:
    """A printer for a Go func value or a value of a named integer type with constants."""
    st = t.strip_typedefs()
    name = t.name or ""
    if st.code == gdb.TYPE_CODE_FUNC and name.startswith("func(") and gotypes.is_go(t):
        return FuncPrinter(val, name)
    # A variable's value only: a constant printed by name (`print 'runtime.mSpanInUse'`,
    # which Go's TestGdbConst checks) keeps gdb's text.
    if (
        st.code == gdb.TYPE_CODE_INT
        and "." in name
        and val.address is not None
        and (gotypes.is_go(t))
    ):
        try:
            names = constants_of(t)
        except (gdb.error, _native.WslgoError):
            return None
        return ConstantPrinter(val, names) if names else None
    return None
