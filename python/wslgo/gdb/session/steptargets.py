"""Where a goroutine step may end, read from gdb's line table and disassembly: the other
lines of the frame's function and its return address (``next``), the functions the line
calls (``step``), and where an indirect call on the line lands once it is made.

A direct call names its target (amd64 ``call 0x...``, arm64 ``bl 0x...``). An indirect call
(a func value or an interface method: amd64 ``call *%rcx`` / ``call *0x18(%rax)``, arm64
``blr x1``) names it only when it runs: the step stops the goroutine at the call
instruction and reads the target from the registers (:func:`entered`). A target without
line information (the wrapper the compiler generates for a value method called through an
interface) is looked through to the functions it calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import gdb

from wslgo import _native
from wslgo.gdb import gofacts

#: A direct call in the disassembly (amd64 `call 0x...`, arm64 `bl 0x...`).
_CALL = re.compile(r"\b(?:call\w*|bl)\s+(0x[0-9a-f]+)")
#: An indirect call and its operand (amd64 `call *%rcx`, `call *0x18(%rax)`; arm64 `blr x1`).
_ICALL = re.compile(r"\b(?:call\w*\s+\*(\S+)|blr\s+(x\d+))")
#: An amd64 memory operand, `0x18(%rax)`.
_MEM = re.compile(r"^(-?0x[0-9a-f]+)?\(%(\w+)\)$")
#: How far a wrapper is read for the call it makes.
_WRAPPER_INSNS = 64


@dataclass
class Calls:
    """The calls of one line: linespecs of the direct callees with line information, and
    the indirect call instructions (address, operand)."""

    direct: list[str] = field(default_factory=list)
    indirect: list[tuple[int, str]] = field(default_factory=list)


def _function_range(frame: gdb.Frame) -> tuple[int, int]:
    block = frame.block()
    while block.function is None and block.superblock is not None:
        block = block.superblock
    return block.start, block.end


def next_addresses(frame: gdb.Frame, what: str) -> set[int]:
    """Where a `next` from ``frame`` may end: the starts of the other lines of its
    function and its return address."""
    sal = frame.find_sal()
    if sal.symtab is None:
        raise gdb.GdbError(f"{what}: no line information for this frame (DWARF)")
    try:
        start, end = _function_range(frame)
    except RuntimeError as e:
        raise gdb.GdbError(f"{what}: {e}") from None
    addrs = {
        e.pc
        for e in sal.symtab.linetable()
        if start <= e.pc < end and e.line > 0 and e.line != sal.line
    }
    older = caller(frame)
    if older is not None:
        addrs.add(older.pc())
    return addrs


def caller(frame: gdb.Frame) -> gdb.Frame | None:
    """The frame a return from ``frame`` lands in, past the compiler's method wrappers (a
    value method called through an interface returns through one)."""
    older = frame.older()
    for _ in range(4):
        if older is None:
            return None
        sal = older.find_sal()
        if sal.symtab is not None and not _is_generated(sal):
            return older
        nxt = older.older()
        if nxt is None:
            return older
        older = nxt
    return older


def _linespec(pc: int) -> str | None:
    """``'pkg.Func'`` of the function at ``pc`` when gdb has its lines (a method wrapper
    of Go 1.24 and later has a DWARF entry but no line), else None."""
    try:
        block = gdb.block_for_pc(pc)
    except RuntimeError:
        return None
    fn = block.function if block is not None else None
    if fn is None or fn.symtab is None or gdb.find_pc_line(pc).symtab is None:
        return None
    return f"'{fn.name}'"


def _scan(insns: list[dict[str, object]]) -> Calls:
    out = Calls()
    for insn in insns:
        asm = str(insn["asm"])
        m = _CALL.search(asm)
        if m is not None:
            spec = _linespec(int(m.group(1), 16))
            if spec is not None and spec not in out.direct:
                out.direct.append(spec)
        elif (i := _ICALL.search(asm)) is not None:
            out.indirect.append((int(str(insn["addr"])), i.group(1) or i.group(2)))
    return out


def _line_ranges(frame: gdb.Frame, sal: gdb.Symtab_and_line) -> list[tuple[int, int]]:
    """[start, end) of each stretch of code of the selected line in its function: Go's line
    table often splits one line's instructions into several rows."""
    try:
        start, end = _function_range(frame)
    except RuntimeError:
        return []
    rows = sorted({(e.pc, e.line) for e in sal.symtab.linetable() if start <= e.pc < end})
    out: list[tuple[int, int]] = []
    for i, (pc, line) in enumerate(rows):
        if line != sal.line:
            continue
        stop = rows[i + 1][0] if i + 1 < len(rows) else end
        if out and out[-1][1] == pc:
            out[-1] = (out[-1][0], stop)
        elif pc < stop:
            out.append((pc, stop))
    return out


def calls(frame: gdb.Frame) -> Calls:
    """The calls the selected line makes: where a `step` from it enters."""
    sal = frame.find_sal()
    if sal.symtab is None:
        return Calls()
    out = Calls()
    for lo, hi in _line_ranges(frame, sal):
        got = _scan(frame.architecture().disassemble(lo, hi - 1))
        out.direct += [s for s in got.direct if s not in out.direct]
        out.indirect += got.indirect
    return out


def _target(frame: gdb.Frame, operand: str) -> int | None:
    """Where an indirect call with ``operand`` goes, from the registers of ``frame``."""
    try:
        if operand.startswith("%") or operand.startswith("x"):
            return int(frame.read_register(operand.lstrip("%"))) & (2**64 - 1)
        m = _MEM.match(operand)
        if m is None or m.group(2) == "rip":  # rip-relative counts from the next insn
            return None
        base = int(frame.read_register(m.group(2)))
        addr = (base + int(m.group(1) or "0", 16)) & (2**64 - 1)
        word = gdb.selected_inferior().read_memory(addr, 8)
        return int.from_bytes(bytes(word), "little")
    except (gdb.error, ValueError):
        return None


def entered(operand: str) -> list[str]:
    """At an indirect call instruction (``operand``) of the newest frame: where a `step`
    enters: the callee when gdb has its lines, else the functions outside the runtime that
    it calls directly (a method wrapper's method), else nothing (the step goes over it)."""
    frame = gdb.newest_frame()
    pc = _target(frame, operand)
    if pc is None:
        return []
    spec = _linespec(pc)
    if spec is not None and not _generated(pc):
        return [spec]
    insns: list[dict[str, object]] = []
    for insn in frame.architecture().disassemble(pc, count=_WRAPPER_INSNS):
        insns.append(insn)
        if str(insn["asm"]).split(None, 1)[:1] in (["ret"], ["retq"]):
            break
    inner = _scan(insns)
    return [s for s in inner.direct if not _native.is_runtime_func(s.strip("'"))]


def _generated(pc: int) -> bool:
    """Whether gdb's line for ``pc`` is the compiler's generated code."""
    return _is_generated(gdb.find_pc_line(pc))


def _is_generated(sal: gdb.Symtab_and_line) -> bool:
    # `<autogenerated>` up to Go 1.26, `./<autogenerated>` from 1.27
    return sal.symtab is not None and sal.symtab.filename.endswith(gofacts.WRAPPER_FILE)
