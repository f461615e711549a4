"""The literal values of a printed Go value, in order: what the value tests compare with
the values a fixture prints itself."""

from __future__ import annotations

import re

TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"|(?<![\w.\[])0x[0-9a-f]+\b|(?<![\w.\[\]])-?\d+(?:\.\d+)?(?![\w\]])'
    r"|\btrue\b|\bfalse\b|\bnil\b"
)


def tokens(text: str) -> list[str]:
    """The literal values in a printed value, in order (types, field names dropped)."""
    text = re.sub(r" '(?:[^'\\]|\\[^']+)'", "", text)  # gdb's char next to a byte
    out = []
    for t in TOKEN.findall(text):
        out.append(str(int(t, 16)) if t.startswith("0x") else t)
    return out
