"""What the gdb layer knows about the Go runtime and cannot read from the binary, in one place.

Everything the goroutine engine needs (runtime.g layouts, status names, wait reasons) lives
in Rust (read from DWARF, else src/runtime/fallback.rs); this module holds only the facts
that the gdb features act on: which runtime functions and variables they use, the trap
instruction of runtime.breakpoint, and the traceback level bits of runtime/runtime1.go.
"""

from __future__ import annotations

# --------------------------------------------------------------------- runtime symbols

#: runtime.Breakpoint() calls this; it starts with the trap instruction.
BREAKPOINT = "runtime.breakpoint"
#: Frames a Go breakpoint stop skips when naming its caller.
BREAKPOINT_FUNCS = ("runtime.breakpoint", "runtime.Breakpoint", "runtime.breakpoint.abi0")
#: Runs after schedinit parsed GOTRACEBACK: where the crash level is stored.
MAIN = "runtime.main"
#: Non-zero once runtime.main started (attach to a running program).
MAIN_STARTED = "runtime.mainStarted"
#: The live traceback level and the one GOTRACEBACK gave (uint32 each).
TRACEBACK_CACHE = "runtime.traceback_cache"
TRACEBACK_ENV = "runtime.traceback_env"
#: Where a program about to die of a panic passes (`break-on-panic on`); its argument is
#: the *_panic record.
FATAL_PANIC = "runtime.fatalpanic"
#: Where a fatal error starts, before it prints "fatal error: ..."; the argument is the
#: error text (a Go string). Both end in runtime.fatalthrow.
THROW_FUNCS = ("runtime.throw", "runtime.fatal")
#: Every function `break-on-panic on` stops at.
FATAL_FUNCS = (FATAL_PANIC, *THROW_FUNCS)
#: Every panic, recovered or not (`break-on-panic all`).
PANIC_FUNC = "runtime.gopanic"
#: A SIGABRT inside these is the runtime's own crash (GOTRACEBACK=crash).
CRASH_FUNCS = ("runtime.crash", "runtime.dieFromSignal")

#: Every symbol above, resolved to a file address once per program.
SYMBOLS = (
    BREAKPOINT,
    "runtime.Breakpoint",
    TRACEBACK_CACHE,
    TRACEBACK_ENV,
    MAIN,
    MAIN_STARTED,
    *FATAL_FUNCS,
    PANIC_FUNC,
    *CRASH_FUNCS,
)

# --------------------------------------------------------------------- panics

#: The panic record (runtime/runtime2.go), read through DWARF when present; without it,
#: the offsets in pointer sizes of its ``arg`` (an eface) and ``link`` fields, by the first
#: Go version with that layout (1.27 dropped the leading ``argp``).
PANIC_TYPE = "runtime._panic"
PANIC_ARG_LINK_WORDS = {(1, 21): (1, 3), (1, 27): (0, 2)}
#: Registers of the first two integer arguments of an ABIInternal call, per GOARCH.
ARG_REGS = {"amd64": ("rax", "rbx"), "arm64": ("x0", "x1")}
#: Start of the type descriptors (abi.Type.Str name offsets are relative to it).
TYPES = "runtime.types"
#: abi.Type on 64-bit: TFlag (uint8) at 20, Str (int32 NameOff) at 40; TFlagExtraStar.
TYPE_TFLAG_OFFSET = 20
TYPE_STR_OFFSET = 40
TFLAG_EXTRA_STAR = 1 << 1
#: The text of a fatal error that is a deadlock.
DEADLOCK_MARK = "deadlock!"
#: abi.Type.Kind_ (uint8 at offset 23 on 64-bit) masked with KIND_MASK.
TYPE_KIND_OFFSET = 23
KIND_MASK = 0x1F
KIND_NAMES = {1: "bool", 2: "int", 3: "int8", 4: "int16", 5: "int32", 6: "int64", 7: "uint",
              8: "uint8", 9: "uint16", 10: "uint32", 11: "uint64", 12: "uintptr",
              13: "float32", 14: "float64", 24: "string"}  # fmt: skip
#: Panic values whose text the runtime builds from a string field, and how:
#: (type name, prefix of the message, word offset of the Go string in the value).
STRING_ERRORS = {
    "runtime.plainError": ("", 0),
    "runtime.errorString": ("runtime error: ", 0),
    "*errors.errorString": ("", 0),
    "*fmt.wrapError": ("", 0),
    "*fmt.wrapErrors": ("", 0),
}
#: runtime.boundsError {x int64; y int; signed bool; code uint8} and its texts by code.
BOUNDS_ERROR = "runtime.boundsError"
BOUNDS_FORMATS = (
    "index out of range [%x] with length %y",
    "slice bounds out of range [:%x] with length %y",
    "slice bounds out of range [:%x] with capacity %y",
    "slice bounds out of range [%x:%y]",
    "slice bounds out of range [::%x] with length %y",
    "slice bounds out of range [::%x] with capacity %y",
    "slice bounds out of range [:%x:%y]",
    "slice bounds out of range [%x:%y:]",
    "cannot convert slice with length %y to array or pointer to array with length %x",
)
BOUNDS_NEGATIVE_FORMATS = (
    "index out of range [%x]",
    "slice bounds out of range [:%x]",
    "slice bounds out of range [:%x]",
    "slice bounds out of range [%x:]",
    "slice bounds out of range [::%x]",
    "slice bounds out of range [::%x]",
    "slice bounds out of range [:%x:]",
    "slice bounds out of range [%x::]",
)

# --------------------------------------------------------------------- trap instruction

#: Size of the trap instruction runtime.breakpoint starts with, per GOARCH.
TRAP_SIZE = {"amd64": 1, "386": 1, "arm64": 4}


def is_trap(arch: str, data: bytes) -> bool:
    """True when ``data`` (4 bytes) starts with ``arch``'s trap: INT3 (x86) or BRK (arm64);
    True for other architectures (nothing to check against)."""
    if arch in ("amd64", "386"):
        return data[:1] == b"\xcc"
    if arch == "arm64":
        return int.from_bytes(data[:4], "little") & 0xFFE0001F == 0xD4200000
    return True


# --------------------------------------------------------------------- traceback level

#: runtime/runtime1.go: tracebackCrash, tracebackAll, tracebackShift.
TRACEBACK_CRASH = 1
TRACEBACK_ALL = 2
TRACEBACK_SHIFT = 2

#: GOTRACEBACK names -> traceback_cache values (runtime.setTraceback).
TRACEBACK_LEVELS: dict[str, int] = {
    "none": 0,
    "single": 1 << TRACEBACK_SHIFT,
    "all": 1 << TRACEBACK_SHIFT | TRACEBACK_ALL,
    "system": 2 << TRACEBACK_SHIFT | TRACEBACK_ALL,
    "crash": 2 << TRACEBACK_SHIFT | TRACEBACK_ALL | TRACEBACK_CRASH,
}

# --------------------------------------------------------------------- signals

#: Signals that usually mean a Go program is dying (or about to turn into a panic).
FATAL_SIGNALS = ("SIGSEGV", "SIGBUS", "SIGFPE", "SIGABRT", "SIGILL")
