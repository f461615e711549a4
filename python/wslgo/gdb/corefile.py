"""Which core file gdb has open, without trusting ``info target``'s prose.

gdb 13 has no Python API for the core file's name. gdb itself keeps the core open, so the
core is found among this process's open files (``/proc/self/fd``): a regular file with an
ELF header of type ET_CORE. ``info target`` names it in a sentence
(```PATH', file type elf64-x86-64.``) whose PATH may hold any character (``'``, a newline);
it only serves to choose between several open cores and to give the user-facing name, and a
name taken from it counts only when it is the very file gdb holds open (same device and inode).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from typing import Literal

#: The ELF header bytes that matter here: magic, class, data, version, then e_type (2 bytes).
_ELF_MAGIC = b"\x7fELF"
_ET_CORE = 4
_FD_DIR = "/proc/self/fd"
_HEADING = "Local core dump file:"
_SUFFIX = re.compile(r"', file type [^\n]*\.\n")


@dataclass(frozen=True)
class CoreFile:
    """The core gdb reads: a path to open it by and the file's identity."""

    #: A path that opens the very file gdb holds (its own name when known).
    path: str
    #: (st_dev, st_ino): stays the same while the core is loaded.
    ident: tuple[int, int]


def _is_core(path: str) -> tuple[int, int] | None:
    """(dev, ino) if ``path`` is a regular ELF core file, else None (never blocks)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        with open(path, "rb") as f:
            head = f.read(18)
    except OSError:
        return None
    if len(head) < 18 or not head.startswith(_ELF_MAGIC):
        return None
    order: Literal["little", "big"] = "little" if head[5] == 1 else "big"
    if int.from_bytes(head[16:18], order) != _ET_CORE:
        return None
    return (st.st_dev, st.st_ino)


def open_cores() -> dict[tuple[int, int], str]:
    """ELF cores this process has open: identity -> a ``/proc/self/fd/N`` path to it."""
    out: dict[tuple[int, int], str] = {}
    try:
        fds = os.listdir(_FD_DIR)
    except OSError:
        return out
    for fd in sorted(fds, key=lambda s: int(s) if s.isdigit() else -1):
        path = f"{_FD_DIR}/{fd}"
        ident = _is_core(path)
        if ident is not None:
            out.setdefault(ident, path)
    return out


def named_paths(info_target: str) -> list[str]:
    """Every reading of the core's name in ``info target``'s text, longest first.

    The name runs from the backquote after the heading to a ``', file type ….`` line end; a
    name may itself contain that text, so each possible end gives one candidate."""
    start = info_target.find(_HEADING)
    if start < 0:
        return []
    tick = info_target.find("`", start + len(_HEADING))
    if tick < 0:
        return []
    body = info_target[tick + 1 :]
    ends = [m.start() for m in _SUFFIX.finditer(body)]
    return [body[:end] for end in reversed(ends)]


def find(info_target: str) -> CoreFile | None:
    """The core gdb reads, or None when gdb has no core open."""
    cores = open_cores()
    for name in named_paths(info_target):
        try:
            st = os.stat(name)
        except OSError:
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in cores or (not cores and _is_core(name) is not None):
            return CoreFile(path=name, ident=ident)
    if len(cores) == 1:  # the name in gdb's text is gone or unreadable: use the open file
        ident, path = next(iter(cores.items()))
        return CoreFile(path=path, ident=ident)
    return None
