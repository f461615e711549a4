"""The gdb side of wslgo: the only package that imports :mod:`gdb`.

Importing it declares every wslgo command and setting; :func:`setup` (called once by the
``wslgo.py`` loader) wires them into gdb. :mod:`wslgo.gdb.session.events` is the one module that
does the wiring; see ARCHITECTURE.md for the layers and the import direction.
"""

from __future__ import annotations

from wslgo.gdb.session.events import setup

__all__ = ("setup",)
