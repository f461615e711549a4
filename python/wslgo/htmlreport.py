"""`wslgo report`: one self-contained HTML page of a core file or a live process (the
panic, the crashing goroutine, the states, the goroutine groups, who waits on whom and the
leaked goroutines), to look at offline or attach to an incident. The page is native
(src/views/report.rs); this module opens the target, loads the path map and writes the
file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from wslgo import _native, pathmap, userfile
from wslgo.report import add_target_arguments, open_target

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def write_page(html: str, dest: str) -> None:
    """Write the page to ``dest`` (``-``: stdout), atomically for a file."""
    if dest == "-":
        sys.stdout.write(html)
        return
    try:
        userfile.write_atomic(Path(dest), html)
    except OSError as e:
        raise SystemExit(f"wslgo report: cannot write {dest}: {e.strerror or e}") from None


def cmd_report(args: argparse.Namespace) -> int:
    target = open_target(args, "report")
    pm, warnings = pathmap.load()
    for w in warnings:
        print(w, file=sys.stderr)
    write_page(_native.report(target, path_map=pm), args.output)
    if args.output != "-":
        print(f"wslgo report: wrote {args.output}", file=sys.stderr)
    return 0


def add_report_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register `wslgo report` on the CLI's subparsers."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="one self-contained HTML page of a core file or a live process",
        description="An HTML page of a core file (BINARY CORE) or a live process (--pid PID): "
        "the panic or fatal error and the crashing goroutine's stack with its source, the "
        "goroutine states as a chart, the goroutine groups with a filter, the wait-for "
        "graph and the leaked goroutines (as `wslgo leaks` finds them). CSS, JS and SVG are "
        "inline: it opens offline from a file.",
    )
    add_target_arguments(p)
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the page to write (-: stdout)"
    )
    p.set_defaults(func=cmd_report)
    return p
