"""``wslgo-goroutine N [COMMAND]``: let gdb's own commands see goroutine N's stack, and
``goroutine all COMMAND`` (:func:`run_in_each`) for every goroutine.

A running goroutine is shown on its thread (from its innermost frame on its own stack), a
parked one through :mod:`wslgo.gdb.goframes`' unwinder on the selected thread. Nothing is
written to the inferior. The selection ends with ``wslgo-goroutine`` (no argument) and when
the program resumes. Goroutines come from the Rust engine (:mod:`wslgo.gdb.program`).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterable

import gdb

from wslgo import _native
from wslgo.gdb import commands, gofacts, goid, params, program, userframe
from wslgo.gdb.goframes import (
    SWITCHER,
    Frame0,
    Selection,
    filters_enabled,
    frame_zero_dispatch,
    trim_backtrace,
)
from wslgo.gdb.goframes import (
    Goroutine as Goroutine,  # re-exported: compat names goroutine.Goroutine
)


def find(goid: int) -> Goroutine:
    """Goroutine ``goid`` (raises gdb.GdbError when there is none, or it is dead)."""
    try:
        return Goroutine.from_record(program.goroutine(goid))
    except _native.NotFoundError as e:
        raise gdb.GdbError(f"wslgo-goroutine: {e}") from None


# ---------------------------------------------------------------------------- selection


def _thread_for_lwp(lwp: int) -> gdb.InferiorThread | None:
    for t in gdb.selected_inferior().threads():
        if t.ptid[1] == lwp:
            return t
    return None


def _frame_at_level(level: int) -> gdb.Frame | None:
    frame: gdb.Frame | None = gdb.newest_frame()
    for _ in range(level):
        if frame is None:
            return None
        frame = frame.older()
    return frame


def _innermost_on_stack(g: Goroutine) -> gdb.Frame:
    """The selected thread's innermost frame on ``g``'s own stack: a thread caught in a
    signal handler or on the system stack shows those frames first."""
    newest = gdb.newest_frame()
    frame: gdb.Frame | None = newest
    lo, hi = g.stack
    for _ in range(32):
        if frame is None:
            break
        try:
            sp = int(frame.read_register("sp"))
        except (gdb.error, ValueError):
            break
        if lo <= sp < hi:
            return frame
        frame = frame.older()
    return newest


#: gdb stops unwinding at main.main: held on while a parked goroutine is shown from there.
PAST_MAIN = params.Held("backtrace past-main", True)


def clear() -> None:
    """Back to the thread's own stack (no redraw)."""
    PAST_MAIN.release()
    if SWITCHER.selected is not None:
        SWITCHER.selected = None
        gdb.invalidate_cached_frames()


def leave() -> None:
    """Back to the thread's own stack and to the thread the user had selected, when a
    parked goroutine was shown on another one (:func:`_host`)."""
    sel = SWITCHER.selected
    clear()
    if sel is None or sel.origin is None:
        return
    for t in gdb.selected_inferior().threads():
        if t.global_num == sel.origin and t.is_valid():
            t.switch()


def resumed() -> None:
    """The program resumes (or exits): the selection and what was known of each thread's
    frame #0 are stale."""
    clear()
    SWITCHER.frame0.clear()


def _has_cfi() -> bool:
    """True when gdb unwinds the program's frames from DWARF CFI (else the engine does)."""
    prog = program.current_or_none()
    return prog is None or prog.binary.has_dwarf


def _reads_frame_base(frame: gdb.Frame) -> bool:
    """True when ``frame``'s function has arguments or variables (DWARF locates them from
    the frame's CFA); Go's assembly functions have none."""
    try:
        block: gdb.Block | None = frame.block()
    except RuntimeError:
        return False
    while block is not None:
        if any(sym.is_argument or sym.is_variable for sym in block):
            return True
        if block.function is not None:
            return False
        block = block.superblock
    return False


def _frame0(thread: gdb.InferiorThread) -> Frame0:
    """What a selection needs of ``thread``'s own frame #0 (switches to ``thread``; kept
    until the program resumes: frame #0 does not change while it stops)."""
    known = SWITCHER.frame0.get(thread.global_num)
    if known is not None:
        return known
    thread.switch()
    sel = SWITCHER.selected
    frame = gdb.newest_frame()
    cfa: int | None = None
    if sel is not None and sel.thread == thread.global_num and not sel.running:
        cfa = sel.frame0_cfa  # frame #1 is the selected goroutine's, not the caller
    else:
        try:
            caller = frame.older()
            cfa = None if caller is None else int(caller.read_register("sp"))
        except (gdb.error, ValueError):
            cfa = None
    known = Frame0(cfa, _reads_frame_base(frame))
    SWITCHER.frame0[thread.global_num] = known
    return known


