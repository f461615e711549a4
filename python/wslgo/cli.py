"""The `wslgo` console script: the jobs wslgo can do without gdb."""

from __future__ import annotations

import contextlib
import os
import sys

import wslgo

# argparse and pathlib are imported where they are used: `wslgo symbolize` (dispatched
# before the parser is built) must not pay for them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


#: Exit status of a command whose reader closed the pipe: 128 + SIGPIPE, as the shell
#: reports a tool that the signal ended.
EXIT_SIGPIPE = 128 + 13


def gdbinit_line() -> str:
    """The exact line to put in ~/.gdbinit."""
    return f"source {wslgo.GDB_ENTRY}"


GDBINIT_MARK = "# added by `wslgo gdbinit --install` (it rewrites only this and the next line)"
"""The comment written above the source line: what marks a line as wslgo's own."""

GDBINIT_MAX = 1 << 20
"""A ~/.gdbinit larger than this is refused rather than read (it is not a script)."""


def _is_package_loader(line: str) -> bool:
    """A `source` line naming some wslgo package's loader (`.../wslgo/gdbinit/wslgo.py`)."""
    words = line.strip().split(None, 1)
    return (
        len(words) == 2
        and words[0] == "source"
        and words[1].rstrip().replace("\\", "/").endswith("/wslgo/gdbinit/wslgo.py")
    )


def install_gdbinit(home: str) -> str:
    """Add the source line to HOME/.gdbinit once; returns what was done.

    Only lines wslgo wrote (the line after GDBINIT_MARK) or that source a wslgo package's
    own loader are replaced; line endings, permissions and a symlinked ~/.gdbinit are kept,
    and the new text is written to a temporary file renamed over the old one."""
    import stat
    import tempfile

    from wslgo import _native

    if not home:
        raise ValueError("HOME is empty: set HOME to your home directory")
    if not os.path.isabs(home) or not os.path.isdir(home):
        raise ValueError(f"HOME={home!r} is not an existing absolute directory")
    link = os.path.join(home, ".gdbinit")
    path = os.path.realpath(link)  # a symlinked ~/.gdbinit: edit its target, keep the link
    line = gdbinit_line()
    data = b""
    mode = None
    if os.path.lexists(path):
        _native.check_regular_file(path, "a regular file; not touching it")
        st = os.stat(path)
        if st.st_size > GDBINIT_MAX:
            raise ValueError(f"{path} is {st.st_size} bytes; not a gdb script, not touching it")
        mode = stat.S_IMODE(st.st_mode)
        with open(path, "rb") as f:
            data = f.read(GDBINIT_MAX + 1)
    text = data.decode("utf-8", "surrogateescape")
    lines = text.splitlines(keepends=True)
    eol = "\r\n" if "\r\n" in text else "\n"
    bare = [x.rstrip("\r\n") for x in lines]
    if line in bare:
        return f"{link}: already sources wslgo ({line})"
    ours = [
        i
        for i, x in enumerate(bare)
        if x.strip().startswith("source")
        and (_is_package_loader(x) or (i > 0 and bare[i - 1].strip() == GDBINIT_MARK))
    ]
    if ours:
        first = ours[0]
        ending = lines[first][len(bare[first]) :] or eol
        lines[first] = line + ending
        drop = set(ours[1:])
        drop |= {i - 1 for i in ours[1:] if i > 0 and bare[i - 1].strip() == GDBINIT_MARK}
        lines = [x for i, x in enumerate(lines) if i not in drop]
        done = f"{link}: updated the wslgo line to {line}"
    else:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += eol
        lines += [GDBINIT_MARK + eol, line + eol]
        done = f"{link}: added {line}"
    out = "".join(lines).encode("utf-8", "surrogateescape")
    fd, tmp = tempfile.mkstemp(prefix=".gdbinit.", suffix=".wslgo-tmp", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(out)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode if mode is not None else 0o644 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return done


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def cmd_gdbinit(args: argparse.Namespace) -> int:
    if args.install:
        from pathlib import Path

        home = os.environ["HOME"] if "HOME" in os.environ else str(Path.home())
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


#: The modules that register subcommands, in the order `wslgo --help` lists them: the module,
#: its function that adds its commands to the subparsers, and those commands' names.
#: `wslgo CMD` imports only CMD's module; the help and an unknown command import them all
#: (tests/py/test_cli.py checks the names against what the functions register).
REGISTRARS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("wslgo.report", "add_goroutine_commands", ("goroutines",)),
    ("wslgo.waitscli", "add_waits_command", ("waits",)),
    ("wslgo.snapshots", "add_diff_command", ("diff",)),
    ("wslgo.htmlreport", "add_report_command", ("report",)),
    ("wslgo.leakscli", "add_leaks_command", ("leaks",)),
    ("wslgo.symbolize", "add_symbol_commands", ("symbolize", "lookup", "info")),
    ("wslgo.wslcli", "add_wsl_commands", ("why", "doctor", "diagnose-log", "vscode", "path-map")),
)

#: Each command's registrar (one of REGISTRARS).
COMMANDS = {name: r for r in REGISTRARS for name in r[2]}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `wslgo` parser: every subcommand, or with ``command`` (one of COMMANDS) only
    the ones its module registers (besides `gdbinit` and `version`)."""
    import argparse
    import importlib

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
    for module, adder, _ in [COMMANDS[command]] if command in COMMANDS else REGISTRARS:
        getattr(importlib.import_module(module), adder)(sub)
    return p


def _parse(argv: list[str]) -> Any:
    """The parsed arguments (None: the help was printed)."""
    args: Any = None
    if argv[:1] == ["symbolize"]:  # the hot path: no argparse unless the options need it
        from wslgo.symbolize import quick_symbolize_args

        args = quick_symbolize_args(argv[1:])
    if args is None:
        parser = build_parser(argv[0] if argv else None)
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return None
    return args


def _say(line: str) -> None:
    """One line on stderr, written with as little memory as possible (it may be short)."""
    try:
        os.write(2, (line + "\n").encode("utf-8", "replace"))
    except OSError:
        pass


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    prefix = f"wslgo {argv[0]}" if argv and not argv[0].startswith("-") else "wslgo"
    try:
        args = _parse(argv)
        if args is None:
            return 2
        prefix = f"wslgo {args.command}"
        try:
            from wslgo import _native

            _native.exit_on_oom(prefix)  # a failed native allocation: one line, exit 1
        except (ImportError, AttributeError):
            pass  # `wslgo version` reports a broken native module itself
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
    except MemoryError as e:
        more = f": {e}" if str(e) else ""
        _say(f"{prefix}: out of memory (Python{more}; is `ulimit -v` too small?)")
        return 1
    except ImportError as e:  # under a tight `ulimit -v`, loading a module can fail
        _say(f"{prefix}: cannot load {e.name or 'a module'}: {' '.join(str(e).split())}")
        return 1
    except Exception as e:  # one line, never a traceback
        _say(f"{prefix}: {' '.join(str(e).split()) or type(e).__name__}")
        return 1
    except BaseException as e:  # pyo3's PanicException (a native bug): still one line
        if isinstance(e, SystemExit):
            raise
        _say(f"{prefix}: internal error: {' '.join(str(e).split())[:300]}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
