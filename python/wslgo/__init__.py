"""wslgo: a gdb companion for Go programs on Linux and WSL2.

The package is plain Python on top of the native module :mod:`wslgo._native` (Rust, abi3).
Only :mod:`wslgo.gdb` imports gdb; everything else is usable from the CLI and tests.
"""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

#: Directory of the installed package (``.../site-packages/wslgo``).
PACKAGE_DIR = Path(__file__).resolve().parent

#: The file users ``source`` from ~/.gdbinit.
GDB_ENTRY = PACKAGE_DIR / "gdbinit" / "wslgo.py"


def native_path() -> str:
    """Path of the loaded native module (raises ImportError if it can't be loaded)."""
    from wslgo import _native

    return str(getattr(_native, "__file__", "?"))
