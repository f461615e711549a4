"""What wslgo does by itself while a Go program runs under gdb.

- Symbols the hooks need are resolved when the Go program is loaded, through the native
  module (``_native.Symbols``: DWARF, pclntab, .symtab; file addresses) and cached in
  ``state.Program.cache``; for PIE the load bias is the distance between gdb's relocated
  ``runtime.main`` and the file's.
- When the process starts (the first ``new_objfile`` event that sees a live process: gdb
  loads the vDSO right after it created the inferior and relocated a PIE, before any Go code
  ran; the first stop and gdb's post-run hook are fallbacks, e.g. after ``attach``),
  wslgo arms internal breakpoints:
  * ``runtime.breakpoint``: silent, stops *before* the trap; on the stop wslgo moves the pc
    past the INT3 (amd64, 1 byte) / BRK (arm64, 4 bytes) so the SIGTRAP never fires and gdb
    stops once per ``runtime.Breakpoint()`` call, reported as a Go breakpoint;
  * ``runtime.main`` (one shot, never stops): stores the "crash" traceback level, after
    ``schedinit`` has parsed GOTRACEBACK (see :mod:`wslgo.gdb.traceback`);
  * with ``set wslgo break-on-panic on|all``: runtime.fatalpanic, runtime.fatalthrow
    (and runtime.gopanic).
- GOTRACEBACK=crash goes into the environment of programs gdb starts when the Go program is
  loaded (``new_objfile``), unless GOTRACEBACK is already set there (by the user's shell or
  ``set environment``); a later ``set environment``/``unset environment`` by the user wins.
- gdb's post-hook of ``run`` is defined to call ``wslgo-post-run``, keeping the body of any
  post-run hook the user had (re-checked each time a Go program is loaded). gdb spells it
  ``hookpost-run``: a command named ``hook-post-run`` would be a *pre*-hook of a
  non-existent ``post-run`` command (gdb warns "does not hook any existing command").
- On each stop at a Go breakpoint, a fatal signal, a panic breakpoint or a user breakpoint in
  Go code, the goroutine context is printed through :func:`print_context` (``set wslgo
  stop-context off|brief|full``).
"""

from __future__ import annotations

import argparse
import importlib
import re
import traceback as _tb
from dataclasses import dataclass, field

import gdb

from wslgo import _native
from wslgo.gdb import commands, params, state

#: Symbols the hooks and the goroutine switcher need (cached per program).
SYMBOLS = (
    "runtime.breakpoint",
    "runtime.Breakpoint",
    "runtime.traceback_cache",
    "runtime.traceback_env",
    "runtime/debug.SetTraceback",
    "runtime.allgs",
    "runtime.allglen",
    "runtime.main",
    "runtime.mainStarted",
    "runtime.fatalpanic",
    "runtime.fatalthrow",
    "runtime.gopanic",
    "runtime.crash",
    "runtime.dieFromSignal",
    "runtime.raise",
    "runtime.goexit",
)

#: Signals that usually mean a Go program is dying (or about to turn into a panic).
FATAL_SIGNALS = ("SIGSEGV", "SIGBUS", "SIGFPE", "SIGABRT", "SIGILL")

#: Size of the trap instruction runtime.breakpoint starts with.
TRAP_SIZE = {"amd64": 1, "386": 1, "arm64": 4}

POST_RUN_COMMAND = "wslgo-post-run"
#: gdb's name for the hook that runs after `run` returns.
POST_RUN_HOOK = "hookpost-run"


# ---------------------------------------------------------------------------- symbols


def program_or_none() -> state.Program | None:
    """The current Go program, or None (no file, not Go, unreadable)."""
    try:
        return state.program()
    except gdb.GdbError:
        return None


def native_symbols(prog: state.Program) -> _native.Symbols | None:
    """The native symbol engine of ``prog`` (DWARF, pclntab, .symtab), opened once."""
    cached = prog.cache.get("native.symbols")
    if cached is None:
        try:
            cached = _native.Symbols.from_binary(prog.binary)
        except (_native.WslgoError, AttributeError):  # AttributeError: an older native module
            cached = False
        prog.cache["native.symbols"] = cached
    return cached if isinstance(cached, _native.Symbols) else None


