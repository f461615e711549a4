"""``wslgo-waits``: why the goroutines of the program gdb debugs are stuck (live process,
core file, remote): the objects they wait on, the other waiters, the goroutines that can
unblock them, and the wait cycles. The view is native (src/runtime/waits*.rs), the same
text and JSON as `wslgo waits`."""

from __future__ import annotations

import argparse

import gdb

from wslgo import _native, argtypes, report
from wslgo.gdb import commands
from wslgo.gdb.program import is_core, target

_parser = commands.parser(
    "wslgo-waits",
    "Show what blocked goroutines wait on, who can unblock it, and the wait cycles.",
    epilog="""examples:
  wslgo-waits          cycles first, then each channel / sync object with its waiters
  wslgo-waits 7        the chain from goroutine 7: what it waits on, who can unblock it, ...
  wslgo-waits --json   {"objects": [...], "cycles": [...], "errors": [...]}""",
)
_parser.add_argument(
    "goid", nargs="?", type=argtypes.goroutine_id, help="the chain from this goroutine"
)
_parser.add_argument("--json", action="store_true", help="one JSON document")


@commands.command("wslgo-waits", _parser)
def wslgo_waits(args: argparse.Namespace) -> None:
    tgt, kwargs = target()
    now = None if is_core() else report.CLOCK()
    gdb.write(_native.waits(tgt, json=args.json, goid=args.goid, now=now, **kwargs))
