"""``wslgo-leaks``: the goroutines of the program gdb debugs (live process, core file,
remote) that nothing can ever unblock. The check and the view are native
(src/runtime/leaks.rs, src/views/leaks.rs), the same text and JSON as `wslgo leaks`."""

from __future__ import annotations

import argparse

import gdb

from wslgo import _native
from wslgo.gdb import commands
from wslgo.gdb.program import target

_parser = commands.parser(
    "wslgo-leaks",
    "Show the leaked goroutines: blocked on objects nothing runnable can reach.",
    epilog="""examples:
  wslgo-leaks          a summary line, then the leaked goroutines in groups
  wslgo-leaks --json   {"leaked": [...], "groups": [...], "blocked": N, "heap_bytes": N}""",
)
_parser.add_argument("--json", action="store_true", help="one JSON document")


@commands.command("wslgo-leaks", _parser)
def wslgo_leaks(args: argparse.Namespace) -> None:
    tgt, kwargs = target()
    gdb.write(_native.leaks(tgt, json=args.json, **kwargs))
