"""Small always-available commands: ``wslgo-version``, ``wslgo-info``."""

from __future__ import annotations

import argparse
import sys

import gdb

import wslgo
from wslgo import _native
from wslgo.gdb import commands, program

_version = commands.parser(
    "wslgo-version",
    "Show wslgo's version and where its package and native module were loaded from.",
)


@commands.command("wslgo-version", _version)
def wslgo_version(args: argparse.Namespace) -> None:
    gdb.write(
        f"wslgo {wslgo.__version__} (native {_native.version()})\n"
        f"  package: {wslgo.PACKAGE_DIR}\n"
        f"  native:  {wslgo.native_path()}\n"
        f"  gdb's Python: {sys.version.split()[0]} ({sys.executable or 'embedded'})\n"
    )


_info = commands.parser(
    "wslgo-info",
    "Show what wslgo knows about the loaded Go program: Go version, build settings, debug info.",
)


@commands.command("wslgo-info", _info)
def wslgo_info(args: argparse.Namespace) -> None:
    prog = program.current()
    b = prog.binary
    gdb.write(prog.describe() + "\n")
    gdb.write(f"  path:     {prog.path}\n  arch:     {b.arch}{' (PIE)' if b.is_pie else ''}\n")
    gdb.write(f"  build-id: {b.build_id or '-'}\n")
    try:
        info = b.build_info()
    except _native.WslgoError as e:
        gdb.write(f"  build info: {e}\n")
        return
    gdb.write(f"  package:  {info['path']}\n")
    for k, v in info["settings"]:
        gdb.write(f"  build     {k}={v}\n")
