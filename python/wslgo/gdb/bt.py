"""``wslgo-bt``: goroutines of the program gdb is debugging (live process or core file).

:mod:`wslgo.gdb.program` reads every goroutine in one pass and :mod:`wslgo.report` formats
them; this module only picks what to show.
"""

from __future__ import annotations

import argparse
from typing import Any

import gdb

from wslgo import report
from wslgo.gdb import commands
from wslgo.gdb.program import current_tid, goroutines, target

Record = dict[str, Any]

_ANSI = {
    "black": 30,
    "red": 31,
    "green": 32,
    "yellow": 33,
    "blue": 34,
    "magenta": 35,
    "cyan": 36,
    "white": 37,
}


class GdbStyle(report.Style):
    """gdb's own `set style function|filename|address` colours; plain when gdb's styling
    is off (`set style enabled off`, batch mode, a pipe)."""

    def __init__(self) -> None:
        self._codes: dict[str, str] = {}
        try:
            enabled = bool(gdb.parameter("style enabled"))
        except (gdb.error, RuntimeError):
            enabled = False
        if not enabled:
            return
        for kind in ("function", "filename", "address"):
            codes: list[str] = []
            try:
                fg = str(gdb.parameter(f"style {kind} foreground"))
                intensity = str(gdb.parameter(f"style {kind} intensity"))
            except (gdb.error, RuntimeError):
                continue
            if fg in _ANSI:
                codes.append(str(_ANSI[fg]))
            if intensity == "bold":
                codes.append("1")
            elif intensity == "dim":
                codes.append("2")
            if codes:
                self._codes[kind] = "\x1b[" + ";".join(codes) + "m"

    def _wrap(self, kind: str, s: str) -> str:
        code = self._codes.get(kind)
        return f"{code}{s}\x1b[0m" if code and s else s

    def func(self, s: str) -> str:
        return self._wrap("function", s)

    def file(self, s: str) -> str:
        return self._wrap("filename", s)

    def addr(self, s: str) -> str:
        return self._wrap("address", s)

    def affixes(self) -> dict[str, tuple[str, str]]:
        out = {}
        for key, kind in (("func", "function"), ("file", "filename"), ("addr", "address")):
            code = self._codes.get(kind)
            if code:
                out[key] = (code, "\x1b[0m")
        return out


def _summary_line(b: Record, st: report.Style) -> str:
    n = b["count"]
    loc = report._loc(report.user_frame(b), st)
    return f"  {n:>6} [{b['state']}] {loc}  ids: {report._ids(b['goids'], 8)}"


def format_default(gs: list[Record], flt: report.Filter, st: report.Style) -> str:
    """The current goroutine's stack, then one line per group of the others."""
    shown = report.apply(gs, flt)
    cur = [g for g in shown if g.get("current")]
    others = [g for g in shown if not g.get("current")]
    parts: list[str] = []
    if cur:
        parts.append(report.format_full(cur, flt.depth, st))
    else:
        tid = current_tid()
        parts.append(f"thread {tid} runs no goroutine (it is on a system stack)")
    if others:
        buckets = report.group(others)
        lines = [f"other goroutines: {len(others)} in {report.plural(len(buckets), 'group')}"]
        lines += [_summary_line(b, st) for b in buckets]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


_parser = commands.parser(
    "wslgo-bt",
    "Show goroutines: the current one's backtrace and a grouped summary of the others.",
    epilog="""examples:
  wslgo-bt                     current goroutine's stack + one line per group of others
  wslgo-bt all                 every goroutine with its stack, identical stacks grouped
  wslgo-bt all --no-group      every goroutine, one block each (like runtime.Stack)
  wslgo-bt 1 7                 goroutines 1 and 7
  wslgo-bt -l --wait chan      one line per goroutine waiting on a channel
  wslgo-bt all --func 'main\\.' --depth 5 --json""",
)
_parser.add_argument(
    "which", nargs="*", help="`all`, or goroutine ids (default: the current goroutine)"
)
_parser.add_argument(
    "--no-group", action="store_true", help="with `all`: one block per goroutine, no grouping"
)
report.add_filter_arguments(_parser)


@commands.command("wslgo-bt", _parser)
def wslgo_bt(args: argparse.Namespace) -> None:
    which = list(args.which)
    show_all = "all" in which
    ids: list[int] = []
    for w in which:
        if w == "all":
            continue
        try:
            ids.append(int(w, 0))
        except ValueError:
            msg = f"wslgo-bt: {w!r} is neither `all` nor a goroutine id"
            raise commands.UsageError(msg) from None
    if args.depth is not None and args.depth < 0:
        raise commands.UsageError("wslgo-bt: --depth must be >= 0")
    flt = report.filter_of(args, ids)
    if args.list and not args.json:
        _list(args, flt, ids)
        return
    with report.gc_paused():
        _show(args, flt, ids, show_all)


def _show(args: argparse.Namespace, flt: report.Filter, ids: list[int], show_all: bool) -> None:
    gs = goroutines(include_dead=args.dead)
    if ids:
        missing = sorted(set(ids) - {g.get("goid") for g in gs})
        if missing:
            have = (g["goid"] for g in gs)
            gdb.write(f"wslgo-bt: {report.missing_ids_error(missing, have)}\n", gdb.STDERR)
    st = GdbStyle()
    filtered = bool(ids or args.state or args.wait or args.func_re or args.user or args.label)
    if args.json:
        out = report.to_json(
            report.apply(gs, flt), grouped=show_all and not args.no_group, depth=args.depth
        )
    elif show_all or filtered:
        shown = report.apply(gs, flt)
        if args.no_group or (ids and not show_all):
            out = report.format_full(shown, args.depth, st)
        else:
            out = report.format_grouped(shown, args.depth, st)
    else:
        out = format_default(gs, flt, st)
    if out:
        gdb.write(out + "\n")
    if not args.json:
        gdb.write(report.summary(gs) + "\n")


def _list(args: argparse.Namespace, flt: report.Filter, ids: list[int]) -> None:
    """`wslgo-bt -l`: filtered, sorted and formatted by the engine (one str back)."""
    tgt, threads = target()
    got = report.list_native(tgt, flt, GdbStyle(), include_dead=args.dead, **threads)
    missing = sorted(set(got["missing"]) | {i for i in ids if i < 0})
    if missing:
        gdb.write(f"wslgo-bt: no goroutine {', '.join(map(str, missing))}\n", gdb.STDERR)
    if got["text"]:
        gdb.write(got["text"] + "\n")
    gdb.write(report.summary_of(got["total"], got["system"], got["unreadable"]) + "\n")


def print_stop_context(level: str) -> None:
    """What wslgo prints when the program stops: `brief` = the current goroutine's top
    frames and a one-line count of the others; `full` = the default `wslgo-bt` view."""
    if level == "off":
        return
    with report.gc_paused():
        _stop_context(level)


def _stop_context(level: str) -> None:
    gs = goroutines()
    st = GdbStyle()
    flt = report.Filter(depth=None if level == "full" else 6)
    if level == "full":
        gdb.write(format_default(gs, flt, st) + "\n" + report.summary(gs) + "\n")
        return
    cur = [g for g in gs if g.get("current")]
    if cur:
        gdb.write(report.format_full(cur, flt.depth, st) + "\n")
    others = [g for g in gs if not g.get("current")]
    buckets = report.group(others)
    gdb.write(
        f"{report.summary(gs)}; others in {report.plural(len(buckets), 'group')}: "
        "`wslgo-bt` for a summary, "
        "`wslgo-bt all` for every stack\n"
    )
