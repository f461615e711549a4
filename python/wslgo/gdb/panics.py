"""What a panic or fatal error is, read from the runtime's own structures at a
``break-on-panic`` stop, never by calling Go code.

- runtime.gopanic(e any) (``break-on-panic all``): the panic value is the eface in the
  first two argument registers;
- runtime.fatalpanic(msgs *_panic): the chain of panic records, oldest first, each
  ``panic: VALUE`` with ``[recovered]`` as the runtime prints them;
- runtime.throw / runtime.fatal(s string): ``fatal error: TEXT`` (a deadlock when the
  text says so).

Values are spelled as runtime.printpanicval would: strings, numbers, and the error types
whose text the runtime or the standard library builds from a string (runtime.plainError,
errorString, boundsError composed from its fields, errors.New, fmt.Errorf); any other type
is ``(TYPE) 0xADDR``. A breakpoint that reports the same thread at the same sp with the same
arguments again (the function's stack check sent it through the scheduler, which runs it
again from its entry, maybe on another thread) does not stop twice, nor does
runtime.fatalpanic for a panic already reported at runtime.gopanic.
"""

from __future__ import annotations

import re
import struct

import gdb

from wslgo.gdb import gofacts, goid, program

_HEX = re.compile(r" is at (0x[0-9a-f]+)")
_VERSION = re.compile(r"go(\d+)\.(\d+)")


def _mem(addr: int, size: int) -> bytes:
    return bytes(gdb.selected_inferior().read_memory(addr, size))


def _word(addr: int) -> int:
    return int(struct.unpack("<Q", _mem(addr, 8))[0])


def _go_string(addr: int, length: int, limit: int = 4096) -> str:
    if length <= 0 or addr == 0:
        return ""
    return _mem(addr, min(length, limit)).decode("utf-8", "replace")


def _string_at(header: int) -> str:
    """The Go string whose (ptr, len) header is at ``header``."""
    return _go_string(_word(header), _word(header + 8))


def type_name(typ: int) -> str | None:
    """``runtime.boundsError`` for a type descriptor's address: its abi.Type.Str name,
    read from the types section (None when unreadable)."""
    try:
        out = gdb.execute(f"info address {gofacts.TYPES}", to_string=True)
        found = _HEX.search(out)
        if found is None:
            return None
        types = int(found.group(1), 16)
        tflag = _mem(typ + gofacts.TYPE_TFLAG_OFFSET, 1)[0]
        off = struct.unpack("<i", _mem(typ + gofacts.TYPE_STR_OFFSET, 4))[0]
        head = _mem(types + off + 1, 10)
        length, shift, i = 0, 0, 0
        while i < len(head):
            length |= (head[i] & 0x7F) << shift
            shift += 7
            i += 1
            if not head[i - 1] & 0x80:
                break
        name = _go_string(types + off + 1 + i, length, 512)
    except gdb.error:
        return None
    return name[1:] if tflag & gofacts.TFLAG_EXTRA_STAR and name.startswith("*") else name


def _bounds(data: int) -> str:
    raw = _mem(data, 18)
    x, y = struct.unpack("<qq", raw[:16])
    signed, code = raw[16] != 0, raw[17]
    neg = signed and x < 0
    table = gofacts.BOUNDS_NEGATIVE_FORMATS if neg else gofacts.BOUNDS_FORMATS
    if code >= len(table):
        return f"runtime error: bounds error (code {code})"
    xs = str(x) if signed else str(x & 0xFFFFFFFFFFFFFFFF)
    return "runtime error: " + table[code].replace("%x", xs).replace("%y", str(y))


def _float(v: float) -> str:
    """Go's print(float64): +1.500000e+000."""
    mant, exp = f"{v:+.6e}".split("e")
    return f"{mant}e{exp[0]}{int(exp[1:]):03d}"


def _basic(kind: str, data: int) -> str:
    if kind == "string":
        return _string_at(data).replace("\n", "\n\t")
    if kind == "bool":
        return "true" if _mem(data, 1)[0] else "false"
    if kind in ("float32", "float64"):
        size = 4 if kind == "float32" else 8
        return _float(struct.unpack("<f" if size == 4 else "<d", _mem(data, size))[0])
    bits = {"8": 1, "16": 2, "32": 4, "64": 8}.get(kind.lstrip("uint").lstrip("ptr"), 8)
    signed = not kind.startswith("uint")
    return str(int.from_bytes(_mem(data, bits), "little", signed=signed))


