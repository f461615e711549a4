"""gdb's ``auto-load safe-path`` rule, so that wslgo knows before gdb reads an objfile's
scripts whether gdb will load one (runtime-gdb.py of a Go executable) or decline it with its
safe-path warning.

The rule (gdb/auto-load.c): the setting is a ``:``-separated list in which ``$debugdir`` and
``$datadir`` stand for gdb's debug-file-directory (itself a list) and data-directory when
they are whole path components; each entry has ``~`` expanded and its real path added when
that differs. A file is safe when it, or its real path, matches an entry: trailing slashes
ignored, an empty entry (``/``) matches everything, and an entry matches the file or any
directory above it as a wildcard pattern whose ``*``, ``?`` and ``[...]`` never match ``/``.
"""

from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase


def _substitute(path: str, name: str, value: str) -> str:
    """``name`` replaced by ``value`` where it is a whole component of ``path``."""
    return re.sub(rf"(?<![^/:]){re.escape(name)}(?![^/:])", lambda _: value, path)


def directories(safe_path: str, debug_dirs: str, data_dir: str) -> list[str]:
    """The entries gdb checks for ``set auto-load safe-path SAFE_PATH``."""
    expanded = _substitute(_substitute(safe_path, "$datadir", data_dir), "$debugdir", debug_dirs)
    out: list[str] = []
    for entry in expanded.split(":"):
        if not entry:
            continue
        entry = os.path.expanduser(entry)
        out.append(entry)
        real = os.path.realpath(entry)
        if real != entry:
            out.append(real)
    return out


def _fnmatch_file_name(pattern: str, name: str) -> bool:
    """fnmatch with FNM_FILE_NAME: the wildcards match within one path component."""
    p_parts, n_parts = pattern.split("/"), name.split("/")
    return len(p_parts) == len(n_parts) and all(fnmatchcase(n, p) for n, p in zip(n_parts, p_parts))


def _in_pattern(filename: str, pattern: str) -> bool:
    """True when ``pattern`` matches ``filename`` or a directory above it."""
    pattern = pattern.rstrip("/")
    if not pattern:
        return True
    while True:
        filename = filename.rstrip("/")
        if not filename:
            return False
        if _fnmatch_file_name(pattern, filename):
            return True
        filename = filename[: filename.rfind("/") + 1]


def is_safe(filename: str, dirs: list[str]) -> bool:
    """True when gdb would auto-load ``filename`` under the safe-path entries ``dirs``."""
    if any(_in_pattern(filename, d) for d in dirs):
        return True
    real = os.path.realpath(filename)
    return real != filename and any(_in_pattern(real, d) for d in dirs)