def _host(g: Goroutine, home: gdb.InferiorThread) -> tuple[gdb.InferiorThread, Frame0]:
    """The thread that shows parked goroutine ``g``: ``home`` when gdb can keep reading its
    frame #0 there (:meth:`Frame0.shows`), else the first other stopped thread that can,
    else ``home`` anyway. Leaves it selected."""
    host, f0 = home, _frame0(home)
    if not f0.shows(g.sp):
        for t in gdb.selected_inferior().threads():
            if t.global_num != home.global_num and t.is_valid() and t.is_stopped():
                other = _frame0(t)
                if other.shows(g.sp):
                    host, f0 = t, other
                    break
    host.switch()
    return host, f0


def select(g: Goroutine, cfi: bool | None = None) -> str:
    """Make gdb see goroutine ``g``; returns how (for the message). ``cfi``: whether the
    program has DWARF CFI, when the caller knows."""
    if g.lwp is not None:
        thread = _thread_for_lwp(g.lwp)
        if thread is not None:
            clear()
            thread.switch()
            own = _innermost_on_stack(g)
            SWITCHER.selected = Selection(
                goroutine=g, thread=thread.global_num, hide_below=own.level(), running=True
            )
            own.select()
            return f"running on thread {thread.num} (LWP {g.lwp})"
    thread = gdb.selected_thread()
    if thread is None:
        clear()
        raise gdb.GdbError("wslgo-goroutine: no thread to show the goroutine on")
    sel = SWITCHER.selected
    origin = sel.origin if sel is not None and sel.origin is not None else thread.global_num
    home = next((t for t in gdb.selected_inferior().threads() if t.global_num == origin), thread)
    host, f0 = _host(g, home)
    # One frame-cache flush per switch: the new selection replaces any other at once.
    SWITCHER.selected = Selection(
        goroutine=g,
        thread=host.global_num,
        cfi=_has_cfi() if cfi is None else cfi,
        frame0_cfa=f0.cfa,
        origin=None if host.global_num == home.global_num else home.global_num,
    )
    PAST_MAIN.hold()
    gdb.invalidate_cached_frames()
    top = gdb.newest_frame().older()
    if top is None or top.pc() != g.pc:
        clear()
        raise gdb.GdbError(
            f"wslgo-goroutine: gdb could not unwind into goroutine {g.goid} (pc {g.pc:#x})"
        )
    top.select()
    how = f"{g.status_name}, saved pc {g.pc:#x} sp {g.sp:#x}"
    return how if host.global_num == home.global_num else f"{how}, shown on thread {host.num}"


# ---------------------------------------------------------------------------- command


_parser = commands.parser(
    "wslgo-goroutine",
    "Show goroutine N's stack to gdb's own commands (bt, frame, info locals, up, down).",
    epilog=(
        "wslgo-goroutine N           select goroutine N until the program resumes\n"
        "wslgo-goroutine N COMMAND   run one gdb COMMAND with N selected, then restore\n"
        "wslgo-goroutine             back to the thread's own stack\n\n"
        "A running goroutine is shown by switching to its thread. A parked one is shown\n"
        "through an unwinder (works on core files): its frames start at #1, frame #0\n"
        "stays the thread's own frame and `bt` hides it (another stopped thread shows it\n"
        "when the selected one's frame #0 would no longer read right)."
    ),
)
_parser.add_argument(
    "goid", nargs="?", help="goroutine id: a number or a gdb expression without spaces ($1)"
)
_parser.add_argument("command", nargs="?", help="gdb command to run with N selected")


def parse_goid(text: str, command: str = "wslgo-goroutine") -> int:
    """A goroutine id: a number or a gdb expression (`'main.ids'[1]`); UsageError else."""
    with contextlib.suppress(ValueError):
        return int(text, 0)
    try:
        return int(gdb.parse_and_eval(text))
    except (gdb.error, ValueError) as e:
        raise commands.UsageError(f"{command}: bad goroutine id {text!r}: {e}") from None


@commands.command("wslgo-goroutine", _parser, argv=commands.first_word_and_rest)
def wslgo_goroutine(args: argparse.Namespace) -> None:
    if args.goid is None:
        if SWITCHER.selected is None:
            gdb.write("wslgo-goroutine: no goroutine selected; showing the thread's own stack\n")
        leave()
        goid.refresh()
        if gdb.selected_thread() is not None:
            gdb.newest_frame().select()
            gdb.write(gdb.execute("frame", to_string=True))
        return
    g = find(parse_goid(args.goid))
    if args.command is None:
        how = select(g)
        goid.refresh()
        gdb.write(f"[goroutine {g.goid}: {how}]\n")
        gdb.write(gdb.execute("frame", to_string=True))
        return
    run_in(g, args.command)


