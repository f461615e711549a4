"""Whether gdb runs as an MI server (IDEs), where the printers' children must stay gdb
values. (Go strings are quoted by the native core: ``Values.quoted_strings``.)"""

from __future__ import annotations

_MI_NAMES = (b"mi", b"mi2", b"mi3", b"mi4")


def mi_session(cmdline: str = "/proc/self/cmdline") -> bool:
    """gdb was started as an MI server (``--interpreter=mi*``: VS Code and other IDEs)."""
    try:
        with open(cmdline, "rb") as f:
            args = f.read().split(b"\0")
    except OSError:
        return False
    for i, a in enumerate(args):
        if a.startswith((b"--interpreter=mi", b"-i=mi", b"--i=mi")):
            return True
        if a in (b"-i", b"--interpreter", b"-interpreter") and args[i + 1 : i + 2] in [
            [n] for n in _MI_NAMES
        ]:
            return True
    return False
