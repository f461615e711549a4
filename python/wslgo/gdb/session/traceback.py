"""The Go traceback level of the debuggee: decode, read and set ``runtime.traceback_cache``.

Go keeps the level in two uint32 variables (runtime/runtime1.go): ``traceback_cache``, the
live setting, and ``traceback_env``, the value GOTRACEBACK gave at startup. Bits:
tracebackCrash = 1, tracebackAll = 2, the level above tracebackShift = 2. An atomic store into
traceback_cache is what ``debug.SetTraceback`` does, and since SetTraceback ORs traceback_env
into whatever it stores, raising traceback_env to our level (OR of the flag bits, the higher
level; a plain OR would add level fields) keeps a later ``debug.SetTraceback("single")``
from lowering it. We never call Go functions from gdb.

``wslgo-traceback [LEVEL]`` shows or sets it by hand; :func:`force` is what the runtime.main
breakpoint of :mod:`wslgo.gdb.session.breakpoints` calls.
"""

from __future__ import annotations

import argparse
import struct

import gdb

from wslgo.gdb import commands, gofacts, program
from wslgo.gdb.gofacts import TRACEBACK_ALL, TRACEBACK_CRASH, TRACEBACK_SHIFT
from wslgo.gdb.gofacts import TRACEBACK_LEVELS as LEVELS

CRASH = LEVELS["crash"]


def decode(value: int) -> str:
    """``11`` -> ``crash (level 2, all, crash)``; unknown combinations are spelled out."""
    level = value >> TRACEBACK_SHIFT
    bits = [f"level {level}"]
    if value & TRACEBACK_ALL:
        bits.append("all")
    if value & TRACEBACK_CRASH:
        bits.append("crash")
    names = [n for n, v in LEVELS.items() if v == value]
    return f"{names[0] if names else 'custom'} ({', '.join(bits)})"


def _addresses() -> tuple[int, int]:
    prog = program.current()
    cache = prog.address(gofacts.TRACEBACK_CACHE)
    env = prog.address(gofacts.TRACEBACK_ENV)
    if cache is None or env is None:
        raise gdb.GdbError(
            "wslgo-traceback: runtime.traceback_cache/traceback_env not found "
            "(stripped binary, or not a Go program)"
        )
    return cache, env


def _read_u32(addr: int) -> int:
    data = bytes(gdb.selected_inferior().read_memory(addr, 4))
    return int(struct.unpack("<I", data)[0])


def _write_u32(addr: int, value: int) -> None:
    gdb.selected_inferior().write_memory(addr, struct.pack("<I", value & 0xFFFFFFFF))


def read() -> tuple[int, int]:
    """(traceback_cache, traceback_env) of the running program."""
    cache, env = _addresses()
    return _read_u32(cache), _read_u32(env)


def store(value: int, *, sticky: bool) -> None:
    """Store ``value`` into traceback_cache; with ``sticky`` also OR it into traceback_env
    so later SetTraceback calls cannot go below it. (All threads are stopped: a plain
    4-byte write is as atomic as the runtime's own store.)"""
    cache, env = _addresses()
    _write_u32(cache, value)
    if sticky:
        _write_u32(env, raise_env(_read_u32(env), value))


def raise_env(env: int, value: int) -> int:
    """traceback_env after raising it to ``value``: the higher level, both flag sets.

    A plain OR would add the level fields (single 4 | crash 11 = 15, level 3)."""
    level = max(env >> TRACEBACK_SHIFT, value >> TRACEBACK_SHIFT)
    return level << TRACEBACK_SHIFT | (env | value) & (TRACEBACK_ALL | TRACEBACK_CRASH)


def force_crash() -> None:
    """Raise the level to crash (the runtime.main safe point calls this)."""
    store(CRASH, sticky=True)


_parser = commands.parser(
    "wslgo-traceback",
    "Show or set the Go traceback level of the running program (like GOTRACEBACK).",
    epilog=(
        "Without LEVEL, show runtime.traceback_cache decoded. With LEVEL, store it into\n"
        "traceback_cache (what debug.SetTraceback does). `crash` also raises\n"
        "traceback_env, which SetTraceback ORs into every level it sets, so the program's\n"
        "own SetTraceback calls cannot lower it;\n"
        "choosing a lower level clears traceback_env's bits to make the choice stick.\n"
        "wslgo sets `crash` by itself when runtime.main starts (`set wslgo crash-traceback`)."
    ),
)
_parser.add_argument("level", nargs="?", choices=list(LEVELS), help="new traceback level")


@commands.command("wslgo-traceback", _parser)
def wslgo_traceback(args: argparse.Namespace) -> None:
    if gdb.selected_inferior().pid == 0 and not program.is_core():
        raise gdb.GdbError("wslgo-traceback: the program is not running")
    if args.level is not None and program.is_core():
        raise gdb.GdbError("wslgo-traceback: cannot change a core file")
    if args.level is not None:
        value = LEVELS[args.level]
        if args.level == "crash":
            store(value, sticky=True)
        else:
            cache, env = _addresses()
            _write_u32(cache, value)
            _write_u32(env, 0)
    cache, env = read()
    gdb.write(f"traceback: {decode(cache)} [traceback_cache={cache}, traceback_env={env}]\n")
