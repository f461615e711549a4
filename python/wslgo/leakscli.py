"""`wslgo leaks`: the goroutines of a core file or a live process that nothing can ever
unblock (blocked on channels and sync objects no runnable goroutine and no global can
reach). The check and the view are native (src/runtime/leaks.rs, src/views/leaks.rs)."""

from __future__ import annotations

import sys
from typing import Any

from wslgo import _native, argtypes
from wslgo.report import open_target

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def cmd_leaks(args: argparse.Namespace) -> int:
    target = open_target(args, "leaks")
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
    p.add_argument("binary", nargs="?", help="the Go executable")
    p.add_argument("core", nargs="?", help="a core file written by BINARY")
    p.add_argument("--pid", type=argtypes.pid, help="read a live process instead of a core")
    p.add_argument("--json", action="store_true", help="one JSON document")
    p.set_defaults(func=cmd_leaks)
    return p
