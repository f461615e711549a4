"""`wslgo leaks`: the goroutines of a core file or a live process that nothing can ever
unblock (blocked on channels and sync objects no runnable goroutine and no global can
reach). The check and the view are native (src/runtime/leaks.rs, src/views/leaks.rs)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from wslgo import _native, snapshots
from wslgo.report import add_target_arguments, open_target

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def cmd_leaks(args: argparse.Namespace) -> int:
    target = open_target(args, "leaks")
    if args.pprof:
        snap = target.snapshot(scope="all")
        core = args.core if args.pid is None else None
        stamp = os.stat(core).st_mtime_ns if core else time.time_ns()
        data = _native.goroutineleak_profile(target, snap, stamp)
        snapshots.write_bytes(args.pprof, data, snapshots.stdout_bytes)
        return 0
    sys.stdout.write(_native.leaks(target, json=args.json))
    return 0


def add_leaks_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register `wslgo leaks` on the CLI's subparsers."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "leaks",
        help="leaked goroutines: blocked on objects nothing runnable can reach",
        description="The goroutines of a core file (BINARY CORE) or a live process (--pid "
        "PID) blocked on channels and sync objects that no runnable goroutine and no global "
        "reaches (Go's goroutineleak rule, on every release), grouped as wslgo-bt groups "
        "them, after a one-line summary.",
    )
    add_target_arguments(p)
    p.add_argument("--json", action="store_true", help="one JSON document")
    p.add_argument(
        "--pprof",
        metavar="FILE",
        help="write the goroutineleak profile runtime/pprof would (go tool pprof); - for stdout",
    )
    p.set_defaults(func=cmd_leaks)
    return p