def value_text(typ: int, data: int) -> str:
    """A panic value (eface type, data) as the runtime prints it after ``panic: ``."""
    if typ == 0:
        return "nil"
    name = type_name(typ)
    if name in gofacts.STRING_ERRORS:
        prefix, _ = gofacts.STRING_ERRORS[name]
        return prefix + _string_at(data)
    if name == gofacts.BOUNDS_ERROR:
        return _bounds(data)
    kind = gofacts.KIND_NAMES.get(_mem(typ + gofacts.TYPE_KIND_OFFSET, 1)[0] & gofacts.KIND_MASK)
    if kind is not None and name == kind:
        return _basic(kind, data)
    if kind is not None and name is not None and not name.startswith("*"):
        shown = _basic(kind, data)
        return f'{name}("{shown}")' if kind == "string" else f"{name}({shown})"
    return f"({name or f'type {typ:#x}'}) {data:#x}"


def _arg_regs(arch: str) -> tuple[int, int]:
    regs = gofacts.ARG_REGS.get(arch)
    if regs is None:
        raise gdb.error(f"panic arguments on {arch} are not known")
    frame = gdb.newest_frame()
    return (
        int(frame.read_register(regs[0])) & 0xFFFFFFFFFFFFFFFF,
        int(frame.read_register(regs[1])) & 0xFFFFFFFFFFFFFFFF,
    )


def _recovered(record: int) -> bool:
    """The record's ``recovered`` flag (DWARF layout), False when unknown."""
    try:
        ptype = gdb.lookup_type(gofacts.PANIC_TYPE).pointer()
        return bool(gdb.Value(record).cast(ptype).dereference()["recovered"])
    except gdb.error:
        return False


def _version() -> tuple[int, int]:
    prog = program.current_or_none()
    found = _VERSION.match(prog.go_version or "") if prog is not None else None
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def panic_offsets() -> tuple[int, int]:
    """Byte offsets of runtime._panic's ``arg`` and ``link`` (DWARF, else by Go version)."""
    try:
        fields = {f.name: f.bitpos // 8 for f in gdb.lookup_type(gofacts.PANIC_TYPE).fields()}
        if "arg" in fields and "link" in fields:
            return fields["arg"], fields["link"]
    except gdb.error:
        pass
    ver = _version()
    known = [v for v in sorted(gofacts.PANIC_ARG_LINK_WORDS) if v <= ver]
    arg, link = gofacts.PANIC_ARG_LINK_WORDS[known[-1] if known else (1, 21)]
    return 8 * arg, 8 * link


def _chain(first: int) -> list[str]:
    """``panic: ...`` lines of a record chain, oldest first (runtime.printpanics)."""
    lines: list[str] = []
    arg_off, link_off = panic_offsets()
    rec = first
    for _ in range(16):
        if rec == 0:
            break
        arg = rec + arg_off
        text = "panic: " + value_text(_word(arg), _word(arg + 8))
        lines.append(text + (" [recovered]" if _recovered(rec) else ""))
        rec = _word(rec + link_off)
    lines.reverse()
    return lines


class Panics:
    """The panic stops reported so far (to stop exactly once per panic)."""

    def __init__(self) -> None:
        self.last: tuple[int, ...] | None = None
        self.values: set[tuple[int, int]] = set()
        self.fatal: set[str] = set()

    def should_stop(self, what: str) -> bool:
        """At a panic breakpoint (before gdb stops): False for a hit already reported."""
        prog = program.current_or_none()
        if prog is None:
            return True
        try:
            a, b = _arg_regs(prog.binary.arch)
            sp = int(gdb.newest_frame().read_register("sp"))
            if what == gofacts.FATAL_PANIC and a:
                arg = a + panic_offsets()[0]
                if (_word(arg), _word(arg + 8)) in self.values:
                    return False  # already stopped at its runtime.gopanic
            if what in gofacts.THROW_FUNCS:
                # a fatal error is reported once (the runtime prints only the first)
                text = _go_string(a, b)
                if text in self.fatal:
                    return False
                self.fatal.add(text)
                return True
        except gdb.error:
            return True
        # A function's stack check can send the goroutine through the scheduler (a
        # preemption request) and run it again from its entry, on any thread: the same
        # goroutine at the same sp with the same arguments is the same panic.
        key = (goid.current(), sp, a, b)
        if key == self.last:
            return False
        self.last = key
        if what == gofacts.PANIC_FUNC:
            self.values.add((a, b))
        return True

    def forget(self) -> None:
        self.last = None
        self.values.clear()
        self.fatal.clear()


PANICS = Panics()


def describe(what: str, arch: str) -> tuple[str, str]:
    """(kind, text the runtime prints) at a stop at ``what``: kind is panic, recovered
    panic, fatal error or deadlock."""
    a, b = _arg_regs(arch)
    if what == gofacts.PANIC_FUNC:
        return "panic", "panic: " + value_text(a, b)
    if what == gofacts.FATAL_PANIC:
        lines = _chain(a)
        kind = "recovered panic" if any(ln.endswith("[recovered]") for ln in lines) else "panic"
        return kind, "\n\t".join(lines) if lines else "panic"
    text = _go_string(a, b)
    kind = "deadlock" if gofacts.DEADLOCK_MARK in text else "fatal error"
    return kind, f"fatal error: {text}"
