"""A separate symbol file for a stripped Go binary (``--symbols``, ``set wslgo symbol-file``).

The symbol file must be the same build: its ELF build id (the Go linker derives it from the
Go build id) equals the stripped binary's. A binary stripped afterwards with ``strip`` or
``objcopy --strip-all`` keeps the build id and the layout; a separate ``go build -ldflags='-s
-w'`` is another build (the flags are part of the Go build id) and is refused.
"""

from __future__ import annotations

from wslgo import _native


class SymbolFileMismatch(ValueError):
    """The symbol file is not the binary's own."""


def check(binary: str, symbols: str) -> str:
    """Return ``symbols`` when it is ``binary``'s symbol file; raise SymbolFileMismatch
    (one line) otherwise."""
    try:
        want = _native.Binary(binary).build_id
        have = _native.Binary(symbols).build_id
    except _native.WslgoError as e:
        raise SymbolFileMismatch(f"symbol file {symbols}: {e}") from None
    if want is None or have is None:
        which = binary if want is None else symbols
        raise SymbolFileMismatch(
            f"symbol file {symbols}: {which} has no build id, so it cannot be matched"
        )
    if want != have:
        raise SymbolFileMismatch(
            f"symbol file {symbols} is another build than {binary} "
            f"(build id {have[:16]}… vs {want[:16]}…); give the unstripped copy of this binary"
        )
    return symbols
