"""The user's frame of a goroutine, in gdb's frames: what a crash stop (panic, fatal error,
fatal signal) and ``wslgo-goroutine N COMMAND`` on a parked goroutine select, as a Go
breakpoint stop selects its caller (``set wslgo select-user-frame``). The engine picks the
frame (main module first, then code outside the standard library); gdb's frame with the
same function and line is selected.
"""

from __future__ import annotations

import gdb

from wslgo import _native
from wslgo.gdb import params, program

SELECT_USER_FRAME = params.boolean(
    "select-user-frame",
    "When on (the default), a stop at runtime.Breakpoint() selects the caller's frame\n"
    "(the user's line), and a stop at a panic, a fatal error or a fatal signal selects\n"
    "the goroutine's first user frame, so `list`, `info locals` and `print` work at once;\n"
    "so does `wslgo-goroutine N COMMAND` on a parked goroutine. Off keeps frame #0.",
    "Set whether Go breakpoint and crash stops select the user's frame.",
    True,
)

#: How many frames are read to find the goroutine's first user frame.
USER_FRAME_DEPTH = 64


def user_frame(goid: int) -> _native.FrameDict | None:
    """Goroutine ``goid``'s first user frame (the engine's), or None."""
    try:
        tgt, kwargs = program.target()
        rec = tgt.goroutine(goid, max_depth=USER_FRAME_DEPTH, **kwargs)
    except (gdb.error, _native.WslgoError, OSError):
        return None
    i = rec["user_frame"]
    if i is None or i >= len(rec["frames"]):
        return None
    return rec["frames"][i]


def select(want: _native.FrameDict, newest: gdb.Frame | None = None) -> bool:
    """Select gdb's frame of ``want`` (same function and line, else the first of that
    function), searching from ``newest`` (gdb's newest frame by default); True when found.
    Nothing when the setting is off."""
    if not SELECT_USER_FRAME.value:
        return False
    frames: list[gdb.Frame] = []
    frame: gdb.Frame | None = newest if newest is not None else gdb.newest_frame()
    try:
        while frame is not None and len(frames) < USER_FRAME_DEPTH:
            frames.append(frame)
            frame = frame.older()
        same = [f for f in frames if f.name() == want["func"]]
        exact = [f for f in same if f.find_sal().line == want["line"]]
    except gdb.error:
        return False
    if not (exact or same):
        return False
    (exact or same)[0].select()
    return True
