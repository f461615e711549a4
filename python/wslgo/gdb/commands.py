"""One way to register gdb commands: argparse for arguments and help, one error path.

Every wslgo command is a function taking the parsed :class:`argparse.Namespace`, registered
with :func:`command`. Its ``help`` text in gdb is argparse's help. Errors surface as a
single ``gdb.GdbError`` line; with ``set wslgo verbose on`` the Python traceback follows.
What argparse cannot parse (a prefix such as ``set wslgo``, a line that is a gdb
expression, linespec or command, gdb's own ``print``/``watch`` replaced) is registered
with :func:`raw`, through the same table and error path.
"""

from __future__ import annotations

import argparse
import shlex
import traceback
from typing import Callable, NoReturn

import gdb


class Table:
    """Every wslgo command: name -> one-line summary (for `help wslgo`), the gdb
    command objects (kept alive here), and whether errors show their traceback (set by
    :mod:`wslgo.gdb.params`, which declares ``set wslgo verbose``)."""

    def __init__(self) -> None:
        self.summaries: dict[str, str] = {}
        self.instances: list[gdb.Command] = []
        self.verbose: Callable[[], bool] = lambda: False


TABLE = Table()


class UsageError(Exception):
    """Bad arguments to a wslgo command (reported as one line, no traceback)."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that reports to gdb instead of exiting the process."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see `help {self.prog}`)")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            gdb.write(message)
        raise _Exit()

    def print_help(self, file: object = None) -> None:
        gdb.write(self.format_help())


class _Exit(Exception):
    pass


def run_guarded(fn: Callable[[], None], what: str) -> None:
    """Run ``fn``; turn any exception into one gdb error line (traceback if verbose)."""
    try:
        fn()
    except _Exit:
        return
    except gdb.GdbError:
        raise
    except UsageError as e:
        raise gdb.GdbError(str(e)) from None
    except KeyboardInterrupt:
        raise gdb.GdbError(f"{what}: interrupted") from None
    except Exception as e:  # includes errors raised by the native module
        if TABLE.verbose():
            gdb.write(traceback.format_exc(), gdb.STDERR)
        msg = " ".join(str(e).split()) or type(e).__name__
        raise gdb.GdbError(f"{what}: {msg}") from None


def first_word_and_rest(arg: str) -> list[str]:
    """``N rest of line`` -> ``[N, 'rest of line']``: for a command whose last argument
    is a gdb command line, kept as typed (quotes included)."""
    arg = arg.strip()
    if not arg:
        return []
    head, _, rest = arg.partition(" ")
    rest = rest.strip()
    return [head, rest] if rest else [head]


def command(
    name: str,
    parser: Parser,
    *,
    category: int = gdb.COMMAND_USER,
    repeat: bool = False,
    argv: Callable[[str], list[str]] = shlex.split,
) -> Callable[[Callable[[argparse.Namespace], None]], Callable[[argparse.Namespace], None]]:
    """Register ``fn(args)`` as the gdb command ``name`` with ``parser``'s help."""

    def deco(fn: Callable[[argparse.Namespace], None]) -> Callable[[argparse.Namespace], None]:
        if name in TABLE.summaries:
            return fn
        summary = (parser.description or "").strip().splitlines()[0] if parser.description else ""
        TABLE.summaries[name] = summary

        def run(arg: str, from_tty: bool) -> None:
            try:
                words = argv(arg)
            except ValueError as e:
                raise UsageError(f"{name}: {e}") from None
            fn(parser.parse_args(words))

        doc = f"{summary}\n\n{_help_without_summary(parser, summary)}"
        raw(name, doc, run, category=category, repeat=repeat)
        return fn

    return deco


def raw(
    name: str,
    doc: str,
    run: Callable[[str, bool], None] | None = None,
    *,
    category: int = gdb.COMMAND_USER,
    complete: int | None = None,
    prefix: bool = False,
    repeat: bool = False,
    guarded: bool = True,
    summary: str | None = None,
) -> gdb.Command:
    """Register ``run(line, from_tty)`` as the gdb command ``name``, its line as typed and
    ``doc`` its help: for a prefix (``prefix``; without ``run`` typing it lists its
    subcommands), a line argparse cannot split, or gdb's own command replaced (``guarded``
    off: its errors reach gdb as they are). ``summary`` lists it in `help wslgo`. Each call
    makes a new command (registering a name again replaces gdb's), returned and kept."""
    attrs: dict[str, object] = {"__doc__": doc}
    if run is not None:
        fn = run

        def invoke(self: gdb.Command, arg: str, from_tty: bool) -> None:
            if not repeat:
                self.dont_repeat()
            if guarded:
                run_guarded(lambda: fn(arg, from_tty), name)
            else:
                fn(arg, from_tty)

        attrs["invoke"] = invoke
    cls = type(f"_Cmd_{'_'.join(name.replace('-', '_').split())}", (gdb.Command,), attrs)
    kwargs: dict[str, object] = {"prefix": True} if prefix else {}
    if complete is not None:
        kwargs["completer_class"] = complete
    cmd: gdb.Command = cls(name, category, **kwargs)
    TABLE.instances.append(cmd)
    if summary is not None:
        TABLE.summaries[name] = summary
    return cmd


def _help_without_summary(parser: Parser, summary: str) -> str:
    """argparse's help minus the description's first line (gdb shows it already)."""
    saved = parser.description
    rest = (saved or "").strip().splitlines()[1:]
    parser.description = "\n".join(rest).strip() or None
    try:
        return parser.format_help()
    finally:
        parser.description = saved


def parser(name: str, description: str, epilog: str | None = None) -> Parser:
    """A :class:`Parser` for command ``name`` (first line of description = summary)."""
    return Parser(
        prog=name,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=True,
    )


def register_prefix() -> None:
    """Register ``wslgo`` itself: `wslgo` and `help wslgo` list every wslgo command."""
    if "wslgo" in TABLE.summaries:
        return
    lines = ["wslgo: gdb companion for Go programs.", "", "Commands:"]
    width = max((len(n) for n in TABLE.summaries), default=10)
    lines += [f"  {n.ljust(width)}  {s}" for n, s in sorted(TABLE.summaries.items())]
    lines += [
        "",
        "Options: `help set wslgo`, `show wslgo`. Errors print one line;",
        "`set wslgo verbose on` adds the Python traceback.",
    ]
    doc = "\n".join(lines)

    raw(
        "wslgo",
        doc,
        lambda arg, from_tty: gdb.write(doc + "\n"),
        complete=gdb.COMPLETE_NONE,
        repeat=True,
        guarded=False,
        summary="this list",
    )
