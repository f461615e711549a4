"""Stepping that stays on one goroutine: ``wslgo-next``, ``wslgo-finish``, ``wslgo-step``.

gdb steps a thread; a Go goroutine moves between threads, and other goroutines run the same
code. ``wslgo-next`` puts internal breakpoints on every line start of the selected frame's
function and on its return address; each one stops only for the goroutine that was current,
at the same stack depth or outer (the frame's CFA, the caller's sp, measured from the top of
the goroutine's stack: a stack copy does not matter, nor whether the frame was set up yet at
a function's entry), then continues. A user breakpoint hit by another goroutine on the
way is said in one line and the step goes on; any other stop ends it as gdb would.
``wslgo-finish`` does the same with the return address only. ``wslgo-step`` is gdb's
``step`` when the goroutine is still the one running on the thread afterwards.

Resuming with a parked goroutine selected (``wslgo-goroutine N``): gdb's ``next``,
``step``, ``finish``, ``until`` and ``continue`` first return to the thread's own view and
say so (hooks defined with :func:`postrun.install_hook`, keeping the user's own bodies);
``down`` stops at the goroutine's innermost frame instead of reaching the frames of the
thread that shows it. At a Go breakpoint stop with the user's frame selected, they first
return from runtime.breakpoint, so that gdb's ``next`` (which steps frame #0) reaches the
user's next line.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import gdb

from wslgo import _native
from wslgo.gdb import commands, goframes, goid, program
from wslgo.gdb.cmds import goroutine
from wslgo.gdb.session import breakpoints, postrun, results, steptargets, stops
from wslgo.text import esc

PRE_RESUME = "wslgo-pre-resume"
PRE_DOWN = "wslgo-pre-down"
#: gdb commands whose hook returns a parked goroutine selection to the thread view.
RESUMING = ("next", "step", "finish", "until", "continue")


def frame_cfa(frame: gdb.Frame) -> int:
    """The frame's CFA (its caller's sp): unlike sp, the same on every line of the
    function, its entry before the frame is allocated included. gdb does not unwind past
    main.main (``backtrace past-main``): there the engine's pcsp unwinding says it."""
    older = frame.older()
    if older is not None:
        return int(older.read_register("sp"))
    sp = int(frame.read_register("sp"))
    try:
        frames = program.physical_frames(int(frame.pc()), sp, 0)
    except (_native.WslgoError, OSError):
        return sp
    return frames[1][1] if len(frames) >= 2 and frames[0][1] == sp else sp


class StepBreakpoint(gdb.Breakpoint):
    """Where a goroutine step may end; stops only for that goroutine at that depth (any
    depth for a ``deep`` one: a called function's first line). An ``indirect`` one is an
    indirect call instruction of the line: the goroutine stops there to make the call and
    see where it lands."""

    def __init__(self, spec: str, stepper: Stepper, deep: bool = False, indirect: str = "") -> None:
        super().__init__(spec, gdb.BP_BREAKPOINT, internal=True)
        self.silent = True
        self.stepper = stepper
        self.deep = deep
        #: the call's operand (`%rcx`, `0x18(%rax)`, `x1`) for an indirect call
        self.indirect = indirect

    def stop(self) -> bool:
        if self.indirect:
            return self.stepper.at_call(self.indirect)
        return self.stepper.arrived_here(self.deep)


