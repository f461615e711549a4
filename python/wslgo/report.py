"""Goroutine reports, pure Python (no gdb): the filter arguments shared by `wslgo-bt` and
`wslgo goroutines`, :func:`render_native` (every view, formatted in Rust from a native
``Snapshot``), and the CLI's `goroutines` command. The tests keep a Python formatter of
goroutine dicts (tests/wslgo_testing/pyviews.py) to compare with the native views.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from wslgo import _native, argtypes, snapshots
from wslgo.text import esc

Record = dict[str, Any]


class Style:
    """How names are decorated in reports. The base class is plain text; the gdb layer
    subclasses it to use gdb's own `set style` colours (and nothing when styling is off)."""

    def affixes(self) -> dict[str, tuple[str, str]]:
        """What goes around a non-empty function name, file name or pc offset ("func",
        "file", "addr"), as (prefix, suffix), for the native formatter."""
        return {}


PLAIN = Style()


@dataclass
class Filter:
    """Which goroutines to show and how deep."""

    states: list[str] = field(default_factory=list)
    """Keep goroutines whose state or status name contains one of these (case-insensitive)."""
    waits: list[str] = field(default_factory=list)
    """Keep goroutines whose wait reason contains one of these."""
    func: str | None = None
    """Regex searched in every frame's function name (and file:line)."""
    user_only: bool = False
    """Keep only goroutines with a frame of the main module (the program's own code)."""
    labels: list[str] = field(default_factory=list)
    """k=v pprof labels that must all be present (k alone: the key must exist)."""
    goids: list[int] = field(default_factory=list)
    """Only these goroutine ids."""
    only_ids: bool = False
    """Keep only ``goids`` even when there are none (``--leaked``)."""
    depth: int | None = None
    """Show at most this many frames per goroutine."""
    top: bool = False
    """Locations are the innermost frame, not the user frame (display only)."""
    min_wait: int | None = None
    """Keep goroutines waiting at least this many nanoseconds (native views only)."""


#: The runtime's clock (Go's nanotime is CLOCK_MONOTONIC, as time.monotonic_ns on Linux):
#: how long a live program's goroutines have waited. Tests replace it.
CLOCK: Callable[[], int] = time.monotonic_ns

_DURATION = re.compile(r"(\d+(?:\.\d*)?)(h|ms|m|s)")
_UNIT_NS = {"h": 3600e9, "m": 60e9, "s": 1e9, "ms": 1e6}


def parse_duration(text: str) -> int:
    """Nanoseconds of a Go-style duration: `5m`, `90s`, `1h30m`."""
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 5m, 90s or 1h30m")
    return int(sum(float(n) * _UNIT_NS[u] for n, u in parts))


def render_native(
    snap: Any,
    mode: _native.Mode,
    flt: Filter,
    st: Style = PLAIN,
    *,
    now: int | None = None,
    pretty: bool = False,
    no_goroutine: str = "",
    write: Any = None,
    thread_nums: dict[int, int] | None = None,
    current_goid: int | None = None,
) -> Record:
    """Filter, order and format a native ``Snapshot`` in ``mode`` (list, full, group,
    default, json, json-group, jsonl, jsonl-group): the text every view shows, made in Rust
    so that gdb and the CLI print the same bytes. With ``write`` the text goes there in
    chunks. ``now`` is the live program's clock (:data:`CLOCK`); None for a core, whose wait
    times are then relative to the newest timestamp it holds. Returns {text, shown, missing,
    relative}. ``thread_nums`` (OS thread id -> gdb's thread number) makes lists say
    `thread 3 (LWP 17429)`. ``current_goid`` marks that goroutine current instead of
    the snapshot's."""
    view = _native.View(
        mode,
        states=list(flt.states),
        waits=list(flt.waits),
        func=flt.func,
        user_only=flt.user_only,
        labels=list(flt.labels),
        goids=[i for i in flt.goids if i >= 0],  # a negative id matches nothing
        only_ids=flt.only_ids,
        min_wait=flt.min_wait,
        depth=flt.depth,
        top=flt.top,
        style=st.affixes() or None,
        pretty=pretty,
        no_goroutine=no_goroutine,
        thread_nums=thread_nums,
        current_goid=current_goid,
    )
    return cast(Record, snap.render(view, write=write, now=now))


def summary_line(snap: Any, got: Record, flt: Filter | None = None) -> str:
    """The summary, saying when wait times are relative to the core's newest timestamp;
    `0 of N goroutines match` when ``flt``'s criteria keep none."""
    if flt is not None and not got.get("shown") and _selects(flt):
        return f"0 of {len(snap)} goroutines match"
    if got.get("relative"):
        return f"{snap.summary()}; wait times relative to the newest timestamp in the core"
    return str(snap.summary())


def _selects(flt: Filter) -> bool:
    """Whether ``flt`` has criteria beyond goroutine ids (missing ids have their error)."""
    has = flt.states or flt.waits or flt.func or flt.user_only or flt.labels or flt.only_ids
    return bool(has) or flt.min_wait is not None


