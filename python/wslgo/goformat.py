"""Go-style text for values, without gdb: quoting strings as gdb prints them, and telling
whether gdb runs as an MI server (IDEs), where children must stay gdb values."""

from __future__ import annotations

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_MI_NAMES = (b"mi", b"mi2", b"mi3", b"mi4")


def quote(text: str, truncated: bool = False) -> str:
    """A Go string as gdb quotes one: ``"a\\"b"``, ``"long"...`` when cut at the limit."""
    tail = "..." if truncated else ""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"{tail}'
    out = []
    for c in text:
        e = _ESCAPES.get(c)
        if e is not None:
            out.append(e)
        elif c < " " or c == "\x7f":
            out.append(f"\\{ord(c):03o}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"' + tail


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