def _resolve(prog: state.Program, name: str) -> tuple[int, int] | None:
    syms = native_symbols(prog)
    if syms is not None:
        try:
            funcs = syms.lookup(name)
        except _native.WslgoError:
            funcs = []
        if funcs:
            exact = [f for f in funcs if f[0] in (name, f"{name}.abi0")] or funcs
            _, entry, end = exact[0]
            return entry, max(end - entry, 1)
        try:
            addr, size, _ = syms.variable(name)
            return addr, size
        except _native.WslgoError:
            pass
    # Assembly functions carry their ABI in the ELF name (runtime.breakpoint.abi0).
    for candidate in (name, f"{name}.abi0"):
        found = prog.binary.elf_symbol(candidate)
        if found is not None:
            return found
    return None


def symbols(prog: state.Program) -> dict[str, tuple[int, int] | None]:
    """``name -> (file address, size)`` for :data:`SYMBOLS`, resolved by the native module."""
    cached = prog.cache.get("hooks.symbols")
    if isinstance(cached, dict):
        return cached
    out = {name: _resolve(prog, name) for name in SYMBOLS}
    prog.cache["hooks.symbols"] = out
    return out


_HEX = re.compile(r"\bat (?:address )?(0x[0-9a-fA-F]+)")


def load_bias(prog: state.Program) -> int:
    """How far the running (or core) image is from the file's addresses: 0 unless PIE.

    gdb relocates a PIE's symbols when the process starts; comparing its ``runtime.main`` with
    the file's gives the bias. Cached per process id."""
    if not prog.binary.is_pie:
        return 0
    pid = gdb.selected_inferior().pid
    key = f"hooks.bias.{pid}"
    cached = prog.cache.get(key)
    if isinstance(cached, int):
        return cached
    main = symbols(prog).get("runtime.main")
    if main is None:
        return 0
    try:
        out = gdb.execute("info address runtime.main", to_string=True)
    except gdb.error:
        return 0
    m = _HEX.search(out)
    if m is None:
        return 0
    bias = int(m.group(1), 16) - main[0]
    if pid:
        prog.cache[key] = bias
    return bias


def address(name: str) -> int | None:
    """Run-time address of one of :data:`SYMBOLS` in the current program, or None."""
    prog = program_or_none()
    if prog is None:
        return None
    found = symbols(prog).get(name)
    if found is None:
        return None
    return found[0] + load_bias(prog)


def pc_in(name: str, pc: int) -> bool:
    """True when ``pc`` lies inside function ``name`` (one of :data:`SYMBOLS`)."""
    prog = program_or_none()
    if prog is None:
        return False
    found = symbols(prog).get(name)
    if found is None:
        return False
    start = found[0] + load_bias(prog)
    return start <= pc < start + max(found[1], 1)


def is_core() -> bool:
    """True when gdb is looking at a core file rather than a process."""
    conn = getattr(gdb.selected_inferior(), "connection", None)
    return conn is not None and getattr(conn, "type", "") == "core"


# ---------------------------------------------------------------------------- breakpoints


class _GoBreakpoint(gdb.Breakpoint):
    """runtime.breakpoint: stop before the trap (the stop handler skips it)."""

    def __init__(self, addr: int) -> None:
        super().__init__(f"*{addr:#x}", gdb.BP_BREAKPOINT, internal=True)
        self.silent = True  # wslgo prints its own line; gdb's would say "Breakpoint -1"
        self.addr = addr


class _PanicBreakpoint(gdb.Breakpoint):
    """runtime.fatalpanic / fatalthrow / gopanic (``set wslgo break-on-panic``)."""

    def __init__(self, addr: int, what: str) -> None:
        super().__init__(f"*{addr:#x}", gdb.BP_BREAKPOINT, internal=True)
        self.silent = True
        self.what = what


class _TracebackBreakpoint(gdb.Breakpoint):
    """One shot at runtime.main: store the crash traceback level, never stop."""

    def __init__(self, addr: int) -> None:
        super().__init__(f"*{addr:#x}", gdb.BP_BREAKPOINT, internal=True, temporary=True)
        self.silent = True
        self.done = False
        self.error: str | None = None

    def stop(self) -> bool:
        if not self.done:
            self.done = True
            try:
                from wslgo.gdb import traceback

                traceback.force_crash()
            except Exception as e:  # reported at the next stop; the program goes on
                self.error = " ".join(str(e).split())
        return False