class Stepper:
    """The step in progress: which goroutine, how deep, whether it arrived."""

    def __init__(self) -> None:
        self.goid = 0
        self.depth = 0
        self.strict = False
        self.arrived = False
        self.last_stop: gdb.StopEvent | None = None
        #: True while a step runs: the stop handler leaves its stops to the step.
        self.active = False
        #: (pc, sp) where the step started.
        self.origin = (0, 0)
        #: The operand of the line's indirect call the goroutine stopped at, or "".
        self.calling = ""

    def arrived_here(self, deep: bool = False) -> bool:
        try:
            g = program.current_goroutine()
            sp = frame_cfa(gdb.newest_frame())
        except (gdb.error, _native.WslgoError, OSError):
            return False
        if g is None or g["goid"] != self.goid:
            return False
        depth = g["stack_hi"] - sp
        if not deep and (depth > self.depth or (self.strict and depth == self.depth)):
            return False
        self.arrived = True
        return True

    def at_call(self, operand: str) -> bool:
        """At an indirect call of the line: True (stop) for the stepped goroutine in the
        frame the step started in."""
        try:
            g = program.current_goroutine()
            sp = frame_cfa(gdb.newest_frame())
        except (gdb.error, _native.WslgoError, OSError):
            return False
        if g is None or g["goid"] != self.goid or g["stack_hi"] - sp != self.depth:
            return False
        self.calling = operand
        return True

    def note(self, event: gdb.StopEvent) -> None:
        """Every stop (from :mod:`wslgo.gdb.session.events`): what ended the last `continue`."""
        self.last_stop = event

    def run(
        self,
        addrs: set[int],
        g: _native.GoroutineDict,
        sp: int,
        strict: bool,
        callees: Sequence[str] = (),
        indirect: Sequence[tuple[int, str]] = (),
    ) -> bool:
        """Continue until goroutine ``g`` reaches one of ``addrs`` (or the first line of
        one of the functions ``callees``, or of the function an ``indirect`` call
        instruction lands in); True when it did."""
        self.goid, self.depth, self.strict = g["goid"], g["stack_hi"] - sp, strict
        newest = gdb.newest_frame()
        self.origin = (newest.pc(), int(newest.read_register("sp")))
        bps = [StepBreakpoint(f"*{a:#x}", self) for a in sorted(addrs)]
        bps += [StepBreakpoint(spec, self, deep=True) for spec in callees]
        bps += [StepBreakpoint(f"*{a:#x}", self, indirect=op) for a, op in indirect]
        # gdb's own "Thread N hit Breakpoint M" would be two lines per other goroutine
        quieted = [b for b in gdb.breakpoints() if b.number > 0 and not b.silent]
        for b in quieted:
            b.silent = True
        self.active = True
        try:
            for _ in range(100000):
                self.arrived, self.calling, self.last_stop = False, "", None
                out = gdb.execute("continue", to_string=True)
                if self.arrived:
                    return True
                if self.calling:
                    entered = steptargets.entered(self.calling)
                    bps += [StepBreakpoint(spec, self, deep=True) for spec in entered]
                    continue
                if gdb.selected_inferior().pid == 0:
                    gdb.write(out)
                    return False
                if not self._goes_on():
                    gdb.write(out)
                    self._ended_elsewhere()
                    return False
        finally:
            self.active = False
            for bp in bps:
                if bp.is_valid():
                    bp.delete()
            for b in quieted:
                if b.is_valid():
                    b.silent = False
        return False

    def _ended_elsewhere(self) -> None:
        """A stop that ends the step: what gdb and wslgo would have said."""
        ev = self.last_stop
        if isinstance(ev, gdb.BreakpointEvent):
            nums = ", ".join(str(b.number) for b in ev.breakpoints if b.number > 0)
            t = gdb.selected_thread()
            gdb.write(f"\nThread {t.num if t else '?'} hit Breakpoint {nums}, ")
            gdb.write(gdb.execute("frame 0", to_string=True).split("  ", 1)[-1])
        if ev is not None:
            stops.report(ev)

    def _goes_on(self) -> bool:
        """Whether the step goes on after a stop that is not its end."""
        ev = self.last_stop
        if not isinstance(ev, gdb.BreakpointEvent):
            return False
        newest = gdb.newest_frame()
        if goid.current() == self.goid:
            # A preemption signal delivered when the goroutine resumed at a breakpoint
            # runs it again from the same pc and sp (maybe on another thread): not a hit.
            return (newest.pc(), int(newest.read_register("sp"))) == self.origin
        return self._other_goroutine()

    def _other_goroutine(self) -> bool:
        """A user breakpoint another goroutine hit: say so in one line, True to go on."""
        ev = self.last_stop
        if not isinstance(ev, gdb.BreakpointEvent):
            return False
        nums = [b.number for b in ev.breakpoints if b.number > 0]
        other = goid.current()
        if not nums:
            return False
        say_other_hit(other, nums, self.goid)
        return True


def say_other_hit(other: int, nums: Sequence[int], stepped: int) -> None:
    """One line for a user breakpoint that goroutine ``other`` hit during a step of
    goroutine ``stepped`` (the file name escaped: it comes from the program's DWARF)."""
    sal = gdb.newest_frame().find_sal()
    where = f"{esc(sal.symtab.filename)}:{sal.line}" if sal.symtab is not None else "??"
    listed = ", ".join(str(n) for n in nums)
    gdb.write(
        f"wslgo: goroutine {other} hit breakpoint {listed} at {where}; "
        f"still stepping goroutine {stepped}\n"
    )


STEPPER = Stepper()


def leave_parked() -> None:
    """A parked goroutine is selected: back to the thread's own view, in one line."""
    sel = goframes.SWITCHER.applies()
    if sel is None or sel.running:
        return
    goroutine.leave()
    t = gdb.selected_thread()
    lwp = t.ptid[1] if t is not None else 0
    num = t.num if t is not None else "?"
    gdb.write(
        f"wslgo: goroutine {sel.goroutine.goid} is parked and cannot be stepped; "
        f"back to the thread view: thread {num} (LWP {lwp})\n"
    )
    gdb.newest_frame().select()


def _start(what: str) -> tuple[gdb.Frame, _native.GoroutineDict, int]:
    if gdb.selected_inferior().pid == 0 or program.is_core():
        raise gdb.GdbError(f"{what}: the program is not running")
    leave_parked()
    g = program.current_goroutine()
    if g is None:
        raise gdb.GdbError(f"{what}: no goroutine runs on this thread")
    frame = gdb.selected_frame()
    return frame, g, frame_cfa(frame)


