"""The gdb side of wslgo: the only package that imports :mod:`gdb`.

:func:`setup` is called once by the ``wslgo.py`` loader. It registers the parameters,
commands and event handlers. Each part registers through :mod:`wslgo.gdb.commands` so help,
argument parsing and error reporting work the same everywhere.
"""

from __future__ import annotations

_done = False


def setup() -> None:
    """Register everything wslgo adds to gdb (idempotent: sourcing twice is harmless)."""
    global _done
    if _done:
        return
    from wslgo.gdb import commands, events, params

    params.register()
    commands.register_builtin()
    events.connect()
    commands.register_prefix()
    _done = True