def snapshot_scope(mode: _native.Mode, flt: Filter, leaked: bool = False) -> _native.Scope:
    """The stacks a view needs: a list without --func (or --leaked) only each first user
    frame."""
    return "user" if mode == "list" and not flt.func and not leaked else "all"


def keep_leaked(flt: Filter, target: Any, snap: Any) -> Filter:
    """``flt`` narrowed to the goroutines the leak check finds leaked (``--leaked``)."""
    leaked = _native.leaked_goids(target, snap)
    keep = set(leaked)
    ids = [i for i in flt.goids if i in keep] if flt.goids else leaked
    return replace(flt, goids=ids, only_ids=True)


class Output:
    """Streams a view's chunks to ``write`` and remembers whether anything came."""

    def __init__(self, write: Any) -> None:
        self.write = write
        self.wrote = False

    def __call__(self, chunk: str) -> None:
        self.wrote = True
        self.write(chunk)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while records are formatted: 100,000 goroutine dicts make every
    collection rescan them all (measured: ~45% of a `wslgo-bt all` at 100,000), and none
    of them can be part of a cycle."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# ---- CLI -------------------------------------------------------------------------------


def add_filter_arguments(p: argparse.ArgumentParser) -> argparse._MutuallyExclusiveGroup:
    """The filters and output options of both `wslgo goroutines` and the gdb command
    `wslgo-bt`, defined once so that a flag means the same in both. Returns the group of
    mutually exclusive output modes, to which a command adds its own."""
    m = p.add_mutually_exclusive_group()
    m.add_argument("-l", "--list", action="store_true", help="one line per goroutine")
    p.add_argument("-s", "--state", action="append", default=[], help="state contains STATE")
    p.add_argument("-w", "--wait", action="append", default=[], help="wait reason contains")
    p.add_argument(
        "--func",
        dest="func_re",
        metavar="REGEX",
        help="regex over every frame's function or file:line",
    )
    p.add_argument(
        "-u", "--user", action="store_true", help="only goroutines with a frame of the main module"
    )
    p.add_argument("-L", "--label", action="append", default=[], help="pprof label k=v (or k)")
    p.add_argument("-d", "--depth", type=argtypes.depth, help="at most DEPTH frames per goroutine")
    p.add_argument(
        "--min-wait",
        type=parse_duration,
        metavar="DURATION",
        help="goroutines waiting at least DURATION (5m, 1h30m), as the runtime knows it",
    )
    p.add_argument(
        "--top",
        action="store_true",
        help="locations are the innermost frame, not the user frame (main module first)",
    )
    js = p.add_mutually_exclusive_group()
    js.add_argument("--json", action="store_true", help="one JSON document, same fields")
    js.add_argument("--jsonl", action="store_true", help="JSON Lines: one goroutine per line")
    p.add_argument("--pretty", action="store_true", help="with --json: indented")
    p.add_argument("--dead", action="store_true", help="include dead goroutines")
    p.add_argument(
        "--waits",
        action="store_true",
        help="show the object each blocked goroutine waits on (JSON always has it)",
    )
    p.add_argument(
        "--leaked",
        action="store_true",
        help="only the leaked goroutines (as `wslgo leaks` finds them)",
    )
    snapshots.add_file_arguments(p)
    return m


def filter_of(args: argparse.Namespace, goids: Sequence[int] = ()) -> Filter:
    """The Filter of options added by :func:`add_filter_arguments`."""
    return Filter(
        states=args.state,
        waits=args.wait,
        func=args.func_re,
        user_only=args.user,
        labels=args.label,
        goids=list(goids),
        depth=args.depth,
        top=args.top,
        min_wait=args.min_wait,
    )


def filter_from_args(args: argparse.Namespace) -> tuple[Filter, _native.Mode]:
    """`wslgo goroutines`' Filter and output mode (list, full, group, json, json-group)."""
    flt = filter_of(args, args.id)
    mode: _native.Mode
    if args.jsonl:
        mode = "jsonl-group" if args.group else "jsonl"
    elif args.json:
        mode = "json-group" if args.group else "json"
    elif args.full:
        mode = "full"
    elif args.group:
        mode = "group"
    else:
        mode = "list"
    return flt, mode


def closest_ids(wanted: int, have: Iterable[int], n: int = 3) -> list[int]:
    """The ``n`` goroutine ids nearest to ``wanted``, ascending."""
    return sorted(sorted(set(have), key=lambda i: (abs(i - wanted), i))[:n])


def missing_ids_error(missing: Sequence[int], have: Iterable[int]) -> str:
    """`no goroutine 999 (closest: 17, 18, 21)` for ids that are not in the program."""
    have = list(have)
    parts = []
    for i in missing:
        near = closest_ids(i, have)
        parts.append(f"{i} (closest: {', '.join(map(str, near))})" if near else str(i))
    return f"no goroutine {'; '.join(parts)}"