@dataclass
class _Armed:
    pid: int = 0
    go: _GoBreakpoint | None = None
    tb: _TracebackBreakpoint | None = None
    panics: list[_PanicBreakpoint] = field(default_factory=list)


_armed = _Armed()


def _delete(bp: gdb.Breakpoint | None) -> None:
    if bp is not None and bp.is_valid():
        bp.delete()


def disarm() -> None:
    """Delete every internal breakpoint wslgo created."""
    _delete(_armed.go)
    _delete(_armed.tb)
    for bp in _armed.panics:
        _delete(bp)
    _armed.go = _armed.tb = None
    _armed.panics = []
    _armed.pid = 0


def _trap_looks_right(addr: int, arch: str) -> bool:
    """runtime.breakpoint must start with INT3 / BRK, or the bias is wrong."""
    try:
        data = bytes(gdb.selected_inferior().read_memory(addr, 4))
    except gdb.error:
        return False
    if arch in ("amd64", "386"):
        return data[0] == 0xCC
    if arch == "arm64":
        return int.from_bytes(data, "little") & 0xFFE0001F == 0xD4200000
    return True


def arm() -> bool:
    """Arm the breakpoints for the live process (idempotent per pid). True when armed."""
    inf = gdb.selected_inferior()
    if inf.pid == 0 or is_core():
        return False
    if _armed.pid == inf.pid:
        return True
    prog = program_or_none()
    if prog is None:
        return False
    brk = address("runtime.breakpoint")
    if brk is not None and not _trap_looks_right(brk, prog.binary.arch):
        return False  # a PIE not relocated yet; a later event will try again
    disarm()
    _armed.pid = inf.pid
    if brk is not None:
        _armed.go = _GoBreakpoint(brk)
    if params.get("crash-traceback"):
        _arm_traceback()
    _arm_panics()
    return True


def _arm_traceback() -> None:
    main = address("runtime.main")
    started = address("runtime.mainStarted")
    already = False
    if started is not None:
        try:
            already = bytes(gdb.selected_inferior().read_memory(started, 1))[0] != 0
        except gdb.error:
            already = False
    if already:  # attached to a running program: schedinit is long done
        from wslgo.gdb import traceback

        traceback.force_crash()
    elif main is not None:
        _armed.tb = _TracebackBreakpoint(main)


def _arm_panics() -> None:
    for bp in _armed.panics:
        _delete(bp)
    _armed.panics = []
    mode = params.get("break-on-panic")
    if mode == "off" or _armed.pid == 0:
        return
    names = ["runtime.fatalpanic", "runtime.fatalthrow"]
    if mode == "all":
        names.append("runtime.gopanic")
    for name in names:
        addr = address(name)
        if addr is not None:
            _armed.panics.append(_PanicBreakpoint(addr, name))


def _on_break_on_panic_changed() -> None:
    if _armed.pid and _armed.pid == gdb.selected_inferior().pid:
        _arm_panics()


# ---------------------------------------------------------------------------- environment


def set_gotraceback_env() -> None:
    """GOTRACEBACK=crash for programs gdb starts, unless GOTRACEBACK is set already."""
    if not params.get("crash-traceback"):
        return
    try:
        out = gdb.execute("show environment GOTRACEBACK", to_string=True)
    except gdb.error:
        return
    if "not defined" in out:
        gdb.execute("set environment GOTRACEBACK=crash", to_string=True)
        _env_is_ours[0] = True


_env_is_ours = [False]


def _on_crash_traceback_changed() -> None:
    """`set wslgo crash-traceback off` takes back the GOTRACEBACK=crash wslgo added."""
    if params.get("crash-traceback"):
        if program_or_none() is not None:
            set_gotraceback_env()
        return
    if _env_is_ours[0]:
        out = gdb.execute("show environment GOTRACEBACK", to_string=True)
        if out.strip() == "GOTRACEBACK = crash":
            gdb.execute("unset environment GOTRACEBACK", to_string=True)
        _env_is_ours[0] = False


# ---------------------------------------------------------------------------- hookpost-run


