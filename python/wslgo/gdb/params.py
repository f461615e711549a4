"""``set wslgo ...`` / ``show wslgo ...`` parameters."""

from __future__ import annotations

import gdb

_params: dict[str, gdb.Parameter] = {}


class _Prefix(gdb.Command):
    def __init__(self, name: str, doc: str) -> None:
        self.__doc__ = doc
        super().__init__(name, gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


class _SetPrefix(_Prefix):
    """Set wslgo options. `help set wslgo` lists them."""


class _ShowPrefix(_Prefix):
    """Show wslgo options. `help show wslgo` lists them."""


def _bool_param(name: str, doc: str, set_doc: str, default: bool) -> gdb.Parameter:
    cls = type(
        f"_Param_{name.replace('-', '_')}",
        (gdb.Parameter,),
        {
            "__doc__": doc,
            "set_doc": set_doc,
            "show_doc": f"Show {set_doc[4:] if set_doc.startswith('Set ') else set_doc}",
            "get_set_string": lambda self: "",
            "get_show_string": lambda self, v: f"wslgo {name} is {v}.",
        },
    )
    p = cls(f"wslgo {name}", gdb.COMMAND_DATA, gdb.PARAM_BOOLEAN)
    p.value = default
    return p


def register() -> None:
    """Create the prefixes and the core parameters (later features add their own)."""
    if _params:
        return
    _SetPrefix("set wslgo", "Set wslgo options. `help set wslgo` lists them.")
    _ShowPrefix("show wslgo", "Show wslgo options. `help show wslgo` lists them.")
    _params["verbose"] = _bool_param(
        "verbose",
        "When on, a failing wslgo command prints its Python traceback after the one-line error.",
        "Set whether wslgo prints tracebacks for errors.",
        False,
    )


def add(name: str, param: gdb.Parameter) -> None:
    """Record a parameter created elsewhere so :func:`get` finds it."""
    _params[name] = param


def get(name: str) -> object:
    """Current value of ``wslgo NAME``."""
    p = _params.get(name)
    return None if p is None else p.value


def verbose() -> bool:
    """True when ``set wslgo verbose on``."""
    return bool(get("verbose"))
