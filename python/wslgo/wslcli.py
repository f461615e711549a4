"""CLI subcommands for WSL debugging: `wslgo why`, `doctor`, `diagnose-log`, `vscode`,
`path-map`. Pure Python; errors are exceptions that `wslgo.cli.main` prints as one line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from wslgo import _native, diagnose, doctor, pathmap, vscode, why
from wslgo.text import esc_path


def _map(args: argparse.Namespace) -> _native.PathMap:
    """The config file's rules, then --launch-json, then each --map FROM=TO."""
    launch = getattr(args, "launch_json", None)
    ws = str(Path(launch).resolve().parent.parent) if launch else None
    pm, warnings = pathmap.load(launch_json=launch, workspace=ws)
    for w in warnings:
        print(w, file=sys.stderr)
    for rule in getattr(args, "map", None) or []:
        frm, sep, to = rule.partition("=")
        if not sep:
            raise ValueError(f"--map {rule!r}: expected FROM=TO")
        pm.add(frm, to, "--map")
    return pm


def cmd_why(args: argparse.Namespace) -> int:
    fl = why.file_line(args.location)
    if fl is None:
        raise ValueError(f"expected FILE:LINE, got {esc_path(args.location)}")
    file, line = fl
    syms = _native.Symbols(args.binary)
    w = why.explain(syms, args.binary, file, line, _map(args))
    if args.json:
        print(json.dumps(why.why_json(w)))
    else:
        print("\n".join(why.format_why(w)))
    return 0 if w.resolves else 1


def cmd_doctor(args: argparse.Namespace) -> int:
    host = doctor.Host.current()
    if args.root:
        host.root = Path(args.root)
    rows = doctor.run_checks(host, program=args.binary, port=args.port, pathmap=_map(args))
    if args.json:
        print(json.dumps(doctor.to_json(rows)))
    else:
        print("\n".join(doctor.format_table(rows)))
    return doctor.exit_code(rows)


def cmd_diagnose(args: argparse.Namespace) -> int:
    r = diagnose.diagnose_path(args.file)
    if args.json:
        print(json.dumps(diagnose.to_json(r)))
    else:
        print("\n".join(diagnose.format_report(r)))
    return 1 if r.hits else 0


def cmd_vscode(args: argparse.Namespace) -> int:
    program = args.program or vscode.DEFAULT_PROGRAM
    if args.program and not program.startswith("$"):
        program = os.path.abspath(program)
    configs = vscode.configurations(program, _map(args), port=args.port)
    if not args.write:
        print(vscode.launch_json(configs), end="")
        return 0
    path, added, skipped = vscode.write(Path(args.folder), configs)
    if added:
        print(f"{path}: added {', '.join(added)}")
    if skipped:
        print(f"{path}: already has {', '.join(skipped)} (left as is)")
    return 0


def cmd_path_map(args: argparse.Namespace) -> int:
    pm = _map(args)
    if args.path:
        for p in args.path:
            if _native.is_windows_path(p):
                print(esc_path(pm.to_local(p)))
            else:
                print(esc_path(pm.to_foreign(p, True, os.environ.get("WSL_DISTRO_NAME"))))
        return 0
    print("\n".join(pathmap.format_rules(pm)))
    return 0


def _map_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--map", action="append", metavar="FROM=TO", help="a path-map rule (repeatable)")
    p.add_argument("--launch-json", metavar="FILE", help="import a VS Code launch.json's rules")


def add_wsl_commands(sub: Any) -> None:
    """Register the WSL subcommands on an argparse subparsers object."""
    w = sub.add_parser("why", help="why a FILE:LINE breakpoint would not resolve or hit")
    w.add_argument("binary", help="the Go binary")
    w.add_argument("location", metavar="FILE:LINE", help="Windows, WSL or module-relative")
    w.add_argument("--json", action="store_true", help="JSON output")
    _map_options(w)
    w.set_defaults(func=cmd_why)
    d = sub.add_parser("doctor", help="check WSL, Go, debuggers and a program (OK/WARN/FAIL)")
    d.add_argument("binary", nargs="?", help="a Go binary to check too")
    d.add_argument("--json", action="store_true", help="JSON output")
    d.add_argument("--port", type=int, default=doctor.DEFAULT_PORT, help="debugger port")
    d.add_argument("--root", help="examine this directory as / (tests, chroots)")
    _map_options(d)
    d.set_defaults(func=cmd_doctor)
    g = sub.add_parser("diagnose-log", help="name known failures in a gdb/delve/VS Code log")
    g.add_argument("file", metavar="FILE|-", help="the log (- for stdin)")
    g.add_argument("--json", action="store_true", help="JSON output")
    g.set_defaults(func=cmd_diagnose)
    v = sub.add_parser("vscode", help="launch.json configurations for cppdbg + gdb + wslgo")
    v.add_argument("--program", help="the Go binary (default: the workspace's folder name)")
    v.add_argument("--write", action="store_true", help="merge into FOLDER/.vscode/launch.json")
    v.add_argument("--folder", default=".", help="the workspace folder (default: .)")
    v.add_argument("--port", type=int, default=doctor.DEFAULT_PORT, help="gdbserver port")
    _map_options(v)
    v.set_defaults(func=cmd_vscode)
    m = sub.add_parser("path-map", help="show the path map or translate paths both ways")
    m.add_argument("path", nargs="*", help="paths to translate (Windows -> WSL, WSL -> Windows)")
    _map_options(m)
    m.set_defaults(func=cmd_path_map)
