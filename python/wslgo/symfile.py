"""A separate symbol file for a stripped Go binary (``--symbols``, ``set wslgo symbol-file``).

The symbol file must be the same build: its ELF build id (the Go linker derives it from the
Go build id; Go 1.24 and later write one by default) equals the stripped binary's, and
without ELF build ids their Go build ids (``.note.go.buildid``) are equal. A binary
stripped afterwards with ``strip`` or ``objcopy --strip-all`` keeps both ids and the layout;
a separate ``go build -ldflags='-s -w'`` is another build (the flags are part of the Go build
id) and is refused.
"""

from __future__ import annotations

import os
import stat

from wslgo import _native


class SymbolFileMismatch(ValueError):
    """The symbol file is not the binary's own."""


def _ids(b: _native.Binary) -> tuple[str | None, str | None]:
    return b.build_id, b.go_build_id


def check(binary: str, symbols: str) -> str:
    """Return ``symbols`` when it is ``binary``'s symbol file; raise SymbolFileMismatch
    (one line) otherwise."""
    try:
        want = _ids(_native.Binary(binary))
        have = _ids(_native.Binary(symbols))
    except _native.WslgoError as e:
        raise SymbolFileMismatch(f"symbol file {symbols}: {e}") from None
    # The ELF build ids when both have one, else the Go build ids.
    kind, i = ("build id", 0) if want[0] and have[0] else ("Go build id", 1)
    if want[i] is None or have[i] is None:
        which = binary if want[i] is None else symbols
        raise SymbolFileMismatch(
            f"symbol file {symbols}: {which} has no build id, so it cannot be matched"
        )
    if want[i] != have[i]:
        raise SymbolFileMismatch(
            f"symbol file {symbols} is another build than {binary} "
            f"({kind} {_short(have[i])} vs {_short(want[i])}); "
            "give the unstripped copy of this binary"
        )
    return symbols


def _short(build_id: str | None) -> str:
    """The first 16 characters of an id (a Go build id's last part: the content id)."""
    text = (build_id or "").rsplit("/", 1)[-1]
    return f"{text[:16]}…"


def cache_file(path: str, native: str) -> str | None:
    """Where the symbol file written from the pclntab of the stripped program ``path`` is
    kept: named by the program's and the native module's (``native``) identity, in a
    per-user directory of the temp dir; None when that directory is not ours alone (a cache
    another user made first must not hand gdb its files)."""
    # Here, not at the top: gdb loads this module at every start, and only a stripped
    # program asks (tempfile alone brings random, hashlib and shutil).
    import hashlib
    import tempfile

    st, nat = os.stat(path), os.stat(native)
    ident = f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{nat.st_mtime_ns}"
    key = hashlib.sha256(ident.encode()).hexdigest()[:16]
    cache = os.path.join(tempfile.gettempdir(), f"wslgo-{os.getuid()}")
    os.makedirs(cache, mode=0o700, exist_ok=True)
    own = os.lstat(cache)
    if not stat.S_ISDIR(own.st_mode) or own.st_uid != os.getuid() or own.st_mode & 0o022:
        return None
    return os.path.join(cache, f"{key}.sym")
