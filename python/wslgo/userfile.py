"""Reading and writing a user's files (launch.json, settings.json, .wslconfig) safely: only
regular files, bounded, never blocking on a FIFO or device, written atomically.

Pure Python. A refusal is a ValueError with one line naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: The largest user file read (a launch.json is a few KB).
MAX_BYTES = 4 << 20
BOM = "\ufeff"


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def read_prefix(path: Path | str, what: str, limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of the regular file ``path`` and whether more follow. Raises
    ValueError for a FIFO, device or directory, OSError when it cannot be opened. Opens
    with O_NONBLOCK, so a FIFO never blocks the open."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind:
            raise ValueError(f"{path} is {kind}, not {what}")
        chunks = []
        left = limit + 1
        while left > 0:
            b = os.read(fd, min(left, 1 << 16))
            if not b:
                break
            chunks.append(b)
            left -= len(b)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return data[:limit], len(data) > limit


def read_text(path: Path | str, what: str, limit: int = MAX_BYTES) -> str:
    """The text of the regular file ``path`` (UTF-8, undecodable bytes replaced). Raises
    ValueError for a FIFO, device, directory or a file over ``limit`` bytes, OSError when
    it cannot be opened."""
    data, more = read_prefix(path, what, limit)
    if more:
        raise ValueError(f"{path} is over {limit} bytes, too big for {what}")
    return data.decode("utf-8", errors="replace")


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` through a temporary file in its directory and a rename:
    a reader sees the old file or the new one, never half of it. The file's mode is kept."""
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    import tempfile  # here: it pulls random, hashlib and shutil into every gdb start

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    old = os.umask(0o22)
    os.umask(old)
    return old
