"""CLI commands over the symbol engine: `wslgo symbolize`, `wslgo lookup`, `wslgo info`.

Pure Python (no gdb). Batches go to the native module in one call. Errors surface as
exceptions; `wslgo.cli.main` prints them as one line and exits non-zero.
"""

from __future__ import annotations

import sys

# Only what `wslgo symbolize` needs is imported at run time (json for --json in lookup/info
# is imported there): the CLI's start-up is a large part of a 1,000-pc job.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterable
    from typing import Any, TextIO


class UsageError(ValueError):
    """Bad user input (an address that is not hex, a malformed FILE:LINE)."""


def parse_address(text: str) -> int:
    """Parse an address the way addr2line does: hex, with or without 0x."""
    s = text.strip()
    digits = s[2:] if s.lower().startswith("0x") else s
    if not digits or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise UsageError(f'bad address "{text.strip()}": expected hex like 0x4011c0')
    value = int(digits, 16)
    if value >= 1 << 64:
        raise UsageError(f'bad address "{text.strip()}": more than 64 bits')
    return value


def parse_file_line(text: str) -> tuple[str, int] | None:
    """Split FILE:LINE; None if TEXT is not of that form."""
    file, sep, line = text.rpartition(":")
    if not sep or not file or not line.isdigit():
        return None
    return file, int(line)


def _symbols(path: str) -> Any:
    from wslgo import _native

    return _native.Symbols(path)


class _SymbolizeArgs:
    """What `wslgo symbolize` needs from its command line (argparse.Namespace's fields)."""

    command = "symbolize"

    def __init__(self, binary: str, addrs: list[str], flags: set[str]) -> None:
        self.binary = binary
        self.addrs = addrs
        self.inlines = "inlines" in flags
        self.json = "json" in flags
        self.addresses = "addresses" in flags
        self.func = cmd_symbolize


_FLAGS = {
    "--inlines": "inlines",
    "-i": "inlines",
    "--json": "json",
    "--addresses": "addresses",
    "-a": "addresses",
}


def quick_symbolize_args(argv: list[str]) -> Any:
    """Parse `wslgo symbolize`'s arguments without argparse (its import is most of the
    start-up): BINARY [ADDR...] and the flags, in any order. None for anything else
    (--help, bundled or unknown options, no binary): the caller then uses the full parser,
    which prints help and usage errors."""
    flags: set[str] = set()
    pos: list[str] = []
    only_pos = False
    for a in argv:
        if only_pos or not a.startswith("-") or a == "-":
            pos.append(a)
        elif a == "--":
            only_pos = True
        elif a in _FLAGS:
            flags.add(_FLAGS[a])
        else:
            return None
    if not pos:
        return None
    return _SymbolizeArgs(pos[0], pos[1:], flags)


def cmd_symbolize(args: argparse.Namespace) -> int:
    """Answer every address; one that is not hex is reported on stderr (with its line
    number for stdin) and skipped, and the exit status is then 1."""
    syms = _symbols(args.binary)
    out: TextIO = sys.stdout
    opts = {"inlines": args.inlines, "json": args.json, "addresses": args.addresses}
    bad: list[str] = []
    if args.addrs:
        pcs = []
        for a in args.addrs:
            try:
                pcs.append(parse_address(a))
            except UsageError as e:
                bad.append(str(e))
        _write(out, syms.symbolize(pcs, **opts))
        return _report_bad(out, bad)
    stdin: TextIO = sys.stdin
    if stdin.isatty():  # interactive: answer line by line
        for n, line in enumerate(stdin, 1):
            if line.strip():
                try:
                    pc = parse_address(line)
                except UsageError as e:
                    bad.append(f"line {n}: {e}")
                    _report_bad(out, bad[-1:])
                    continue
                _write(out, syms.symbolize([pc], **opts))
                out.flush()
        return 1 if bad else 0
    # Batch input: parsed, symbolized and formatted in Rust, written in ~64 KiB chunks.
    out.flush()
    raw_in = getattr(stdin, "buffer", None)
    data = raw_in.read() if raw_in is not None else stdin.read().encode()
    raw_out = getattr(out, "buffer", None)
    if raw_out is not None:
        _, skipped = syms.symbolize_stream(data, raw_out.write, **opts)
    else:  # a text-only stream (tests, embedding)
        _, skipped = syms.symbolize_stream(data, lambda b: out.write(b.decode()), **opts)
    return _report_bad(out, [f"line {n}: {msg}" for n, msg in skipped])


def _report_bad(out: TextIO, bad: list[str]) -> int:
    """Print each skipped input on stderr (after the answers so far); the exit status."""
    if not bad:
        return 0
    out.flush()
    for msg in bad:
        print(f"wslgo symbolize: {msg}", file=sys.stderr)
    return 1