def process_executable(pid: int) -> str:
    """The executable of process PID, or one line saying why it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rpartition(b")")[2].split()[:1]
    except FileNotFoundError:
        raise ValueError(f"no process {pid}") from None
    if state == [b"Z"]:
        raise ValueError(f"process {pid} has exited (a zombie): nothing left to read")
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except PermissionError:
        raise ValueError(
            f"cannot read process {pid}: permission denied (it belongs to another user; "
            "run as that user or root, or check /proc/sys/kernel/yama/ptrace_scope)"
        ) from None
    except FileNotFoundError:
        raise ValueError(f"process {pid} has exited or has no executable") from None


def add_target_arguments(p: argparse.ArgumentParser) -> None:
    """BINARY CORE or --pid PID: what :func:`open_target` opens, for every command that
    reads a core file or a live process."""
    p.add_argument("binary", nargs="?", help="the Go executable")
    p.add_argument("core", nargs="?", help="a core file written by BINARY")
    p.add_argument("--pid", type=argtypes.pid, help="read a live process instead of a core")


def open_target(args: argparse.Namespace, command: str, binary: str | None = None) -> Any:
    """The target a `wslgo COMMAND` names: ``--pid PID [BINARY]`` (the process's own
    executable when BINARY is left out), else ``BINARY CORE``; ``binary`` replaces BINARY
    for a core (the unstripped copy of ``--symbols``)."""
    if args.pid is not None:
        return _native.Process(args.binary or process_executable(args.pid), args.pid)
    if not args.binary or not args.core:
        raise SystemExit(f"wslgo {command}: give BINARY CORE, or --pid PID [BINARY]")
    return _native.Core(binary or args.binary, args.core)


def cmd_goroutines(args: argparse.Namespace) -> int:
    from wslgo import symfile

    binary = args.binary
    if args.pid is None and args.binary and args.core and args.symbols:
        try:
            binary = symfile.check(args.binary, args.symbols)
        except symfile.SymbolFileMismatch as e:
            raise SystemExit(f"wslgo goroutines: {e}") from None
    target = open_target(args, "goroutines", binary)
    if snapshots.wants_files(args):
        live = args.pid is not None
        stamp = time.time_ns() if live else os.stat(args.core).st_mtime_ns
        now = CLOCK() if live else None
        snap = target.snapshot(scope="all")
        snapshots.write_files(args, target, snap, stamp, now, snapshots.stdout_bytes)
        return 0
    flt, mode = filter_from_args(args)
    waits = args.waits or mode.startswith("json")
    scope = snapshot_scope(mode, flt, args.leaked)
    snap = target.snapshot(include_dead=args.dead, scope=scope, panics=True, waits=waits)
    have = snap.goids() if flt.goids else []
    missing = sorted(set(flt.goids) - set(have))
    if missing and set(flt.goids) <= set(missing):  # nothing to show
        raise LookupError(missing_ids_error(missing, have))
    if args.leaked:
        flt = keep_leaked(flt, target, snap)
    out = Output(sys.stdout.write)
    now = CLOCK() if args.pid is not None else None
    got = render_native(snap, mode, flt, now=now, pretty=args.pretty, write=out)
    if out.wrote and not mode.startswith("jsonl"):
        sys.stdout.write("\n")
    if missing:  # the ones that exist are shown; the missing ones make it an error
        sys.stdout.flush()
        raise LookupError(missing_ids_error(missing, have))
    if not mode.startswith("json"):
        print(summary_line(snap, got, flt), file=sys.stderr)
        for goid, lines in snap.panics():
            what = "is panicking" if lines[0].startswith("panic: ") else "died of"
            print(f"goroutine {goid} {what}: " + "\n\t".join(map(esc, lines)), file=sys.stderr)
        if snap.fatal_error:
            print(f"{esc(snap.fatal_error)} (on a system stack, no goroutine)", file=sys.stderr)
    for line in snap.wait_errors:
        print(f"warning: {esc(line)}", file=sys.stderr)
    return 0


def add_goroutine_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Register `wslgo goroutines` on the CLI's subparsers."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "goroutines",
        help="list goroutines of a core file or a live process",
        description="Goroutines of a core file (BINARY CORE) or a live process "
        "(--pid PID, needs ptrace access): one line each (the default), full stacks, "
        "identical stacks grouped, or JSON.",
    )
    add_target_arguments(p)
    p.add_argument(
        "--symbols",
        metavar="UNSTRIPPED",
        help="symbols and DWARF from the unstripped copy of BINARY (same build id)",
    )
    modes = add_filter_arguments(p)
    modes.add_argument("-f", "--full", action="store_true", help="full stacks, like runtime.Stack")
    modes.add_argument("-g", "--group", action="store_true", help="group identical stacks")
    p.add_argument(
        "--id", type=argtypes.goroutine_id, action="append", default=[], help="only goroutine ID"
    )
    p.set_defaults(func=cmd_goroutines)
    return p
