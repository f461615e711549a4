"""runtime-gdb.py's commands, done by wslgo: ``info goroutines``,
``goroutine <id|all> <gdb command>`` and ``iface <expr>``, and living next to runtime-gdb.py
when gdb loaded it too.

``info goroutines`` keeps runtime-gdb.py's line shape (``*`` for a goroutine on an M, the
goroutine id, its status) and names the goroutine's user frame instead of
``runtime.gopark``. ``goroutine`` runs a gdb command in a goroutine's context through
:mod:`wslgo.gdb.cmds.goroutine`'s switching (the unwinder: nothing is written to the inferior,
so it works on cores); ``goroutine all`` reads the goroutine list once and switches
through it with :func:`wslgo.gdb.cmds.goroutine.run_in_each`.

Coexistence: runtime-gdb.py (sourced, or auto-loaded through gdb's safe-path) registers
commands and functions of the same names, and printers in the Go objfile's own list (which
gdb asks before its global one). :meth:`Compat.sync` runs when wslgo is set up, after every
``source`` command (gdb's ``hookpost-source``) and when gdb loads an objfile (auto-load runs
before Python's new_objfile event), so whichever loads last, wslgo's commands are the ones
gdb runs, wslgo's printers come first in Go objfiles, and wslgo says so in one line.
``set wslgo compat off`` hands runtime-gdb.py's commands, functions and printers back and
never replaces them again.

gdb's auto-load safe-path warning: a Go executable names runtime-gdb.py in its
``.debug_gdb_scripts``; gdb declines it (10 lines) unless the safe-path allows it.
:class:`AutoLoad` turns ``auto-load python-scripts`` off from before gdb reads the Go
executable's scripts (the clear_objfiles event of a new program; during gdb's startup, until
it settles) and back to the user's value at the next objfile (a shared library: a C
library's printers still load) or prompt. Only the Go executable's own scripts are skipped,
and only when gdb would decline (or miss) them: with runtime-gdb.py in the safe-path gdb
loads it, and the next :func:`sync` (prompt, objfile) makes wslgo's take precedence.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any, cast

import gdb

from wslgo import _native, report, safepath
from wslgo.gdb import commands, params, program
from wslgo.gdb.cmds import goroutine
from wslgo.gdb.printers import gotypes, printers, values

#: runtime-gdb.py's command and function classes (in gdb's ``__main__``, where gdb runs
#: sourced and auto-loaded scripts) -> what each registers.
THEIR_COMMANDS = {
    "GoroutinesCmd": "info goroutines",
    "GoroutineCmd": "goroutine",
    "GoIfaceCmd": "iface",
    "GoLenFunc": "$len",
    "GoCapFunc": "$cap",
    "DTypeFunc": "$dtype",
}

#: gdb's post-hook of `source` runs SYNC_COMMAND: a runtime-gdb.py sourced later is replaced.
SOURCE_HOOK = "hookpost-source"
SYNC_COMMAND = "wslgo-compat"

COMPAT = params.boolean(
    "compat",
    "When on (the default), wslgo provides runtime-gdb.py's `info goroutines`,\n"
    "`goroutine <id|all> <command>`, `iface`, $len, $cap, $dtype and value printers, and\n"
    "takes precedence over runtime-gdb.py when gdb loads it too. When off, wslgo leaves\n"
    "runtime-gdb.py's commands, functions and printers alone (and gives back the ones it\n"
    "replaced).",
    "Set whether wslgo replaces runtime-gdb.py's commands, functions and printers.",
    True,
    on_set=lambda: sync(),
)


def runtime_gdb_classes() -> dict[str, Any]:
    """runtime-gdb.py's command and function classes by name, {} when it is not loaded."""
    main = sys.modules.get("__main__")
    found = {name: getattr(main, name, None) for name in THEIR_COMMANDS}
    if any(not isinstance(cls, type) for cls in found.values()):
        return {}
    return found


# ---------------------------------------------------------------------------- info goroutines


def info_goroutines() -> None:
    """runtime-gdb.py's lines, made natively from the stop's snapshot (the stacks down to
    each user frame, shared with `wslgo-bt -l`)."""
    text = report.render_native(program.snapshot("user"), "info-goroutines", report.Filter())
    if text["text"]:
        gdb.write(text["text"] + "\n")


# ---------------------------------------------------------------------------- goroutine N cmd

_USAGE = "usage: goroutine <id|all> <gdb command>   e.g. `goroutine 1 bt`, `goroutine all bt`"


def goroutine_command(arg: str) -> None:
    words = commands.first_word_and_rest(arg)
    if len(words) != 2:
        raise commands.UsageError(f"goroutine: {_USAGE}")
    which, cmd = words
    if which != "all":
        goroutine.run_in(goroutine.find(goroutine.parse_goid(which, "goroutine")), cmd)
        return
    with report.gc_paused():
        recs = program.goroutines(max_depth=0)
    goroutine.run_in_each(_readable(sorted(recs, key=lambda r: r["goid"])), cmd)


