"""How `wslgo-break` hands a location to gdb's `break`: names from the binary quoted (or
refused: a quote or control character would make gdb read more), link-time addresses as
``*'FUNC'+OFF`` so a loaded PIE relocates them, the pclntab's entry where gdb knows no
symbol (stripped), and gdb's own reply escaped."""

from __future__ import annotations

import gdb

from wslgo import _native
from wslgo.gdb import program
from wslgo.text import esc_path


def gdb_break(spec: str, cond: str) -> str:
    """gdb's ``break`` and what it said, each line escaped (it names the binary's file)."""
    cmd = f"break {spec}" + (f" if {cond}" if cond else "")
    out = str(gdb.execute(cmd, to_string=True) or "")
    return "".join(esc_path(line) + "\n" for line in out.splitlines())


def quoted_name(name: str) -> str | None:
    """``'NAME'`` for gdb's linespecs and expressions; None when a name read from the binary
    could not be quoted so (a quote, a control character: gdb would read it as more)."""
    if "'" in name or not name.isprintable():
        return None
    return f"'{name}'"


def address_spec(syms: _native.Symbols, addr: int) -> str:
    """``*'FUNC'+OFF`` for a link-time address, so a loaded PIE's symbol gives the run-time
    address; the bare address when the function has no ELF symbol (stripped)."""
    try:
        func = syms.frames(addr)[-1].function
        entry = next(e for n, e, _ in syms.lookup(func) if e <= addr)
    except (_native.WslgoError, StopIteration, IndexError):
        return f"*{addr:#x}"
    quoted = quoted_name(func)
    if quoted is None or (gdb.lookup_static_symbol(func) is None and not has_minsym(quoted)):
        return f"*{addr:#x}"
    return f"*{quoted}+{addr - entry:#x}"


def gdb_knows(func: str) -> bool:
    """gdb has a symbol for ``func`` (DWARF or ELF): ``break 'func'`` places it."""
    if gdb.lookup_static_symbol(func) is not None or gdb.lookup_global_symbol(func) is not None:
        return True
    quoted = quoted_name(func)
    return quoted is not None and has_minsym(quoted)


def entry_spec(syms: _native.Symbols, entry: int, loc: str) -> str:
    """``*ADDR`` of a function's link-time ``entry`` in the running image (a PIE is placed
    only once it is loaded)."""
    if syms.info().get("pie"):
        if gdb.selected_inferior().pid == 0:
            raise gdb.GdbError(
                f"wslgo-break: {loc} is in a stripped PIE: its address is known only once the "
                "program is loaded; run `starti`, then wslgo-break again"
            )
        entry += program.current().load_bias()
    return f"*{entry:#x}"


def has_minsym(quoted: str) -> bool:
    try:
        gdb.parse_and_eval(f"(long)&{quoted}")
    except gdb.error:
        return False
    return True
