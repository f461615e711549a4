"""GOTRACEBACK=crash in the environment of programs gdb starts (``set wslgo crash-traceback``).

When a Go program is loaded, GOTRACEBACK=crash goes into the environment gdb gives the
programs it starts, unless GOTRACEBACK is already set there (by the user's shell or
``set environment``); a later ``set environment``/``unset environment`` by the user wins.
``set wslgo crash-traceback off`` takes back only a value wslgo added itself.
"""

from __future__ import annotations

import gdb

from wslgo.gdb import params, program


class Environment:
    """Whether the GOTRACEBACK now in gdb's environment is the one wslgo put there."""

    def __init__(self) -> None:
        self.ours = False
        #: The user's GOTRACEBACK wslgo last said it honours (said once per value).
        self.told: str | None = None

    def users_gotraceback(self) -> str | None:
        """The GOTRACEBACK the user put in gdb's environment (shell or `set environment`),
        None when unset or when it is the ``crash`` wslgo added itself."""
        try:
            out = gdb.execute("show environment GOTRACEBACK", to_string=True).strip()
        except gdb.error:
            return None
        if not out.startswith("GOTRACEBACK = "):
            return None
        value: str = out.removeprefix("GOTRACEBACK = ")
        if self.ours and value == "crash":
            return None
        return value

    def honour_users(self) -> bool:
        """True when the user set GOTRACEBACK: wslgo then injects nothing (said once)."""
        value = self.users_gotraceback()
        if value is None:
            return False
        if self.told != value:
            self.told = value
            gdb.write(
                f"wslgo: GOTRACEBACK={value} from your environment: "
                "wslgo leaves the traceback level alone\n"
            )
        return True

    def set_crash(self) -> None:
        """GOTRACEBACK=crash for programs gdb starts, unless GOTRACEBACK is set already."""
        if not CRASH_TRACEBACK.value:
            return
        try:
            out = gdb.execute("show environment GOTRACEBACK", to_string=True)
        except gdb.error:
            return
        if "not defined" in out:
            gdb.execute("set environment GOTRACEBACK=crash", to_string=True)
            self.ours = True

    def on_setting_changed(self) -> None:
        """`set wslgo crash-traceback off` takes back the GOTRACEBACK=crash wslgo added."""
        if CRASH_TRACEBACK.value:
            if program.current_or_none() is not None:
                self.set_crash()
            return
        if self.ours:
            out = gdb.execute("show environment GOTRACEBACK", to_string=True)
            if out.strip() == "GOTRACEBACK = crash":
                gdb.execute("unset environment GOTRACEBACK", to_string=True)
            self.ours = False


ENVIRONMENT = Environment()

CRASH_TRACEBACK = params.boolean(
    "crash-traceback",
    "When on (the default), programs started under gdb get GOTRACEBACK=crash in their\n"
    'environment (unless you set GOTRACEBACK yourself) and wslgo stores the "crash"\n'
    "level into runtime.traceback_cache when runtime.main starts, so a dying program\n"
    "prints every goroutine with runtime frames and then aborts (core dump).",
    "Set whether wslgo raises the Go traceback level to crash.",
    True,
    on_set=ENVIRONMENT.on_setting_changed,
)
