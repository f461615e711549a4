"""Goroutine snapshots as files, pure Python (no gdb): the `--pprof FILE`, `--pprof-labels`
and `--save FILE` options shared by `wslgo goroutines` and `wslgo-bt`, and `wslgo diff BIN
A B`. The profile, the snapshot file and the diff are made in Rust
(src/views/pprof.rs, src/views/snapfile.rs, src/views/diff.rs); this module picks the
moments and writes the bytes."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from wslgo import _native, argtypes

ELF_MAGIC = b"\x7fELF"


def add_file_arguments(p: argparse.ArgumentParser) -> None:
    """`--pprof FILE`, `--pprof-labels` and `--save FILE`, defined once for both commands."""
    p.add_argument(
        "--pprof",
        metavar="FILE",
        help="write the goroutine profile runtime/pprof would (for go tool pprof); - for stdout",
    )
    p.add_argument(
        "--pprof-labels",
        metavar="LABELS",
        default="",
        help="with --pprof: add wslgo's own labels (state,wait) for go tool pprof -tagfocus",
    )
    p.add_argument(
        "--save",
        metavar="FILE",
        help="save the goroutines to FILE (a snapshot for `wslgo diff`); - for stdout",
    )


def wants_files(args: argparse.Namespace) -> bool:
    """Whether the command writes a profile or a snapshot (and shows no view)."""
    if args.pprof_labels and not args.pprof:
        raise ValueError("--pprof-labels needs --pprof FILE")
    return bool(args.pprof or args.save)


def write_bytes(dest: str, data: bytes, stdout: Callable[[bytes], Any]) -> None:
    """``data`` to the file ``dest``, or to ``stdout`` for `-`."""
    if dest == "-":
        stdout(data)
        return
    with open(dest, "wb") as f:
        f.write(data)


def write_files(
    args: argparse.Namespace,
    target: _native.GoTarget,
    snap: _native.Snapshot,
    time_nanos: int,
    now: int | None,
    stdout: Callable[[bytes], Any],
) -> None:
    """Write what ``args`` asks (`--pprof`, `--save`) of ``snap`` (whole stacks), taken at
    wall clock ``time_nanos`` and runtime clock ``now`` (None for a core)."""
    if args.pprof:
        data = _native.goroutine_profile(target, snap, time_nanos, args.pprof_labels)
        write_bytes(args.pprof, data, stdout)
    if args.save:
        saved = _native.SavedSnapshot.of(target, snap, time_nanos, now)
        write_bytes(args.save, saved.to_bytes(), stdout)


def stdout_bytes(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


# ---- wslgo diff ------------------------------------------------------------------------


def moment(binary: str, what: tuple[str, str], clock: Callable[[], int]) -> _native.SavedSnapshot:
    """One side of a diff: ("pid", PID) now, or ("path", FILE), a core of ``binary`` or a
    saved snapshot. ``clock`` is the runtime's clock for a live process."""
    kind, value = what
    if kind == "pid":
        proc = _native.Process(binary, int(value))
        now = clock()
        return _native.SavedSnapshot.of(proc, proc.snapshot(scope="all"), time.time_ns(), now)
    try:
        with open(value, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise ValueError(f"cannot read {value}: {e.strerror}") from None
    if magic == ELF_MAGIC:
        core = _native.Core(binary, value)
        stamp = os.stat(value).st_mtime_ns
        return _native.SavedSnapshot.of(core, core.snapshot(scope="all"), stamp, None)
    return _native.SavedSnapshot.read(value)


def parse_moments(tokens: list[str]) -> list[tuple[str, str]]:
    """A and B of `wslgo diff BIN A B`: paths, or `--pid PID`."""
    out: list[tuple[str, str]] = []
    it = iter(tokens)
    for t in it:
        if t == "--pid":
            pid = next(it, None)
            if pid is None:
                raise ValueError("--pid needs a process id")
            out.append(("pid", str(argtypes.pid(pid))))
        elif t.startswith("--pid="):
            out.append(("pid", str(argtypes.pid(t.partition("=")[2]))))
        else:
            out.append(("path", t))
    if len(out) != 2:
        raise ValueError("give two moments: A B, each a core, a saved snapshot or --pid PID")
    return out


def same_build(a: _native.SavedSnapshot, b: _native.SavedSnapshot) -> None:
    """One line when the two moments are of different builds (both build ids known)."""
    if a.build_id and b.build_id and a.build_id != b.build_id:
        raise ValueError(
            f"the two moments are of different builds (build id {a.build_id} and {b.build_id})"
        )


def cmd_diff(args: argparse.Namespace) -> int:
    rest = [t for t in args.moments if t not in ("--json", "--pretty", "--all")]
    flags = set(args.moments) - set(rest)
    first, second = parse_moments(rest)
    clock = time.monotonic_ns
    a = moment(args.binary, first, clock)
    b = moment(args.binary, second, clock)
    same_build(a, b)
    out = _native.diff(
        a,
        b,
        json=args.json or "--json" in flags,
        pretty=args.pretty or "--pretty" in flags,
        all_groups=args.all or "--all" in flags,
    )
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return 0


def add_diff_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register `wslgo diff` on the CLI's subparsers."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "diff",
        help="compare the goroutines of two moments (cores, saved snapshots, --pid)",
        description="Compare two moments of BINARY: each a core file, a snapshot saved with "
        "--save, or --pid PID (now). Shows each group (state, user location) before -> "
        "after, biggest growth first; goroutine ids only in B (new) and only in A (gone); "
        "and the ones blocked at the same pc in both (stuck).",
        usage="wslgo diff [--json] [--pretty] [--all] BINARY A B   (A, B: FILE or --pid PID)",
    )
    p.add_argument("--json", action="store_true", help="one JSON document")
    p.add_argument("--pretty", action="store_true", help="with --json: indented")
    p.add_argument("--all", action="store_true", help="also the groups that did not change")
    p.add_argument("binary", help="the Go executable")
    p.add_argument("moments", nargs=argparse.REMAINDER, help="A B: FILE or --pid PID each")
    p.set_defaults(func=cmd_diff)
    return p