def arrived(before: str | None) -> None:
    """Print where the step ended, as gdb's next does (the line; the frame if it changed)."""
    frame = gdb.selected_frame()
    out = gdb.execute("frame", to_string=True)
    if before is not None and frame.name() == before:
        out = out.splitlines()[-1] + "\n"
    gdb.write(out)


def wslgo_next_impl() -> None:
    frame, g, sp = _start("wslgo-next")
    addrs = steptargets.next_addresses(frame, "wslgo-next")
    name = frame.name()
    if STEPPER.run(addrs, g, sp, strict=False):
        arrived(name)


def wslgo_finish_impl() -> None:
    frame, g, sp = _start("wslgo-finish")
    older = steptargets.caller(frame)  # past a method wrapper (<autogenerated>)
    if older is None:
        raise gdb.GdbError('wslgo-finish: "finish" not meaningful in the outermost frame')
    gdb.write(f"Run till exit from {gdb.execute('frame', to_string=True).splitlines()[0]}\n")
    results.capture(frame, older)
    if STEPPER.run({older.pc()}, g, sp, strict=True):
        arrived(None)
        results.report()


def wslgo_step_impl() -> None:
    frame, g, sp = _start("wslgo-step")
    addrs = steptargets.next_addresses(frame, "wslgo-step")
    name = frame.name()
    made = steptargets.calls(frame)
    if STEPPER.run(addrs, g, sp, strict=False, callees=made.direct, indirect=made.indirect):
        arrived(name)


_next = commands.parser(
    "wslgo-next",
    "Step over one line in the current goroutine, whatever thread it runs on.",
    epilog=(
        "Like gdb's `next`, but ends only when the goroutine that was current reaches the\n"
        "next line (or returns), even when it moves to another thread or other goroutines\n"
        "run the same code. A user breakpoint another goroutine hits on the way is said in\n"
        "one line and the step goes on."
    ),
)
_finish = commands.parser(
    "wslgo-finish",
    "Run until the selected frame of the current goroutine returns.",
    epilog="Like gdb's `finish`, for the goroutine that was current, on any thread.",
)
_step = commands.parser(
    "wslgo-step",
    "Step one line, into the functions it calls, in the current goroutine.",
    epilog=(
        "Like gdb's `step`, for the goroutine that was current, on whatever thread it\n"
        "runs: ends at the first line of a function the line calls (directly, or through\n"
        "a func value or an interface method), or where `wslgo-next` would."
    ),
)
_pre = commands.parser(
    PRE_RESUME,
    "Return a parked goroutine selection to the thread view (gdb's resume hooks call it).",
)


@commands.command("wslgo-next", _next, repeat=True)
def wslgo_next(args: argparse.Namespace) -> None:
    wslgo_next_impl()


@commands.command("wslgo-finish", _finish)
def wslgo_finish(args: argparse.Namespace) -> None:
    wslgo_finish_impl()


@commands.command("wslgo-step", _step, repeat=True)
def wslgo_step(args: argparse.Namespace) -> None:
    wslgo_step_impl()


@commands.command(PRE_RESUME, _pre)
def wslgo_pre_resume(args: argparse.Namespace) -> None:
    leave_parked()
    leave_trap()


def leave_trap() -> None:
    """Resuming from a Go breakpoint stop with the user's frame selected: return from
    runtime.breakpoint first, so that gdb's own `next`, `step` and `until` (they step
    frame #0) go on to the user's next line; the same frame stays selected."""
    if gdb.selected_inferior().pid == 0 or gdb.selected_thread() is None:
        return
    level = gdb.selected_frame().level()
    if level == 0 or not breakpoints.ARMED.return_from_trap():
        return
    frame: gdb.Frame | None = gdb.newest_frame()
    for _ in range(level - 1):
        frame = frame.older() if frame is not None else None
    if frame is not None:
        frame.select()


_pre_down = commands.parser(
    PRE_DOWN,
    "Keep `down` on the selected goroutine's frames (gdb's hook-down calls it).",
)


@commands.command(PRE_DOWN, _pre_down)
def wslgo_pre_down(args: argparse.Namespace) -> None:
    sel = goframes.SWITCHER.applies()
    if sel is not None and gdb.selected_frame().level() <= sel.hide_below:
        # below are the borrowed thread's own frames (or a signal handler's)
        raise gdb.GdbError("Bottom (innermost) frame selected; you cannot go down.")


def install_hooks() -> None:
    """hook-next, hook-step, ... run `wslgo-pre-resume` before the user's own body."""
    for cmd in RESUMING:
        postrun.install_hook(f"hook-{cmd}", PRE_RESUME)
    postrun.install_hook("hook-down", PRE_DOWN)
