"""One way to register gdb commands: argparse for arguments and help, one error path.

Every wslgo command is a function taking the parsed :class:`argparse.Namespace`, registered
with :func:`command`. Its ``help`` text in gdb is argparse's help. Errors surface as a
single ``gdb.GdbError`` line; with ``set wslgo verbose on`` the Python traceback follows.
"""

from __future__ import annotations

import argparse
import shlex
import traceback
from typing import Callable, NoReturn

import gdb

from wslgo.gdb import params

#: name -> one-line summary, for `help wslgo`.
REGISTRY: dict[str, str] = {}
_instances: list[gdb.Command] = []


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
        if params.verbose():
            gdb.write(traceback.format_exc(), gdb.STDERR)
        msg = " ".join(str(e).split()) or type(e).__name__
        raise gdb.GdbError(f"{what}: {msg}") from None


def command(
    name: str,
    parser: Parser,
    *,
    category: int = gdb.COMMAND_USER,
    repeat: bool = False,
    argv: Callable[[str], list[str]] = shlex.split,  # gdbhooks: custom splitting
) -> Callable[[Callable[[argparse.Namespace], None]], Callable[[argparse.Namespace], None]]:
    """Register ``fn(args)`` as the gdb command ``name`` with ``parser``'s help."""

    def deco(fn: Callable[[argparse.Namespace], None]) -> Callable[[argparse.Namespace], None]:
        if name in REGISTRY:
            return fn
        summary = (parser.description or "").strip().splitlines()[0] if parser.description else ""
        REGISTRY[name] = summary

        def invoke(self: gdb.Command, arg: str, from_tty: bool) -> None:
            if not repeat:
                self.dont_repeat()

            def call() -> None:
                try:
                    words = argv(arg)
                except ValueError as e:
                    raise UsageError(f"{name}: {e}") from None
                fn(parser.parse_args(words))

            run_guarded(call, name)

        doc = f"{summary}\n\n{_help_without_summary(parser, summary)}"
        cls = type(
            f"_Cmd_{name.replace('-', '_')}", (gdb.Command,), {"__doc__": doc, "invoke": invoke}
        )
        _instances.append(cls(name, category))
        return fn

    return deco


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


def register_builtin() -> None:
    """Import the modules that define commands (each registers itself on import)."""
    # gdbhooks: goroutine, hooks, traceback (Go breakpoints, traceback level, switching).
    from wslgo.gdb import basic, bt, goroutine, hooks, printers, traceback  # noqa: F401

    goroutine.register()
    hooks.setup()
    printers.register()


def register_prefix() -> None:
    """Register ``wslgo`` itself: `wslgo` and `help wslgo` list every wslgo command."""
    if "wslgo" in REGISTRY:
        return
    lines = ["wslgo: gdb companion for Go programs.", "", "Commands:"]
    width = max((len(n) for n in REGISTRY), default=10)
    lines += [f"  {n.ljust(width)}  {s}" for n, s in sorted(REGISTRY.items())]
    lines += [
        "",
        "Options: `help set wslgo`, `show wslgo`. Errors print one line;",
        "`set wslgo verbose on` adds the Python traceback.",
    ]
    doc = "\n".join(lines)

    def invoke(self: gdb.Command, arg: str, from_tty: bool) -> None:
        gdb.write(doc + "\n")

    cls = type("_WslgoHelp", (gdb.Command,), {"__doc__": doc, "invoke": invoke})
    _instances.append(cls("wslgo", gdb.COMMAND_USER, gdb.COMPLETE_NONE))
    REGISTRY["wslgo"] = "this list"
