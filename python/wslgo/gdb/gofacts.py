"""What the gdb layer knows about the Go runtime and cannot read from the binary, in one place.

Everything the goroutine engine needs (runtime.g layouts, status names, wait reasons) lives
in Rust (read from DWARF, else src/runtime/fallback.rs); this module holds only the facts
that the gdb features act on: which runtime functions, variables and type names they use, the trap
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
#: The goroutine list; a stripped binary without it (not found from code) lists nothing.
ALLGS = "runtime.allgs"
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

# --------------------------------------------------------------------- runtime types

#: The DWARF names of the empty (``interface {}``) and non-empty interface headers.
EFACE = "runtime.eface"
IFACE = "runtime.iface"
INTERFACES = (EFACE, IFACE)

# --------------------------------------------------------------------- panics

#: Registers of the first two integer arguments of an ABIInternal call, per GOARCH.
ARG_REGS = {"amd64": ("rax", "rbx"), "arm64": ("x0", "x1")}
#: The text of a fatal error that is a deadlock.
DEADLOCK_MARK = "deadlock!"

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

# --------------------------------------------------------------------- build settings

#: The build setting (`go version -m`) of a program built without cgo: all of its code is
#: Go or Go assembly, whose DWARF has no call-site information (no entry values).
NO_CGO = ("CGO_ENABLED", "0")
