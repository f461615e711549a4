"""``wslgo-bt``: goroutines of the program gdb is debugging (live process or core file).

:mod:`wslgo.gdb.program` keeps one native snapshot of the goroutines per stop and the
engine formats every view of it (:func:`wslgo.report.render_native`, the same bytes as the
CLI's); this module only picks what to show.
"""

from __future__ import annotations

import argparse
import os
import time

import gdb

from wslgo import _native, report, snapshots
from wslgo.gdb import commands, corefile, goframes
from wslgo.gdb.program import is_core, snapshot, target
from wslgo.gdb.threads import current_tid, thread_numbers

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

    def affixes(self) -> dict[str, tuple[str, str]]:
        out = {}
        for key, kind in (("func", "function"), ("file", "filename"), ("addr", "address")):
            code = self._codes.get(kind)
            if code:
                out[key] = (code, "\x1b[0m")
        return out


_parser = commands.parser(
    "wslgo-bt",
    "Show goroutines: the current one's backtrace and a grouped summary of the others.",
    epilog="""examples:
  wslgo-bt                     current goroutine's stack + one line per group of others
  wslgo-bt all                 every goroutine with its stack, identical stacks grouped
  wslgo-bt all --no-group      every goroutine, one block each (like runtime.Stack)
  wslgo-bt 1 7                 goroutines 1 and 7
  wslgo-bt -l --wait chan      one line per goroutine waiting on a channel
  wslgo-bt all --func 'main\\.' --depth 5 --json
  wslgo-bt --pprof g.pb.gz     the goroutine profile, for go tool pprof
  wslgo-bt --save before.snap  a snapshot for wslgo-diff / wslgo diff""",
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
    try:
        files = snapshots.wants_files(args)
    except ValueError as e:
        raise commands.UsageError(f"wslgo-bt: {e}") from None
    if files:
        stamp, now = moment_clock()
        snapshots.write_files(args, target()[0], snapshot("all"), stamp, now, _stdout_bytes)
        return
    flt = report.filter_of(args, ids)
    mode = view_mode(args, ids, show_all)
    json_mode = mode.startswith("json")  # JSON carries each goroutine's panic, as the CLI's
    waits = args.waits or json_mode
    scope = report.snapshot_scope(mode, flt, args.leaked)
    snap = snapshot(scope, args.dead, panics=json_mode, waits=waits)
    have = snap.goids() if ids else []  # 100,000 ids cost a few ms: only when asked
    missing = sorted(set(ids) - set(have))
    if missing:
        gdb.write(f"wslgo-bt: {report.missing_ids_error(missing, have)}\n", gdb.STDERR)
    if args.leaked:
        flt = report.keep_leaked(flt, target()[0], snap)
    out = report.Output(gdb.write)
    got = report.render_native(
        snap,
        mode,
        flt,
        GdbStyle(),
        now=None if is_core() else report.CLOCK(),
        pretty=args.pretty,
        no_goroutine=f"thread {current_tid()} runs no goroutine (it is on a system stack)",
        write=out,
        thread_nums=None if is_core() else thread_numbers(),
        current_goid=selected_goid(),
    )
    if out.wrote and not mode.startswith("jsonl"):
        gdb.write("\n")
    if not mode.startswith("json"):
        gdb.write(report.summary_line(snap, got, flt) + "\n")


def _stdout_bytes(data: bytes) -> None:
    """Bytes for `-`: straight to gdb's standard output (gdb.write takes text)."""
    gdb.flush()
    os.write(1, data)


def moment_clock() -> tuple[int, int | None]:
    """(wall clock ns, runtime clock ns or None) of the current stop: a core's mtime and
    no clock, else now."""
    if is_core():
        core = corefile.find(gdb.execute("info target", to_string=True))
        return (os.stat(core.path).st_mtime_ns if core else time.time_ns()), None
    return time.time_ns(), report.CLOCK()


_diff_parser = commands.parser(
    "wslgo-diff",
    "Compare a snapshot saved with `wslgo-bt --save FILE` (or `wslgo goroutines --save`) "
    "with now: groups before -> after, new, gone and stuck goroutines.",
)
_diff_parser.add_argument("file", help="a snapshot file")
_diff_parser.add_argument("--json", action="store_true", help="one JSON document")
_diff_parser.add_argument("--pretty", action="store_true", help="with --json: indented")
_diff_parser.add_argument("--all", action="store_true", help="also the unchanged groups")


@commands.command("wslgo-diff", _diff_parser)
def wslgo_diff(args: argparse.Namespace) -> None:
    before = _native.SavedSnapshot.read(args.file)
    stamp, now = moment_clock()
    after = _native.SavedSnapshot.of(target()[0], snapshot("all"), stamp, now)
    snapshots.same_build(before, after)
    out = _native.diff(before, after, json=args.json, pretty=args.pretty, all_groups=args.all)
    gdb.write(out if out.endswith("\n") else out + "\n")


def selected_goid() -> int | None:
    """The goroutine selected with ``wslgo-goroutine N`` (shown as current), else None."""
    sel = goframes.SWITCHER.applies()
    return sel.goroutine.goid if sel is not None else None


def view_mode(args: argparse.Namespace, ids: list[int], show_all: bool) -> _native.Mode:
    """Which view `wslgo-bt` shows (a mode of :func:`wslgo.report.render_native`)."""
    grouped = show_all and not args.no_group
    if args.jsonl:
        return "jsonl-group" if grouped else "jsonl"
    if args.json:
        return "json-group" if grouped else "json"
    if args.list:
        return "list"
    filtered = bool(ids or args.state or args.wait or args.func_re or args.user or args.label)
    filtered = filtered or args.leaked
    if show_all or filtered:
        return "full" if args.no_group or (ids and not show_all) else "group"
    return "default"


def print_stop_context(level: str) -> None:
    """What wslgo prints when the program stops: `brief` = the current goroutine's top
    frames and a one-line count of the others (no other stack is read); `full` = the
    default `wslgo-bt` view."""
    if level == "off":
        return
    st = GdbStyle()
    if level == "full":
        snap = snapshot("all")
        out = report.Output(gdb.write)
        report.render_native(
            snap,
            "default",
            report.Filter(),
            st,
            now=None if is_core() else report.CLOCK(),
            no_goroutine=f"thread {current_tid()} runs no goroutine (it is on a system stack)",
            write=out,
        )
        gdb.write("\n" + snap.summary() + "\n")
        return
    gdb.write(snapshot("current").brief(6, st.affixes() or None) + "\n")
