"""``set wslgo follow-goroutine on``: gdb's own ``next``, ``step`` and ``finish`` stay on the
goroutine.

gdb steps a thread: when the goroutine blocks in a call it steps over, it may come back on
another thread, where gdb's thread-specific step-resume breakpoint never fires; and other
goroutines running the same code stop the step at the user's breakpoints. A hook cannot
cancel the command it hooks without an error, so wslgo keeps gdb's command and prepares
around it. The pre-hook (``hook-next`` ...) arms internal breakpoints where the step may end
(the function's other line starts and its return address; for ``finish`` the return
address) that stop only when the goroutine that was current reaches them *on another
thread* at the same depth or outer (on the stepping thread gdb's own stepping decides), and
stands in for each enabled user breakpoint with one that stops only for that goroutine:
another goroutine's hit is said in one line and the step goes on. The post-hook takes all
of it back and prints where the step ended when one of wslgo's breakpoints ended it.
"""

from __future__ import annotations

import argparse
from typing import Callable

import gdb

from wslgo import _native
from wslgo.gdb import commands, goid, params, program
from wslgo.gdb.session import postrun, results, stepping, steptargets

PRE = "wslgo-follow-pre"
POST = "wslgo-follow-post"
#: gdb commands that follow the goroutine when the setting is on.
FOLLOWED = ("next", "step", "finish")

FOLLOW_GOROUTINE = params.boolean(
    "follow-goroutine",
    "When on, gdb's `next`, `step` and `finish` (and `n`, `s`, `fin`) end where the\n"
    "goroutine that was current gets, even when it moves to another thread; other\n"
    "goroutines' hits of your breakpoints on the way are said in one line and the step\n"
    "goes on (as `wslgo-next` / `wslgo-finish` do).",
    "Set whether next/step/finish stay on the current goroutine.",
    False,
)


class EndBreakpoint(gdb.Breakpoint):
    """Where the step may end: stops for the goroutine on a thread other than gdb's."""

    def __init__(self, spec: str, follow: Follow, deep: bool = False) -> None:
        super().__init__(spec, gdb.BP_BREAKPOINT, internal=True)
        self.silent = True
        self.follow = follow
        #: a called function's first line (`step`): any depth
        self.deep = deep

    def stop(self) -> bool:
        return self.follow.arrived_elsewhere(self)


class StandIn(gdb.Breakpoint):
    """A user breakpoint during the step: stops only for the goroutine stepped."""

    def __init__(self, user: gdb.Breakpoint, follow: Follow) -> None:
        super().__init__(str(user.location), gdb.BP_BREAKPOINT, internal=True)
        self.silent = True
        self.user = user
        self.follow = follow

    def stop(self) -> bool:
        return self.follow.user_hit(self)


