"""The `wslgo` console script: the jobs wslgo can do without gdb."""

from __future__ import annotations

import os
import sys

import wslgo

# argparse and pathlib are imported where they are used: `wslgo symbolize` (dispatched
# before the parser is built) must not pay for them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from pathlib import Path
    from typing import Any


#: Exit status of a command whose reader closed the pipe: 128 + SIGPIPE, as the shell
#: reports a tool that the signal ended.
EXIT_SIGPIPE = 128 + 13


def gdbinit_line() -> str:
    """The exact line to put in ~/.gdbinit."""
    return f"source {wslgo.GDB_ENTRY}"


def install_gdbinit(home: Path) -> str:
    """Add the source line to HOME/.gdbinit once; returns what was done."""
    path = home / ".gdbinit"
    line = gdbinit_line()
    text = path.read_text() if path.exists() else ""
    lines = text.splitlines()
    if line in lines:
        return f"{path}: already sources wslgo ({line})"
    stale = [
        i
        for i, x in enumerate(lines)
        if x.strip().startswith("source") and x.rstrip().endswith("/wslgo.py")
    ]
    if stale:
        lines[stale[0]] = line
        for i in reversed(stale[1:]):
            del lines[i]
        path.write_text("\n".join(lines) + "\n")
        return f"{path}: updated the wslgo line to {line}"
    with path.open("a") as f:
        if text and not text.endswith("\n"):
            f.write("\n")
        f.write(line + "\n")
    return f"{path}: added {line}"


def cmd_gdbinit(args: argparse.Namespace) -> int:
    if args.install:
        from pathlib import Path

        home = Path(os.environ.get("HOME") or Path.home())
        print(install_gdbinit(home))
    elif args.path:
        print(wslgo.GDB_ENTRY)
    else:
        print(gdbinit_line())
    return 0


def cmd_version(args: argparse.Namespace) -> int:
    try:
        from wslgo import _native

        native = f"native {_native.version()} at {wslgo.native_path()}"
    except ImportError as e:
        native = f"native module not loadable: {e}"
    print(f"wslgo {wslgo.__version__} ({native})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    import argparse

    p = argparse.ArgumentParser(
        prog="wslgo", description=wslgo.__doc__.splitlines()[0] if wslgo.__doc__ else None
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    g = sub.add_parser("gdbinit", help="print (or --install) the ~/.gdbinit line that loads wslgo")
    g.add_argument("--install", action="store_true", help="append the line to ~/.gdbinit once")
    g.add_argument("--path", action="store_true", help="print only the path of wslgo.py")
    g.set_defaults(func=cmd_gdbinit)
    v = sub.add_parser("version", help="print the version and where the native module is")
    v.set_defaults(func=cmd_version)
    from wslgo.report import add_goroutine_commands

    add_goroutine_commands(sub)

    from wslgo.symbolize import add_symbol_commands

    add_symbol_commands(sub)
    from wslgo.wslcli import add_wsl_commands

    add_wsl_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    args: Any = None
    if argv[:1] == ["symbolize"]:  # the hot path: no argparse unless the options need it
        from wslgo.symbolize import quick_symbolize_args

        args = quick_symbolize_args(argv[1:])
    if args is None:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
    try:
        rc = int(args.func(args))
        sys.stdout.flush()
        return rc
    except BrokenPipeError:
        # The reader went away (`wslgo ... | head`): stop quietly with the status of a
        # tool killed by SIGPIPE; stdout goes to /dev/null so the exit flush cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_SIGPIPE
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # one line, never a traceback
        print(f"wslgo {args.command}: {' '.join(str(e).split())}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
