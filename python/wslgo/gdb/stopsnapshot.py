"""The stop's goroutine snapshot, read once and kept until the program resumes.

A view asks for the stacks it needs (``current`` < ``user`` < ``all``) and the extras it
needs (panic records, wait objects); a kept snapshot answers every later request that
asks for no more, for the same target, selected thread and dead-goroutine choice.
:class:`wslgo.gdb.program.Program` keeps one and forgets it on resume and exit.
"""

from __future__ import annotations

from typing import Any, Callable

from wslgo import _native

#: What a target reads: ("pid", pid), ("core", CoreFile) or ("gdb", pid or CoreFile).
TargetKey = tuple[str, Any]
Extras = tuple[bool, bool]  #: a snapshot's extras: (panic records, wait objects)

_SCOPES = ("current", "user", "all")  #: snapshot scopes, from the least stack to the most


class StopSnapshot:
    """This stop's goroutines: (target key, current tid, dead, extras, snapshot), or None."""

    def __init__(self) -> None:
        self._kept: tuple[TargetKey, int | None, bool, Extras, _native.Snapshot] | None = None

    def get(
        self,
        target: Callable[[], _native.GoTarget],
        key: TargetKey,
        args: dict[str, Any],
        scope: _native.Scope,
        dead: bool,
        ex: Extras,
    ) -> _native.Snapshot:
        """The kept snapshot when it has at least ``scope``'s stacks and ``ex``'s extras for
        the same ``key``, thread and ``dead``; otherwise read from ``target()`` and kept."""
        have, tid = self._kept, args.get("current_tid")
        if (
            have is not None
            and have[:3] == (key, tid, dead)
            and all(h or not x for h, x in zip(have[3], ex, strict=True))
            and _SCOPES.index(have[4].scope) >= _SCOPES.index(scope)
        ):
            return have[4]
        snap = target().snapshot(include_dead=dead, scope=scope, panics=ex[0], waits=ex[1], **args)
        self._kept = (key, tid, dead, ex, snap)
        return snap

    def forget(self) -> None:
        """The program resumed (or its memory may have changed): read it again."""
        self._kept = None