class Follow:
    """The step being followed: the goroutine, its depth, what wslgo armed."""

    def __init__(self) -> None:
        self.goid = 0
        self.hi = 0
        self.depth = 0
        self.strict = False
        self.thread = 0
        self.armed: list[gdb.Breakpoint] = []
        self.disabled: list[gdb.Breakpoint] = []
        #: what ended the step: "end" (an EndBreakpoint), a StandIn, or None (gdb's own)
        self.ended: EndBreakpoint | StandIn | None = None
        self.frame_name: str | None = None
        self.last_stop: gdb.StopEvent | None = None
        #: (pc, sp) where the command started.
        self.origin = (0, 0)
        #: the command's goroutine, sp, name, and where it may end (to go on after gdb's
        #: own stepping ended it in another goroutine)
        self.g: _native.GoroutineDict | None = None
        self.sp = 0
        self.what = ""
        self.addrs: set[int] = set()
        self.callees: list[str] = []

    def note(self, event: gdb.StopEvent) -> None:
        """Every stop (from :mod:`wslgo.gdb.session.events`): what ended the command."""
        self.last_stop = event

    def arm(self, what: str) -> None:
        self.disarm()
        self.ended = self.last_stop = self.g = None
        if not FOLLOW_GOROUTINE.value or gdb.selected_inferior().pid == 0:
            return
        if program.is_core() or program.current_or_none() is None:
            return
        try:
            g = program.current_goroutine()
            frame = gdb.selected_frame()
            sp = stepping.frame_cfa(frame)
            addrs = self._addresses(frame, what)
            callees = steptargets.calls(frame).direct if what == "step" else []
        except (gdb.error, _native.WslgoError, OSError):
            return
        t = gdb.selected_thread()
        if g is None or t is None or not addrs:
            return
        self.goid, self.hi, self.thread = g["goid"], g["stack_hi"], t.global_num
        newest = gdb.newest_frame()
        self.origin = (newest.pc(), int(newest.read_register("sp")))
        self.depth, self.strict = self.hi - sp, what == "finish"
        self.frame_name = frame.name() if what != "finish" else None
        self.g, self.sp, self.what = g, sp, what
        self.addrs, self.callees = addrs, callees
        self.armed = [EndBreakpoint(f"*{a:#x}", self) for a in sorted(addrs)]
        self.armed += [EndBreakpoint(spec, self, deep=True) for spec in callees]
        for b in gdb.breakpoints():
            user = b.number > 0 and b.enabled and not b.temporary
            if user and b.type == gdb.BP_BREAKPOINT and b.location:
                b.enabled = False
                self.disabled.append(b)
                self.armed.append(StandIn(b, self))

    @staticmethod
    def _addresses(frame: gdb.Frame, what: str) -> set[int]:
        if what == "finish":
            older = steptargets.caller(frame)
            return {older.pc()} if older is not None else set()
        return steptargets.next_addresses(frame, what)

    def disarm(self) -> None:
        for b in self.armed:
            if b.is_valid():
                b.delete()
        for b in self.disabled:
            if b.is_valid():
                b.enabled = True
        self.armed, self.disabled = [], []

    def _is_goroutine(self) -> bool:
        try:
            g = program.current_goroutine()
        except (gdb.error, _native.WslgoError, OSError):
            return False
        return g is not None and g["goid"] == self.goid

    def arrived_elsewhere(self, bp: EndBreakpoint) -> bool:
        t = gdb.selected_thread()
        if t is None or t.global_num == self.thread or not self._is_goroutine():
            return False
        try:
            depth = self.hi - stepping.frame_cfa(gdb.newest_frame())
        except gdb.error:
            return False
        if not bp.deep and (depth > self.depth or (self.strict and depth == self.depth)):
            return False
        self.ended = bp
        return True

    def user_hit(self, stand_in: StandIn) -> bool:
        cond = stand_in.user.condition
        try:
            if cond and not bool(gdb.parse_and_eval(cond)):
                return False
        except gdb.error:
            return True  # as gdb: a condition that fails to evaluate stops
        if self._is_goroutine():
            newest = gdb.newest_frame()
            if (newest.pc(), int(newest.read_register("sp"))) == self.origin:
                # preempted as it resumed at the breakpoint it stopped at, the goroutine
                # runs that pc again (maybe on another thread): not a hit
                return False
            self.ended = stand_in
            return True
        stepping.say_other_hit(goid.current(), [stand_in.user.number], self.goid)
        return False

    def finish(self) -> None:
        """After the command: take everything back; say where a stop of wslgo's ended it."""
        ended, self.ended = self.ended, None
        ev, self.last_stop = self.last_stop, None
        g, self.g = self.g, None
        self.disarm()
        if gdb.selected_inferior().pid == 0 or g is None:
            return
        if ended is None:
            self._go_on(g)
            return
        if not isinstance(ev, gdb.BreakpointEvent) or not any(b is ended for b in ev.breakpoints):
            return  # gdb's own stepping ended the command, and gdb said where
        if isinstance(ended, StandIn):
            t = gdb.selected_thread()
            gdb.write(f"\nThread {t.num if t else '?'} hit Breakpoint {ended.user.number}, ")
            gdb.write(gdb.execute("frame 0", to_string=True).split("  ", 1)[-1])
        elif self.what != "finish" and self._finish_line(g):
            return
        else:  # as gdb's next/finish print a stop: the line, or the frame and the line
            out = gdb.execute("frame", to_string=True)
            if self.frame_name is not None and gdb.selected_frame().name() == self.frame_name:
                out = out.splitlines()[-1] + "\n"
            gdb.write(out[4:] if out.startswith("#0  ") else out)

    def _finish_line(self, g: _native.GoroutineDict) -> bool:
        """A `next` or `step` that returned to the caller on another thread stopped at the
        return address, in the middle of the caller's line: go on to the start of a line,
        as gdb's own stepping does on one thread. True when it did (and said where)."""
        try:
            frame = gdb.selected_frame()
            if frame.find_sal().pc in (0, frame.pc()):
                return False  # at a line's start (or no line table): gdb's own stop
            addrs = steptargets.next_addresses(frame, self.what)
            sp = stepping.frame_cfa(frame)
        except (gdb.error, _native.WslgoError, OSError):
            return False
        if not stepping.STEPPER.run(addrs, g, sp, False):
            return False
        stepping.arrived(self.frame_name)
        return True

    def _go_on(self, g: _native.GoroutineDict) -> None:
        """gdb's own stepping ended the command in another goroutine (a `step` into a
        function whose prologue sent the goroutine through the scheduler, and another ran
        it on gdb's thread): say so, and step on until the goroutine gets there."""
        now = goid.current()
        if not now or now == self.goid:
            return
        gdb.write(
            f"wslgo: gdb's {self.what} ended in goroutine {now}; "
            f"still stepping goroutine {self.goid}\n"
        )
        strict = self.what == "finish"
        if stepping.STEPPER.run(self.addrs, g, self.sp, strict, callees=self.callees):
            stepping.arrived(self.frame_name)


FOLLOW = Follow()

_pre = commands.parser(PRE, "Arm goroutine following for next/step/finish (gdb's hooks).")
_pre.add_argument("what", choices=FOLLOWED)
_post = commands.parser(POST, "Disarm goroutine following after next/step/finish.")


def _never_cancel(fn: Callable[[], None], what: str) -> None:
    """An error in a hook would cancel the user's command: say it in one line instead."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 (gdb must step whatever wslgo failed to arm)
        FOLLOW.disarm()
        gdb.write(f"wslgo: {what}: {' '.join(str(e).split())}\n", gdb.STDERR)


@commands.command(PRE, _pre)
def follow_pre(args: argparse.Namespace) -> None:
    if args.what == "finish":  # gdb's finish prints no Go results: wslgo does
        _never_cancel(results.arm, "return values")
    _never_cancel(lambda: FOLLOW.arm(args.what), "following the goroutine")


@commands.command(POST, _post)
def follow_post(args: argparse.Namespace) -> None:
    _never_cancel(FOLLOW.finish, "following the goroutine")
    _never_cancel(results.report, "return values")


def install_hooks() -> None:
    """hook-next ... arm, hookpost-next ... disarm (the user's own bodies kept)."""
    for cmd in FOLLOWED:
        postrun.install_hook(f"hook-{cmd}", f"{PRE} {cmd}")
        postrun.install_hook(f"hookpost-{cmd}", POST)
