"""``set wslgo symbol-file PATH``: names and DWARF of a stripped program from its unstripped
copy, the gdb counterpart of ``wslgo goroutines --symbols UNSTRIPPED``.

The copy must be the same build (:func:`wslgo.symfile.check`, the CLI's check: same ELF
build id); another build is refused with one line and nothing changes. A match becomes
gdb's symbol file (``symbol-file PATH``: gdb's own names, lines, locals and types), and so
the file the wslgo session opens (:mod:`wslgo.gdb.program` follows gdb's symbol file); the
process or core is still the stripped program's. An empty PATH gives the executable's own
symbols back.
"""

from __future__ import annotations

import os

import gdb

from wslgo import symfile
from wslgo.gdb import gofacts, params
from wslgo.gdb.session import stops, stripped
from wslgo.text import esc


class SymbolFile:
    """The symbol file wslgo gave gdb, and the executable it stands for."""

    def __init__(self) -> None:
        #: The stripped executable and its unstripped copy, once set.
        self.executable: str | None = None
        self.path: str | None = None

    def executable_now(self) -> str:
        """The executable gdb debugs: the one our symbol file stands for while it is
        loaded, else gdb's symbol file (which is the executable until replaced)."""
        current = gdb.current_progspace().filename
        if self.path is not None and current == self.path and self.executable is not None:
            return self.executable
        if not current:
            raise gdb.GdbError("no program loaded (use `file PROGRAM` first)")
        return str(current)

    def on_set(self) -> None:
        value = str(SYMBOL_FILE.value or "").strip()
        try:
            self._apply(os.path.expanduser(value) if value else "")
        except (gdb.error, symfile.SymbolFileMismatch):
            SYMBOL_FILE.value = self.path or ""  # refused: the setting keeps what holds
            raise

    def _apply(self, path: str) -> None:
        exe = self.executable_now()
        if not path:
            if self.path is not None:
                _load_symbols(exe)
                self.executable = self.path = None
            return
        symfile.check(exe, path)
        _load_symbols(path)
        self.executable, self.path = exe, path
        gdb.write(
            f"wslgo: names and DWARF of {esc(os.path.basename(exe))} from {esc(path)} "
            "(same build id)\n"
        )


def _load_symbols(path: str) -> None:
    """gdb's ``symbol-file PATH``, without its confirmation question, keeping the selected
    frame (gdb drops its frames when the symbols change; at a Go breakpoint of a stripped
    program it selects the caller, which gdb can name now)."""
    try:
        level: int | None = gdb.selected_frame().level()
    except gdb.error:  # no process, no frame
        level = None
    confirm = params.Held("confirm", False)
    confirm.hold()
    try:
        stripped.drop_names()
        quoted = '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'
        gdb.execute(f"symbol-file {quoted}", to_string=True)
    finally:
        confirm.release()
    if level is None:
        return
    if level:
        gdb.execute(f"frame {level}", to_string=True)
    elif gdb.newest_frame().name() in gofacts.BREAKPOINT_FUNCS and stops.SELECT_USER_FRAME.value:
        # At a Go breakpoint, where gdb could not name the caller before: select it now.
        caller = stops.caller_frame()
        if caller is not None:
            caller.select()
    gdb.write(gdb.execute("frame", to_string=True))


SYMBOL_FILE_STATE = SymbolFile()

SYMBOL_FILE = params.filename(
    "symbol-file",
    "The unstripped copy of a stripped (-s -w) program: gdb and wslgo take names, lines,\n"
    "locals and types from it while the process or core stays the stripped program's.\n"
    "It must be the same build (same ELF build id, e.g. the file before `strip`); another\n"
    "build is refused. Empty: the executable's own symbols.",
    "Set the unstripped copy of the stripped program being debugged.",
    on_set=SYMBOL_FILE_STATE.on_set,
)