def _readable(recs: list[program.Record]) -> Iterator[goroutine.Goroutine]:
    """The goroutines of ``recs``; an unreadable record is said on stderr in its turn."""
    for r in recs:
        if r.get("error"):
            gdb.write(f"goroutine {r['goid']}: unreadable: {r['error']}\n", gdb.STDERR)
            continue
        yield goroutine.Goroutine.from_record(cast("_native.GoroutineDict", r))


def iface_command(arg: str) -> None:
    """``iface <expr>...``: each interface's static and dynamic type (runtime-gdb.py's line),
    one line per expression; a bad one says why and the rest still print."""
    try:
        exprs = gdb.string_to_argv(arg)
    except gdb.error as e:
        raise commands.UsageError(f"iface: {e}") from None
    if not exprs:
        raise commands.UsageError("iface: usage: iface <expr>...   e.g. `iface err`")
    for expr in exprs:
        try:
            v = gdb.parse_and_eval(expr)
        except gdb.error as e:
            gdb.write(f"iface: {expr}: {' '.join(str(e).split())}\n", gdb.STDERR)
            continue
        try:
            gdb.write(values.iface(v) + "\n")
        except (gdb.error, gdb.GdbError) as e:  # the message names iface
            gdb.write(f"{' '.join(str(e).split())}\n", gdb.STDERR)


# ---------------------------------------------------------------------------- the gdb commands


_INFO_GOROUTINES_DOC = (
    "List every goroutine: `*` when on an M, id, status, user frame (wslgo; the shape of\n"
    "    runtime-gdb.py's list). `wslgo-bt --list` is the richer view."
)

_GOROUTINE_DOC = """Run a gdb command in the context of goroutine <id>, or of each goroutine (all).

    Usage: goroutine <id|all> <gdb command>, e.g. `goroutine 1 bt`, `goroutine all bt`.
    wslgo shows the goroutine to gdb through an unwinder (see `help wslgo-goroutine`):
    nothing is written to the program, so it works on core files too. A parked
    goroutine's frames start at #1 (#0 is the thread's own frame, hidden)."""

_IFACE_DOC = """Print the static and dynamic type of Go interface values: `iface err` says
    `error: *errors.errorString` (wslgo; runtime-gdb.py's line). `p $dtype(err)` gives the
    value inside."""


def _register_commands() -> list[gdb.Command]:
    """wslgo's ``info goroutines``, ``goroutine`` and ``iface`` (each call registers them
    again: the last command of a name is the one gdb runs)."""
    stack = gdb.COMMAND_STACK
    return [
        commands.raw(
            "info goroutines",
            _INFO_GOROUTINES_DOC,
            lambda arg, from_tty: info_goroutines(),
            category=stack,
            complete=gdb.COMPLETE_NONE,
        ),
        commands.raw(
            "goroutine",
            _GOROUTINE_DOC,
            lambda arg, from_tty: goroutine_command(arg),
            category=stack,
            complete=gdb.COMPLETE_NONE,
        ),
        commands.raw(
            "iface",
            _IFACE_DOC,
            lambda arg, from_tty: iface_command(arg),
            category=gdb.COMMAND_DATA,
            complete=gdb.COMPLETE_SYMBOL,
        ),
    ]


# ---------------------------------------------------------------------------- coexistence


class Compat:
    """Whose ``info goroutines`` / ``goroutine`` gdb runs (one per session)."""

    def __init__(self) -> None:
        self.ours: list[gdb.Command] = []
        #: runtime-gdb.py's classes wslgo last replaced (a new load makes new classes).
        self.replaced: dict[str, Any] = {}

    def _claim(self, functions: bool) -> None:
        self.ours = _register_commands()
        if functions:
            values.register()  # the last gdb.Function of a name is the one gdb calls

    def sync(self) -> None:
        """Make gdb's commands, functions and printers wslgo's or runtime-gdb.py's per
        ``set wslgo compat``."""
        theirs = runtime_gdb_classes()
        _printers(COMPAT.value)
        if not COMPAT.value:
            if self.replaced and theirs:
                for cls in theirs.values():
                    cls()  # registering again gives gdb's command back to runtime-gdb.py
                self.replaced = {}
                gdb.write("wslgo: runtime-gdb.py's commands, functions and printers are back\n")
            return
        if not theirs:
            if not self.ours:
                self._claim(functions=False)
            return
        if theirs == self.replaced:
            return
        self._claim(functions=True)
        self.replaced = theirs
        gdb.write(
            "wslgo: runtime-gdb.py is loaded too; wslgo's printers, commands and $len/$cap/"
            "$dtype take precedence (set wslgo compat off to keep runtime-gdb.py's)\n"
        )


