"""wslgo: a gdb companion for Go programs on Linux and WSL2.

The package is plain Python on top of the native module :mod:`wslgo._native` (Rust, abi3).
Only :mod:`wslgo.gdb` imports gdb; everything else is usable from the CLI and tests.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

__version__ = "0.1.0"

# PACKAGE_DIR (directory of the installed package, ``.../site-packages/wslgo``) and
# GDB_ENTRY (the file users ``source`` from ~/.gdbinit) are pathlib.Path objects made on
# first use: importing pathlib costs more than `wslgo symbolize` on 1,000 pcs.
PACKAGE_DIR: Path
GDB_ENTRY: Path


def __getattr__(name: str) -> Path:
    if name in ("PACKAGE_DIR", "GDB_ENTRY"):
        from pathlib import Path

        pkg = Path(__file__).resolve().parent
        globals().update(PACKAGE_DIR=pkg, GDB_ENTRY=pkg / "gdbinit" / "wslgo.py")
        found: Path = globals()[name]
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def native_path() -> str:
    """Path of the loaded native module (raises ImportError if it can't be loaded)."""
    from wslgo import _native

    return str(getattr(_native, "__file__", "?"))