def _write(out: TextIO, lines: Iterable[str]) -> None:
    """Write ``lines`` in chunks of ~64 KiB, like the native stream: a reader that goes
    away (`| head`) is noticed at the next chunk."""
    chunk: list[str] = []
    size = 0
    for line in lines:
        chunk.append(line)
        size += len(line) + 1
        if size >= 1 << 16:
            out.write("\n".join(chunk) + "\n")
            chunk, size = [], 0
    if chunk:
        out.write("\n".join(chunk) + "\n")


def cmd_lookup(args: argparse.Namespace) -> int:
    import json
    from argparse import ArgumentTypeError

    from wslgo.argtypes import line_number
    from wslgo.text import esc

    fl = parse_file_line(args.what)
    if fl is not None:
        try:
            line_number(str(fl[1]))
        except ArgumentTypeError as e:
            raise UsageError(f"{args.what}: {e}") from None
    syms = _symbols(args.binary)
    rows: list[dict[str, Any]] = []
    if fl is not None:
        from wslgo.pathmap import resolve_file  # Windows paths, the path map

        file, line = fl
        matched, addrs = syms.line_addresses(resolve_file(syms, file), line)
        rows = [{"file": matched, "line": line, "address": a} for a in addrs]
        text = [f"{a:#x} {esc(matched)}:{line}" for a in addrs]
    else:
        found = syms.lookup(args.what)
        rows = [{"name": n, "entry": e, "end": end} for n, e, end in found]
        text = [f"{e:#x}-{end:#x} {esc(n)}" for n, e, end in found]
    if args.json:
        print(json.dumps(rows))
    else:
        _write(sys.stdout, text)
    return 0


def format_info(info: dict[str, Any]) -> list[str]:
    """Human-readable lines of `Symbols.info()`."""
    from wslgo.text import esc

    yn = {True: "yes", False: "no"}
    settings = ", ".join(f"{esc(k)}={esc(v)}" for k, v in info["settings"]) or "-"
    module = info["main_module"]
    main = esc(info["main_path"] or "-")
    if module:
        main += f" (module {esc(module[0])} {esc(module[1])})"
    if info["dwarf"]:
        dwarf = "yes"
        if info["dwarf_version"]:
            dwarf += f", version {info['dwarf_version']}"
        if info["dwarf_compressed"]:
            dwarf += ", compressed"
        if info["dwarf_error"]:
            dwarf += f", unreadable: {esc(info['dwarf_error'])}"
    else:
        dwarf = "no"
    pcln = "yes" if info["pclntab"] else f"no ({info['pclntab_error']})"
    if info["optimized"]:
        opt = "yes"
    else:
        opt = "no (-N" + (" -l)" if info["inlining_disabled"] else ")")
    lines = [
        f"binary:     {esc(info['path'])}",
        f"go:         {esc(info['go_version'] or 'unknown')}",
        f"main:       {main}",
        f"arch:       {info['arch']}{' (PIE)' if info['pie'] else ''}",
        f"build id:   {info['build_id'] or '-'}",
        f"settings:   {settings}",
        f"DWARF:      {dwarf}",
        f"pclntab:    {pcln}",
        f"symtab:     {yn[not info['stripped']]}",
        f"optimized:  {opt}",
    ]
    for hint in info["hints"]:
        lines.append(f"hint: {esc(hint)}")
    return lines


def cmd_info(args: argparse.Namespace) -> int:
    import json

    info = _symbols(args.binary).info()
    if args.json:
        print(json.dumps(info))
    else:
        _write(sys.stdout, format_info(info))
    return 0


def add_symbol_commands(sub: Any) -> None:
    """Register `symbolize`, `lookup` and `info` on an argparse subparsers object."""
    s = sub.add_parser(
        "symbolize",
        help="pc -> function and file:line (like addr2line); addresses from args or stdin",
    )
    s.add_argument("binary", help="the Go binary")
    s.add_argument("addrs", nargs="*", metavar="ADDR", help="hex addresses (default: stdin)")
    s.add_argument("--inlines", "-i", action="store_true", help="show every inlined frame")
    s.add_argument("--json", action="store_true", help="one JSON object per address")
    s.add_argument("--addresses", "-a", action="store_true", help="print each address first")
    s.set_defaults(func=cmd_symbolize)
    lk = sub.add_parser("lookup", help="function name or FILE:LINE -> addresses")
    lk.add_argument("binary", help="the Go binary")
    lk.add_argument("what", metavar="NAME|FILE:LINE", help="e.g. main.(*T).M or main.go:12")
    lk.add_argument("--json", action="store_true", help="JSON output")
    lk.set_defaults(func=cmd_lookup)
    i = sub.add_parser("info", help="build info and debug-info state, with hints")
    i.add_argument("binary", help="the Go binary")
    i.add_argument("--json", action="store_true", help="JSON output")
    i.set_defaults(func=cmd_info)
