"""`wslgo waits`: why goroutines are stuck, from a core file or a live process (the
objects they wait on, the other waiters, the goroutines that can unblock them, and the
wait cycles). The view itself is native (src/views/waits.rs)."""

from __future__ import annotations

import sys
from typing import Any

from wslgo import _native, argtypes
from wslgo.report import CLOCK, add_target_arguments, open_target

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def cmd_waits(args: argparse.Namespace) -> int:
    target = open_target(args, "waits")
    now = CLOCK() if args.pid is not None else None
    sys.stdout.write(_native.waits(target, json=args.json, goid=args.id, now=now))
    return 0


def add_waits_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register `wslgo waits` on the CLI's subparsers."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "waits",
        help="why goroutines are stuck: what they wait on and who can unblock it",
        description="The channels and sync objects goroutines of a core file (BINARY CORE) "
        "or a live process (--pid PID) wait on: the wait cycles first, then each object "
        "with its waiters and the goroutines whose stacks point into it.",
    )
    add_target_arguments(p)
    p.add_argument(
        "--id",
        type=argtypes.goroutine_id,
        help="the chain from goroutine ID: what it waits on, who can unblock that, and so on",
    )
    p.add_argument("--json", action="store_true", help="one JSON document")
    p.set_defaults(func=cmd_waits)
    return p