def _holds_theirs(objfile: gdb.Objfile) -> bool:
    """True when ``objfile`` holds printers of a script gdb ran (runtime-gdb.py's matchers)."""
    return any(getattr(p, "__module__", None) == "__main__" for p in objfile.pretty_printers)


def _printers(ours: bool) -> None:
    """wslgo's printers first in each Go objfile's own list (runtime-gdb.py replaces that
    list when it loads, so this runs again after it), or only in gdb's global list."""
    for objfile in gdb.objfiles():
        if not ours:
            printers.unclaim(objfile)
        elif gotypes.is_go_objfile(objfile) or _holds_theirs(objfile):
            printers.claim(objfile)


COMPAT_STATE = Compat()

#: gdb's setting that :class:`AutoLoad` turns off for the Go executable.
PYTHON_SCRIPTS = "auto-load python-scripts"


class AutoLoad:
    """Skips gdb's auto-loading of the Go executable's scripts (runtime-gdb.py) where gdb
    would decline them with its safe-path warning (or miss them), and only those: ``auto-load
    python-scripts`` is held off from before gdb reads the Go executable to the next objfile
    or prompt. When the safe-path allows every script the executable names, gdb loads
    runtime-gdb.py as usual and the next :func:`sync` puts wslgo's commands first.

    When gdb reads the scripts (gdb 13): a ``file``, ``core`` or ``attach`` reads them before
    Python's new_objfile event, so the hold starts at the clear_objfiles event, which comes
    before gdb reads a new main program (the progspace already names it). During gdb's
    startup (the program, core or pid on its command line) auto-loading waits until every
    objfile of the core or process is loaded, so the hold lasts until gdb has settled: the
    first prompt, or the program resumed after the hold began."""

    def __init__(self) -> None:
        self.setting = params.Held(PYTHON_SCRIPTS, False)
        self.settled = False
        self._known: tuple[object] | None = None

    def release(self) -> None:
        """Give the user's ``auto-load python-scripts on`` back."""
        self.setting.release()

    def settle(self) -> None:
        """gdb showed a prompt or resumed the program: its startup is over."""
        self.settled = True
        self.setting.release()

    def resumed(self) -> None:
        """The program resumed: after the hold began, that is a `run` or `continue` past
        startup (attaching resumes threads before gdb reads the executable)."""
        if self.setting.holding:
            self.settle()

    def before_program(self, go_executable: _native.Binary | None, known: object) -> None:
        """gdb is about to read a new main program (the clear_objfiles event);
        ``known``: the session's program before this one was opened for the check."""
        self._known = (known,)
        if go_executable is None:
            self.setting.release()
        else:
            self._hold_for(go_executable)

    def known_before(self, current: object) -> object:
        """The program the session had before :meth:`before_program` opened the new one
        (so the new_objfile event still announces it once), else ``current``."""
        known, self._known = self._known, None
        return current if known is None else known[0]

    def new_objfile(self, go_executable: _native.Binary | None) -> None:
        """Called first in the new_objfile event; ``go_executable``: the objfile's binary
        when it is the Go executable."""
        if go_executable is None:
            if self.settled:
                self.setting.release()
            return
        self._hold_for(go_executable)

    def _hold_for(self, go_executable: _native.Binary) -> None:
        if not COMPAT.value:
            self.setting.release()
            return
        try:
            scripts = go_executable.gdb_python_scripts()
        except _native.WslgoError:
            scripts = []  # gdb cannot read them either: nothing it would load
        if scripts and all(gdb_would_load(path) for path in scripts):
            self.setting.release()
            return
        self.setting.hold()


def gdb_would_load(path: str) -> bool:
    """True when gdb's auto-load would run the script at ``path`` without a warning: it
    exists and the ``auto-load safe-path`` allows it (gdb checks the real path it opened)."""
    dirs = safepath.directories(
        str(gdb.parameter("auto-load safe-path") or ""),
        str(gdb.parameter("debug-file-directory") or ""),
        str(gdb.parameter("data-directory") or ""),
    )
    return os.path.isfile(path) and safepath.is_safe(os.path.realpath(path), dirs)


AUTOLOAD = AutoLoad()


def sync() -> None:
    """:meth:`Compat.sync` of the session (the events and the ``source`` hook call it)."""
    COMPAT_STATE.sync()


_sync_parser = commands.parser(
    SYNC_COMMAND,
    "Make wslgo's runtime-gdb.py commands the ones gdb runs (`set wslgo compat`).",
    epilog="gdb's hookpost-source runs this, so a runtime-gdb.py sourced later is replaced too.",
)


@commands.command(SYNC_COMMAND, _sync_parser)
def wslgo_compat(args: object) -> None:
    sync()