def _user_hook_body() -> list[str]:
    """Body lines of the current hookpost-run (relative indentation kept), [] if none."""
    try:
        out = gdb.execute(f"show user {POST_RUN_HOOK}", to_string=True)
    except gdb.error:
        return []
    lines = out.splitlines()
    if not lines or not lines[0].startswith("User command"):
        return []
    body = [ln[2:] if ln.startswith("  ") else ln for ln in lines[1:]]
    while body and not body[-1].strip():
        body.pop()
    return body


def install_post_run_hook() -> None:
    """Define hookpost-run as `wslgo-post-run` followed by the user's previous body."""
    body = _user_hook_body()
    if any(ln.strip() == POST_RUN_COMMAND for ln in body):
        return
    text = "\n".join([f"define {POST_RUN_HOOK}", f"  {POST_RUN_COMMAND}"])
    text += "".join(f"\n  {ln}" for ln in body) + "\nend"
    confirm = gdb.parameter("confirm")
    gdb.execute("set confirm off", to_string=True)
    try:
        gdb.execute(text, to_string=True)
    finally:
        if confirm:
            gdb.execute("set confirm on", to_string=True)


_post_run = commands.parser(
    POST_RUN_COMMAND,
    "Arm wslgo's Go breakpoints for the running program (gdb's hookpost-run calls this).",
    epilog="Idempotent: wslgo arms them when the process starts; this is the fallback.",
)


@commands.command(POST_RUN_COMMAND, _post_run)
def wslgo_post_run(args: argparse.Namespace) -> None:
    arm()


# ---------------------------------------------------------------------------- stops


def print_context(level: str) -> None:
    """The goroutine context of the stop, printed by ``wslgo.gdb.bt.print_stop_context``.

    A shim: if bt.py is not there yet it prints nothing; any other failure is one line."""
    try:
        bt = importlib.import_module("wslgo.gdb.bt")
    except ModuleNotFoundError as e:
        if e.name in ("wslgo.gdb.bt",):
            return
        raise
    fn = getattr(bt, "print_stop_context", None)
    if fn is not None:
        fn(level)


def _caller_description() -> str:
    """``main.main at main.go:61``: the first frame outside runtime.(B|b)reakpoint."""
    frame: gdb.Frame | None = gdb.newest_frame()
    for _ in range(8):
        if frame is None:
            break
        name = frame.name() or "??"
        if name not in _BREAKPOINT_FUNCS:
            sal = frame.find_sal()
            if sal.symtab is not None:
                return f"{name} at {sal.symtab.filename}:{sal.line}"
            return _native_position(frame.pc() - 1) or f"{name} at {frame.pc():#x}"
        frame = frame.older()
    return "??"


def _native_position(pc: int) -> str | None:
    """``func at file:line`` of a run-time pc from the native symbols (no DWARF needed)."""
    prog = program_or_none()
    syms = native_symbols(prog) if prog is not None else None
    if prog is None or syms is None:
        return None
    try:
        frames = syms.frames(pc - load_bias(prog))
    except _native.WslgoError:
        return None
    # innermost first: runtime.Breakpoint may be inlined into its caller
    for f in frames:
        if f.function not in _BREAKPOINT_FUNCS and f.file:
            return f"{f.function} at {f.file}:{f.line}"
    return None


_BREAKPOINT_FUNCS = ("runtime.breakpoint", "runtime.Breakpoint", "runtime.breakpoint.abi0")


def _goroutine_label() -> str:
    from wslgo.gdb import goroutine

    try:
        goid = goroutine.current_goid()
    except Exception:
        goid = None
    return f"goroutine {goid}" if goid is not None else "goroutine ?"


def _in_go_code(pc: int) -> bool:
    return gdb.solib_name(pc) is None


def _runtime_is_crashing() -> bool:
    frame: gdb.Frame | None = gdb.newest_frame()
    for _ in range(10):
        if frame is None:
            return False
        pc = frame.pc()
        if any(pc_in(n, pc) for n in ("runtime.crash", "runtime.dieFromSignal")):
            return True
        frame = frame.older()
    return False


