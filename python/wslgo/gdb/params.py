"""``set wslgo ...`` / ``show wslgo ...`` parameters."""

from __future__ import annotations

from typing import Callable

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


# gdbhooks: enum parameters and change listeners (stop-context, break-on-panic, ...).
_listeners: dict[str, list[Callable[[], None]]] = {}


def on_change(name: str, fn: Callable[[], None]) -> None:
    """Call ``fn()`` after every ``set wslgo NAME ...``."""
    _listeners.setdefault(name, []).append(fn)


def _changed(name: str) -> str:
    for fn in _listeners.get(name, []):
        fn()
    return ""


def _enum_param(
    name: str, doc: str, set_doc: str, choices: list[str], default: str
) -> gdb.Parameter:
    """Create ``wslgo NAME`` taking one of ``choices`` (listeners run after each set)."""
    cls = type(
        f"_Param_{name.replace('-', '_')}",
        (gdb.Parameter,),
        {
            "__doc__": doc,
            "set_doc": set_doc,
            "show_doc": f"Show {set_doc[4:] if set_doc.startswith('Set ') else set_doc}",
            "get_set_string": lambda self: _changed(name),
            "get_show_string": lambda self, v: f"wslgo {name} is {v}.",
        },
    )
    p = cls(f"wslgo {name}", gdb.COMMAND_DATA, gdb.PARAM_ENUM, choices)
    p.value = default
    _params[name] = p
    return p


def _register_hook_params() -> None:
    _enum_param(
        "stop-context",
        "What wslgo prints when a Go program stops at runtime.Breakpoint(), a fatal signal,\n"
        "a panic breakpoint or a user breakpoint in Go code: off (nothing), brief (the\n"
        "current goroutine's backtrace and a one-line summary of the others) or full.",
        "Set how much goroutine context wslgo prints when the program stops.",
        ["off", "brief", "full"],
        "brief",
    )
    _enum_param(
        "break-on-panic",
        "on: stop when the program is about to die of a panic or a fatal error\n"
        "(runtime.fatalpanic, runtime.fatalthrow), before the traceback is printed.\n"
        "all: also stop at every panic, recovered or not (runtime.gopanic). off: never.",
        "Set whether wslgo stops the program at panics.",
        ["off", "on", "all"],
        "off",
    )
    p = _bool_param(  # its listeners run from get_set_string, see below
        "crash-traceback",
        "When on (the default), programs started under gdb get GOTRACEBACK=crash in their\n"
        'environment (unless you set GOTRACEBACK yourself) and wslgo stores the "crash"\n'
        "level into runtime.traceback_cache when runtime.main starts, so a dying program\n"
        "prints every goroutine with runtime frames and then aborts (core dump).",
        "Set whether wslgo raises the Go traceback level to crash.",
        True,
    )
    type(p).get_set_string = lambda self: _changed("crash-traceback")
    _params["crash-traceback"] = p


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
    _register_hook_params()  # gdbhooks


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
