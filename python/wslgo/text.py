"""Text the debugged program controls, escaped once where text output is formatted.

pprof labels, function and file names, the Go version and build settings come from the
program or its binary: printed raw, an ESC or OSC sequence drives the terminal, a newline
forges an extra line and a NUL breaks gdb.write. The rule (which characters, how they are
written) lives in Rust (`wslgo::text`); JSON output carries the raw text instead.
"""

from __future__ import annotations

from wslgo import _native


def esc(s: object) -> str:
    """``str(s)`` with control characters, backslashes and bidi overrides escaped."""
    t = str(s)
    if t.isprintable() and "\\" not in t:  # the common case, without a native call
        return t
    return _native.escape_text(t)


def esc_path(s: str) -> str:
    """A path (or a line naming paths) for the terminal: as it is when every character
    prints, so a Windows path keeps its single backslashes; else :func:`esc` (controls,
    bidi overrides and then every backslash escaped, so the escapes stay unambiguous)."""
    return s if s.isprintable() else esc(s)
