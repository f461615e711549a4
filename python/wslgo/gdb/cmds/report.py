"""``wslgo-report FILE``: the HTML report of the program gdb debugs, at any stop (live
process, core file, remote): the same native page as `wslgo report`
(src/views/report.rs), with the session's path map for the source excerpt."""

from __future__ import annotations

import argparse
from pathlib import Path

import gdb

from wslgo import _native, userfile
from wslgo.gdb import commands
from wslgo.gdb.cmds.wsl import path_map
from wslgo.gdb.program import target

_parser = commands.parser(
    "wslgo-report",
    "Write one self-contained HTML page of the program at this stop.\n\n"
    "The panic or fatal error, the crashing goroutine with its source, the goroutine "
    "states, the groups with a filter, who waits on whom and the leaked goroutines; it "
    "needs no network.",
    epilog="""examples:
  wslgo-report crash.html    then open crash.html in a browser (it needs no network)""",
)
_parser.add_argument("file", help="the HTML file to write")


@commands.command("wslgo-report", _parser)
def wslgo_report(args: argparse.Namespace) -> None:
    tgt, kwargs = target()
    html = _native.report(tgt, path_map=path_map(), **kwargs)
    try:
        userfile.write_atomic(Path(args.file).expanduser(), html)
    except OSError as e:
        raise gdb.GdbError(f"wslgo-report: cannot write {args.file}: {e.strerror or e}") from None
    gdb.write(f"wslgo: wrote {args.file}\n")
