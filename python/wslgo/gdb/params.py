"""``set wslgo ...`` / ``show wslgo ...``: how a module declares its settings.

Each module declares the settings it reads, at import, with :func:`boolean`,
:func:`choice` or :func:`filename`; ``show wslgo`` lists every one with its value.
``verbose`` is declared here and handed to the error path of every command
(:mod:`wslgo.gdb.commands`, the layer below).
"""

from __future__ import annotations

from typing import Callable

import gdb

from wslgo.gdb import commands

OnSet = Callable[[], None]


class Registry:
    """Every wslgo setting, by name (without the ``wslgo`` prefix)."""

    def __init__(self) -> None:
        self.params: dict[str, gdb.Parameter] = {}
        self.prefixes: list[gdb.Command] = []

    def _prefixes(self) -> None:
        if not self.prefixes:
            data, none = gdb.COMMAND_DATA, gdb.COMPLETE_NONE
            self.prefixes = [
                commands.raw(
                    "set wslgo",
                    "Set wslgo options. `help set wslgo` lists them.",
                    category=data,
                    complete=none,
                    prefix=True,
                ),
                commands.raw(
                    "show wslgo",
                    "Show wslgo options: every setting with its value. "
                    "`help show wslgo` lists them.",
                    lambda arg, from_tty: gdb.write(self.show_all()),
                    category=data,
                    complete=none,
                    prefix=True,
                    repeat=True,
                    guarded=False,
                ),
            ]

    def declare(
        self,
        name: str,
        kind: int,
        doc: str,
        set_doc: str,
        default: object,
        on_set: OnSet | None,
        choices: list[str] | None = None,
    ) -> gdb.Parameter:
        existing = self.params.get(name)
        if existing is not None:
            return existing
        self._prefixes()

        def get_set_string(self: gdb.Parameter) -> str:
            if on_set is not None:
                try:
                    on_set()
                except Exception as e:  # a listener must not turn `set` into a traceback
                    gdb.write(f"wslgo: set {name}: {' '.join(str(e).split())}\n", gdb.STDERR)
            return ""

        cls = type(
            f"_Param_{name.replace('-', '_')}",
            (gdb.Parameter,),
            {
                "__doc__": doc,
                "set_doc": set_doc,
                "show_doc": "Show" + set_doc.removeprefix("Set"),
                "get_set_string": get_set_string,
                "get_show_string": lambda self, v: (
                    f"wslgo {name} is {v}." if v else f"wslgo {name} is not set."
                ),
            },
        )
        args: tuple[object, ...] = (f"wslgo {name}", gdb.COMMAND_DATA, kind)
        p = cls(*args, choices) if choices is not None else cls(*args)
        p.value = default
        self.params[name] = p
        return p

    def show_all(self) -> str:
        """``wslgo NAME is VALUE.``, one line per setting, by name."""
        return "".join(
            p.get_show_string(_spelled(p.value)).rstrip("\n") + "\n"
            for _, p in sorted(self.params.items())
        )


def _spelled(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


REGISTRY = Registry()


def boolean(
    name: str, doc: str, set_doc: str, default: bool, on_set: OnSet | None = None
) -> gdb.Parameter:
    """Declare the on/off setting ``wslgo NAME`` (``on_set()`` runs after each `set`)."""
    return REGISTRY.declare(name, gdb.PARAM_BOOLEAN, doc, set_doc, default, on_set)


def choice(
    name: str,
    doc: str,
    set_doc: str,
    choices: list[str],
    default: str,
    on_set: OnSet | None = None,
) -> gdb.Parameter:
    """Declare ``wslgo NAME`` taking one of ``choices``."""
    return REGISTRY.declare(name, gdb.PARAM_ENUM, doc, set_doc, default, on_set, choices)


def filename(name: str, doc: str, set_doc: str, on_set: OnSet | None = None) -> gdb.Parameter:
    """Declare ``wslgo NAME`` taking a file name (empty: none)."""
    return REGISTRY.declare(name, gdb.PARAM_OPTIONAL_FILENAME, doc, set_doc, "", on_set)


VERBOSE = boolean(
    "verbose",
    "When on, a failing wslgo command prints its Python traceback after the one-line error.",
    "Set whether wslgo prints tracebacks for errors.",
    False,
)


class Held:
    """One of gdb's own on/off settings that wslgo holds at ``value`` for a while and then
    gives back (only when it changed it)."""

    def __init__(self, name: str, value: bool) -> None:
        self.name, self.value, self.holding = name, value, False

    def hold(self) -> None:
        if bool(gdb.parameter(self.name)) != self.value:
            gdb.execute(f"set {self.name} {'on' if self.value else 'off'}", to_string=True)
            self.holding = True

    def release(self) -> None:
        if self.holding:
            self.holding = False
            gdb.execute(f"set {self.name} {'off' if self.value else 'on'}", to_string=True)


def verbose() -> bool:
    """True when ``set wslgo verbose on``."""
    return bool(VERBOSE.value)


commands.TABLE.verbose = verbose  # the commands' error path asks this