def _restore(saved: Selection | None, thread: gdb.InferiorThread | None, level: int) -> None:
    if thread is not None and thread.is_valid():
        thread.switch()
    SWITCHER.selected = saved
    PAST_MAIN.hold() if saved is not None and not saved.running else PAST_MAIN.release()
    gdb.invalidate_cached_frames()
    frame = _frame_at_level(level)
    if frame is not None:
        frame.select()


def run_in(g: Goroutine, command: str) -> None:
    """Run one gdb ``command`` with ``g`` selected, then restore the selection."""
    saved = SWITCHER.selected
    thread = gdb.selected_thread()
    level = gdb.selected_frame().level()
    try:
        select(g)
        goid.refresh()
        sel = SWITCHER.selected
        if sel is not None and not sel.running:  # from its user frame, not gopark's
            f = userframe.user_frame(g.goid)
            if f is not None:
                userframe.select(f)
        gdb.execute(command)
    finally:
        _restore(saved, thread, level)
        goid.refresh()


#: gdb's backtrace command and its aliases, and ``info stack`` (``info s``).
BACKTRACE_WORDS = ("bt", "backtrace", "where")


def trimmable(command: str) -> bool:
    """True for a backtrace command without a frame count: gdb prints it itself and
    :func:`trim_backtrace` drops the frames that are not the goroutine's (with a count,
    gdb would count the hidden frames too, so that one goes through the frame filter)."""
    words = command.split()
    if words[:1] == ["info"] and words[1:2] in (["stack"], ["s"]):
        rest = words[2:]
    elif words[:1] and words[0] in BACKTRACE_WORDS:
        rest = words[1:]
    else:
        return False
    return not any(w.lstrip("-").isdigit() for w in rest)


def _pure_go() -> bool:
    """True for a program built without cgo (its build settings say so)."""
    prog = program.current_or_none()
    try:
        return prog is not None and gofacts.NO_CGO in prog.binary.build_info()["settings"]
    except _native.WslgoError:
        return False


def with_options(command: str, options: list[str]) -> str:
    """The backtrace ``command`` with ``options`` after its name (an option the command
    gives comes later and wins)."""
    if not options:
        return command
    head = 2 if command.split()[0] == "info" else 1
    parts = command.split(None, head)
    return " ".join([*parts[:head], *options, *parts[head:]])


def quick_options() -> list[str]:
    """Options that make gdb's backtrace of a goroutine cheaper without changing what it
    prints. ``-entry-values no`` for a program without cgo under gdb's ``print
    entry-values default``: gdb looks every argument up at its function's entry too, which
    Go's DWARF (no call-site information) never answers, at the cost of a C++ exception
    each (a third of a Go backtrace). ``-no-filters`` when no frame filter is enabled: gdb
    would otherwise ask Python's frame-filter machinery, per backtrace, to find none."""
    options = []
    if gdb.parameter("print entry-values") == "default" and _pure_go():
        options.append("-entry-values no")
    if not filters_enabled():
        options.append("-no-filters")
    return options


def run_in_each(goroutines: Iterable[Goroutine], command: str) -> None:
    """``goroutine all COMMAND``: ``goroutine N [status]:``, then ``command`` in goroutine
    N's context, for each goroutine in turn (one's failure does not end the rest). The
    selection is saved and restored once. A backtrace command (:func:`trimmable`) is
    printed by gdb's own backtrace, without the frame filter (gdb's Python frame printing
    costs several times its own), with :func:`quick_options` and gdb's Python unwinder
    dispatch cut short after frame #0 (:func:`~wslgo.gdb.goframes.frame_zero_dispatch`),
    captured and trimmed of the frames that are not the goroutine's; gdb's styling does not
    survive the capture."""
    saved = SWITCHER.selected
    thread = gdb.selected_thread()
    level = gdb.selected_frame().level()
    cfi = _has_cfi()
    SWITCHER.trimming = trimmable(command)
    if SWITCHER.trimming:
        command = with_options(command, quick_options())
    quick = frame_zero_dispatch(cfi) if SWITCHER.trimming else contextlib.nullcontext()
    try:
        with quick:
            for g in goroutines:
                gdb.write(f"goroutine {g.goid} [{g.status_name}]:\n")
                try:
                    select(g, cfi)
                    sel = SWITCHER.selected
                    if SWITCHER.trimming and sel is not None:
                        text = gdb.execute(command, to_string=True)
                        gdb.write(trim_backtrace(text, sel.hide_below))
                    else:
                        gdb.execute(command)
                except (gdb.error, gdb.GdbError) as e:
                    gdb.write(f"goroutine {g.goid}: {e}\n", gdb.STDERR)
    finally:
        SWITCHER.trimming = False
        _restore(saved, thread, level)