def classify(event: gdb.StopEvent) -> tuple[str, str] | None:
    """(kind, one-line description) for stops that get context, else None."""
    if isinstance(event, gdb.BreakpointEvent):
        bps = list(event.breakpoints)
        if _armed.go is not None and any(b is _armed.go for b in bps):
            return "go-breakpoint", "Go breakpoint: runtime.Breakpoint()"
        for b in bps:
            if isinstance(b, _PanicBreakpoint):
                return "panic", f"stopped at {b.what} (panic)"
        if any(b.number > 0 for b in bps) and _in_go_code(gdb.newest_frame().pc()):
            nums = ", ".join(str(b.number) for b in bps if b.number > 0)
            return "breakpoint", f"breakpoint {nums}"
        return None
    if isinstance(event, gdb.SignalEvent) and event.stop_signal in FATAL_SIGNALS:
        sig = event.stop_signal
        if sig == "SIGABRT" and _runtime_is_crashing():
            return "signal", (
                f"{sig} from the Go runtime's crash (GOTRACEBACK=crash): "
                "`continue` to let it die and dump core"
            )
        if sig == "SIGSEGV" or sig == "SIGBUS" or sig == "SIGFPE":
            return "signal", (
                f"fatal signal {sig}: `continue` passes it to the Go runtime "
                "(a panic, or a crash traceback)"
            )
        return "signal", f"fatal signal {sig}"
    return None


def _skip_trap() -> None:
    """Move the pc past runtime.breakpoint's trap so the SIGTRAP never fires."""
    go = _armed.go
    prog = program_or_none()
    if go is None or prog is None:
        return
    frame = gdb.newest_frame()
    if frame.pc() != go.addr:
        return
    step = TRAP_SIZE.get(prog.binary.arch, 1)
    gdb.execute(f"set var $pc = {go.addr + step:#x}", to_string=True)


def _on_stop(event: gdb.StopEvent) -> None:
    if _armed.pid != gdb.selected_inferior().pid:
        arm()
    tb = _armed.tb
    if tb is not None and tb.done:
        if tb.error:
            gdb.write(f"wslgo: could not set the crash traceback level: {tb.error}\n", gdb.STDERR)
        _delete(tb)
        _armed.tb = None
    if program_or_none() is None:
        return
    kind = classify(event)
    if kind is None:
        return
    what, line = kind
    level = str(params.get("stop-context") or "brief")
    if what == "go-breakpoint":
        _skip_trap()
        line = f"{line} in {_caller_description()}"
    if what in ("go-breakpoint", "panic"):
        # These breakpoints are silent: this replaces gdb's own stop line.
        gdb.write(f"wslgo: {line}, {_goroutine_label()}\n")
        gdb.write(gdb.execute("frame", to_string=True))
    elif level != "off":
        gdb.write(f"wslgo: {line}, {_goroutine_label()}\n")
    if level != "off":
        print_context(level)


def on_stop(event: gdb.StopEvent) -> None:
    """gdb.events.stop handler (never raises into gdb)."""
    try:
        _on_stop(event)
    except Exception as e:
        if params.verbose():
            gdb.write(_tb.format_exc(), gdb.STDERR)
        gdb.write(f"wslgo: stop handler: {' '.join(str(e).split())}\n", gdb.STDERR)


def on_exited(event: object) -> None:
    """gdb.events.exited handler: the breakpoints belong to the dead process."""
    try:
        disarm()
    except Exception as e:
        gdb.write(f"wslgo: {' '.join(str(e).split())}\n", gdb.STDERR)


def on_new_objfile(event: gdb.NewObjFileEvent) -> None:
    """Loading a Go program: environment and hook; a live process: arm the breakpoints."""
    try:
        path = event.new_objfile.filename
        prog = program_or_none() if path and path == gdb.current_progspace().filename else None
        if prog is not None:
            symbols(prog)  # resolve once, now, through the native module
            set_gotraceback_env()
            install_post_run_hook()
        if gdb.selected_inferior().pid != 0:
            arm()
    except Exception as e:
        if params.verbose():
            gdb.write(_tb.format_exc(), gdb.STDERR)
        gdb.write(f"wslgo: {' '.join(str(e).split())}\n", gdb.STDERR)


def setup() -> None:
    """Install hookpost-run and the parameter listeners (called once from setup)."""
    params.on_change("break-on-panic", _on_break_on_panic_changed)
    params.on_change("crash-traceback", _on_crash_traceback_changed)
    install_post_run_hook()
