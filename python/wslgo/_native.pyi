"""Type stub of the native module (Rust, pyo3, abi3). Keep in sync with src/py/."""

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, TypeAlias, TypedDict, final

from typing_extensions import disjoint_base

class WslgoError(Exception): ...
class BadBinaryError(WslgoError): ...
class NotFoundError(WslgoError): ...
class MismatchError(WslgoError): ...  # process or core not from this binary
class MemoryReadError(WslgoError): ...
class UnsupportedError(WslgoError): ...

MAX_DEPTH: int
"""Most frames the unwinder keeps per goroutine (`--depth` is checked against it)."""

def version() -> str: ...
def binaries_opened() -> int:
    """How many ELF binaries this process has opened (files and byte buffers)."""
    ...

class BuildInfoDict(TypedDict):
    go_version: str
    path: str
    main_module: tuple[str, str] | None
    settings: list[tuple[str, str]]

def check_regular_file(path: str | os.PathLike[str], what: str) -> None:
    """Raise BadBinaryError ("... is a FIFO, not WHAT") unless PATH is a regular file."""

def exit_on_oom(prefix: str) -> None:
    """From now on a failed native allocation prints "PREFIX: out of memory (...)" and exits 1."""

def escape_text(s: str) -> str:
    """Controls, backslash and bidi overrides escaped (\\x1b, \\n, \\x00) for a terminal."""

def is_runtime_func(func: str) -> bool:
    """Whether ``func`` is a Go runtime function (``runtime.*`` and its internal packages)."""

class Binary:
    """An opened ELF binary (read-only mmap)."""

    def __init__(self, path: str) -> None: ...
    @property
    def path(self) -> str | None: ...
    @property
    def arch(self) -> str: ...
    @property
    def is_pie(self) -> bool: ...
    @property
    def is_go(self) -> bool: ...
    @property
    def has_dwarf(self) -> bool: ...
    @property
    def dwarf_compressed(self) -> bool: ...
    @property
    def has_symtab(self) -> bool: ...
    @property
    def build_id(self) -> str | None: ...
    @property
    def go_build_id(self) -> str | None: ...
    def section_names(self) -> list[str]: ...
    def gdb_python_scripts(self) -> list[str]: ...
    def elf_symbol(self, name: str) -> tuple[int, int] | None: ...
    def build_info(self) -> BuildInfoDict: ...

# ---- goroutine engine (src/py/goroutines.rs) ------------------------------------------

class FrameDict(TypedDict):
    """Shared between goroutines with the same frame: treat as read-only."""

    func: str
    file: str
    line: int
    pc: int
    entry: int
    inlined: bool
    wrapper: bool

class ThreadDict(TypedDict, total=False):
    tid: int
    pc: int
    sp: int
    bp: int
    lr: int
    signal: int

class GoStatementDict(TypedDict):
    func: str
    file: str
    line: int
    pc: int

class GoroutineDict(TypedDict):
    goid: int
    addr: int
    status: int
    status_name: str
    state: str
    wait_reason: str
    waitsince: int
    pc: int
    sp: int
    bp: int
    regs: str  # "sched" | "thread" | "syscall"
    stack_lo: int
    stack_hi: int
    frames: list[FrameDict]
    frame_sp: list[int]  # sp of each frame
    stack_error: str | None
    truncated: bool
    fp_mismatches: int  # frames where the frame-pointer chain disagreed with pcsp
    user_frame: int | None
    main_module_frame: bool  # some frame is in the main module (what --user keeps)
    go_statement: GoStatementDict | None
    start_func: str | None
    parent_goid: int | None
    labels: dict[str, str]
    thread_id: int | None
    m_id: int | None
    locked_to_thread: bool
    system: bool
    current: bool
    error: str | None

class UnwindDict(TypedDict):
    frames: list[FrameDict]
    frame_sp: list[int]
    error: str | None
    truncated: bool
    fp_mismatches: int

class RenderDict(TypedDict):
    text: str
    shown: int
    missing: list[int]
    relative: bool

@final
class Snapshot:
    """The goroutines of one enumeration, formatted natively in every view."""

    @property
    def scope(self) -> Scope: ...
    @property
    def include_dead(self) -> bool: ...
    @property
    def wait_errors(self) -> list[str]:
        """One line per wait object part that could not be read (taken with waits=True)."""
        ...
    def __len__(self) -> int: ...
    def summary(self) -> str:
        """`N goroutines (M system[, K unreadable])`."""
        ...
    def goids(self) -> list[int]:
        """Goroutine ids in enumeration order (a "current" snapshot: only those it kept)."""
        ...
    def panics(self) -> list[tuple[int, list[str]]]:
        """(goid, `panic: ...` lines) of each panicking goroutine (with `panics=True`); on
        a core, the goroutine that threw a fatal error gets its `fatal error: ...` line."""
        ...
    @property
    def fatal_error(self) -> str | None:
        """A core's fatal error thrown on a system stack (a deadlock), with `panics=True`."""
        ...
    def current(self) -> GoroutineDict | None: ...
    def goroutine(self, goid: int) -> GoroutineDict | None: ...
    def brief(self, depth: int = 6, style: Mapping[str, tuple[str, str]] | None = None) -> str:
        """The stop context: the current goroutine's frames from its user frame (the
        innermost ones folded into one line) and the counts."""
        ...
    def render(
        self,
        view: View,
        *,
        write: Callable[[str], object] | None = None,
        now: int | None = None,
    ) -> RenderDict:
        """Filter, order and format as the view says; with write, the text goes there in
        chunks (text is then empty). now: the runtime's clock for wait durations (None:
        relative to the newest timestamp in the snapshot)."""
        ...

Mode: TypeAlias = Literal[
    "list",
    "full",
    "group",
    "default",
    "json",
    "json-group",
    "jsonl",
    "jsonl-group",
    "info-goroutines",
]
Scope: TypeAlias = Literal["current", "user", "all"]

@final
class View:
    """A view of a snapshot: the mode, the goroutines shown, the frames and decoration."""

    def __new__(
        cls,
        mode: Mode,
        *,
        states: Sequence[str] = (),
        waits: Sequence[str] = (),
        func: str | None = None,
        user_only: bool = False,
        labels: Sequence[str] = (),
        goids: Sequence[int] = (),
        only_ids: bool = False,
        min_wait: int | None = None,
        depth: int | None = None,
        top: bool = False,
        style: Mapping[str, tuple[str, str]] | None = None,
        pretty: bool = False,
        no_goroutine: str = "",
        thread_nums: Mapping[int, int] | None = None,
        current_goid: int | None = None,
    ) -> View:
        """func: a regex (Rust's regex syntax) searched in every frame's function name and
        file:line; an invalid one raises WslgoError. only_ids: keep only goids, even when
        there are none. current_goid: the goroutine marked
        current instead of the snapshot's (gdb's `wslgo-goroutine N`)."""
        ...

@disjoint_base
class GoTarget:
    """Base of Process, Core and Callback: a Go binary's runtime model + a memory source."""

    @property
    def pid(self) -> int | None: ...
    def goroutines(
        self,
        threads: Iterable[ThreadDict] | None = None,
        include_dead: bool = False,
        max_depth: int = 512,
        current_tid: int | None = None,
    ) -> list[GoroutineDict]: ...
    def snapshot(
        self,
        threads: Iterable[ThreadDict] | None = None,
        include_dead: bool = False,
        current_tid: int | None = None,
        max_depth: int = 512,
        scope: Scope = "all",
        panics: bool = False,
        waits: bool = False,
    ) -> Snapshot:
        """One enumeration for every view. scope: "all" (every stack), "user" (stacks down
        to the first frame outside the runtime), "current" (only the current goroutine's
        stack; the others' states and counts). waits: also the object each blocked goroutine
        waits on (`waits_on` in every view, `Snapshot.wait_errors`)."""
        ...
    def unwind(
        self,
        goid: int | None = None,
        pc: int | None = None,
        sp: int | None = None,
        bp: int = 0,
        exact: bool = True,
        max_depth: int = 512,
        lr: int = 0,
    ) -> UnwindDict: ...
    def goroutine(
        self,
        goid: int,
        threads: Iterable[ThreadDict] | None = None,
        current_tid: int | None = None,
        max_depth: int = 0,
    ) -> GoroutineDict:
        """Goroutine `goid` (its stack only when max_depth > 0); NotFoundError when there
        is no such goroutine or it is dead."""
        ...
    def current_goroutine(
        self, current_tid: int | None, threads: Iterable[ThreadDict] | None = None
    ) -> GoroutineDict | None:
        """The goroutine thread `current_tid` runs (no stack), or None."""
        ...
    def panic_lines(self, gs: list[int]) -> list[list[str] | None]:
        """`panic: ...` lines (oldest first) of the goroutines at these runtime.g
        addresses; None for one that is not panicking."""
        ...
    def panic_chain(self, record: int) -> list[str]:
        """`panic: ...` lines of the runtime._panic chain at `record` (oldest first)."""
        ...
    def panic_value(self, typ: int, data: int) -> str:
        """A panic value (type descriptor, data word) as the runtime prints it."""
        ...
    def threads(self) -> list[ThreadDict]: ...
    def info(self) -> dict[str, Any]: ...

#: What a target is built from: an open Symbols or Binary (shared, not opened again) or a path.
ProgramArg: TypeAlias = "Symbols | Binary | str | os.PathLike[str]"

def goroutine_profile(
    target: GoTarget, snapshot: Snapshot, time_nanos: int, labels: str = ""
) -> bytes:
    """The gzipped pprof goroutine profile (profile.proto) of `snapshot`, read from
    `target`: user goroutines, one sample per distinct (stack, labels); `labels`
    (`state,wait`) adds wslgo's own labels (ValueError for another name)."""

def goroutineleak_profile(target: GoTarget, snapshot: Snapshot, time_nanos: int) -> bytes:
    """The gzipped goroutineleak profile (sample type goroutineleak/count) of `snapshot`
    (scope "all"): the goroutines the leak check finds leaked."""

@final
class Process(GoTarget):
    """A live process via /proc/PID/mem and process_vm_readv (needs ptrace access)."""

    def __new__(cls, binary: ProgramArg, pid: int) -> Process: ...

@final
class Core(GoTarget):
    """An ELF core file written by `binary`."""

    def __new__(cls, binary: ProgramArg, core: str | os.PathLike[str]) -> Core: ...

@final
class Callback(GoTarget):
    """Memory read through `read(addr, length) -> bytes` (gdb's inferior.read_memory)."""

    def __new__(
        cls,
        binary: ProgramArg,
        read: Callable[[int, int], bytes],
        load_bias: int = 0,
    ) -> Callback: ...

# ---- waits (src/py/waits.rs) ----------------------------------------------------------

def waits(
    target: GoTarget,
    threads: Iterable[ThreadDict] | None = None,
    json: bool = False,
    current_tid: int | None = None,
    goid: int | None = None,
    now: int | None = None,
) -> str:
    """What each blocked goroutine waits on, who else waits, who can unblock it, and the
    wait cycles: text, or the JSON document {"objects", "cycles", "wait_relative",
    "errors"}; with `goid`, the chain from that goroutine ({"chain", "end"}). `now`: the
    runtime's clock (nanotime) for wait times, None for a core (relative to the newest)."""

# ---- snapshots (src/py/snapshots.rs) ---------------------------------------------------

@final
class SavedSnapshot:
    """The goroutines of one moment, as a `--save` file holds them (gzipped JSON Lines)."""

    @staticmethod
    def of(
        target: GoTarget, snapshot: Snapshot, time_nanos: int, now: int | None = None
    ) -> SavedSnapshot:
        """The saved form of `snapshot` (whole stacks), at wall clock `time_nanos` and
        runtime clock `now` (None for a core)."""
    @staticmethod
    def read(path: str | os.PathLike[str]) -> SavedSnapshot:
        """A snapshot file (ValueError when it is not one)."""
    def to_bytes(self) -> bytes: ...
    @property
    def build_id(self) -> str: ...
    @property
    def time_nanos(self) -> int: ...
    def __len__(self) -> int: ...

def diff(
    a: SavedSnapshot,
    b: SavedSnapshot,
    json: bool = False,
    pretty: bool = False,
    all_groups: bool = False,
) -> str:
    """`a` (before) compared with `b` (after): groups, new, gone, stuck; text or JSON."""

# ---- report (src/py/report.rs) ---------------------------------------------------------

def report(
    target: GoTarget,
    threads: Iterable[ThreadDict] | None = None,
    current_tid: int | None = None,
    path_map: PathMap | None = None,
) -> str:
    """The HTML report of `target`: one self-contained page (header, state chart, groups,
    wait-for graph) from one enumeration; `path_map` finds the source around the crash."""

def leaks(
    target: GoTarget,
    threads: Iterable[ThreadDict] | None = None,
    json: bool = False,
    current_tid: int | None = None,
) -> str:
    """The leaked goroutines (blocked on objects nothing runnable reaches): a summary line
    and their groups, or the JSON document {"leaked", "groups", "blocked", "heap_bytes",
    "scanned_bytes", "seconds", "cannot", "not_roots", "errors"}."""

def leaked_goids(target: GoTarget, snapshot: Snapshot) -> list[int]:
    """The ids of the goroutines of `snapshot` the leak check finds leaked, ascending (when
    the heap cannot be read: only those blocked forever by construction or by the runtime)."""

# ---- symbols (src/py/symbols.rs) -----------------------------------------------------

class Frame:
    """One frame at a pc, innermost first."""

    @property
    def function(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def inlined(self) -> bool: ...

class SymbolsInfoDict(TypedDict):
    path: str
    go_version: str
    main_path: str
    main_module: tuple[str, str] | None
    settings: list[tuple[str, str]]
    arch: str
    pie: bool
    build_id: str | None
    dwarf: bool
    dwarf_compressed: bool
    dwarf_version: int | None
    dwarf_error: str | None
    pclntab: bool
    pclntab_error: str | None
    optimized: bool
    inlining_disabled: bool
    stripped: bool
    hints: list[str]

class Symbols:
    """Symbols of one Go binary: pcs from the pclntab (DWARF for pcs it does not cover, e.g.
    cgo), types and globals from DWARF, names from the pclntab and .symtab."""

    def __init__(self, path: str) -> None: ...
    @staticmethod
    def from_binary(bin: Binary) -> Symbols: ...
    def frames(self, pc: int) -> list[Frame]: ...
    def frames_batch(self, pcs: list[int]) -> list[list[Frame]]: ...
    def symbol_file(self) -> bytes: ...
    def lookup(self, name: str) -> list[tuple[str, int, int]]: ...
    def line_addresses(self, file: str, line: int) -> tuple[str, list[int]]: ...
    def search(self, pattern: str, regex: bool = False) -> list[str]: ...
    def variable(self, name: str) -> tuple[int, int, str]: ...
    def result_names(self, func: str) -> list[str]:
        """Function ``func``'s result names in order (``~r0`` or the source's names)."""
        ...
    def body_offset(self, func: str) -> int | None:
        """Where ``func``'s body starts, as an offset from its entry (its results are not
        set before it); None when its line rows do not say."""
        ...
    def struct_layout(self, name: str) -> dict[str, object]: ...
    def constant(self, name: str) -> int: ...
    def constants(self, prefix: str) -> list[tuple[str, int]]: ...
    def constants_of_type(self, type_name: str) -> list[tuple[str, int]]:
        """The DWARF constants of the named type ``type_name`` (``main.Color``), in name
        order."""
        ...
    def symbolize(
        self, pcs: list[int], inlines: bool = False, json: bool = False, addresses: bool = False
    ) -> list[str]: ...
    def symbolize_stream(
        self,
        data: bytes,
        write: Callable[[bytes], object],
        inlines: bool = False,
        json: bool = False,
        addresses: bool = False,
    ) -> tuple[int, list[tuple[int, str]]]:
        """(pcs symbolized, [(1-based line, message)] of skipped lines that are not
        addresses)."""
        ...
    def info(self) -> SymbolsInfoDict: ...

# --- WSL helpers (src/py/wsl.rs) -----------------------------------------------------------

class PathMap:
    """Windows <-> WSL path rules (longest `from` wins) over the automatic mapping."""

    def __init__(self) -> None: ...
    def add(self, from_: str, to: str, origin: str = "set") -> None: ...
    def remove(self, from_: str) -> bool: ...
    def clear(self, origin: str | None = None) -> None: ...
    def rules(self) -> list[tuple[str, str, str]]: ...
    def to_local(self, path: str) -> str: ...
    def to_foreign(self, path: str, windows: bool = True, distro: str | None = None) -> str: ...
    def substitutions(self) -> list[tuple[str, str]]: ...
    def resolve(self, query: str, files: list[str]) -> list[str]: ...
    def load_config(self, path: str) -> int: ...
    def import_launch_json(self, path: str, workspace: str | None = None) -> int: ...
    def __len__(self) -> int: ...

def windows_to_wsl(path: str) -> str | None: ...
def wsl_to_windows(path: str, distro: str | None = None) -> str | None: ...
def is_windows_path(path: str) -> bool: ...
def suggest_rule(query: str, binary_file: str) -> tuple[str, str] | None: ...
def merge_launch_json(
    text: str, configs: str, origin: str = "launch.json"
) -> tuple[str, list[str], list[str]]: ...
def source_files(symbols: Symbols) -> list[str]: ...
def jsonc_to_json(text: str, origin: str = "input") -> str: ...

# --- log diagnosis (src/py/diagnose.rs) ----------------------------------------------------

LogHit = tuple[str, str, str, list[int], int, str]
"""(name, cause, fix, first line numbers, count, first line)."""

@final
class LogScan:
    """Reads a gdb / delve / VS Code log in chunks and names its known failures."""

    def __init__(self) -> None: ...
    def feed(self, chunk: bytes) -> None: ...
    def finish(self) -> tuple[list[LogHit], list[tuple[int, str]], int, int]: ...

def log_patterns() -> list[tuple[str, str, str, str]]: ...

# --- values (src/py/values.rs) ---------------------------------------------------------------

class Values:
    """Readers behind the Go value printers: map and chan walks, dynamic types, batched
    strings and integers, over an open ``Symbols`` or ``Binary`` (or a path). Memory:
    /proc/PID/mem when ``pid`` is given, else ``read``."""

    def __init__(
        self,
        program: ProgramArg,
        read: Callable[[int, int], bytes] | None = None,
        pid: int | None = None,
        load_bias: int = 0,
        types: int | None = None,
    ) -> None: ...
    @property
    def go_version(self) -> str: ...
    @property
    def map_kind(self) -> str: ...
    def map_entries(
        self,
        addr: int,
        geometry: tuple[int, int, int, int, int, int, bool, bool],
        kind: str | None = None,
        max_bytes: int = ...,
        max_entries: int = ...,
    ) -> tuple[int, list[tuple[int, int]], str | None]: ...
    def chan_queue(
        self, addr: int, max_bytes: int = ..., max_entries: int = ...
    ) -> tuple[int, int, bool, list[int], str | None]: ...
    def map_find(
        self,
        addr: int,
        geometry: tuple[int, int, int, int, int, int, bool, bool],
        key: bytes,
        string: bool = False,
        kind: str | None = None,
        max_bytes: int = ...,
    ) -> int | None: ...
    def dyn_type(self, typ: int) -> tuple[str, int, int, bool]: ...
    def map_len(self, addr: int, kind: str | None = None) -> int: ...
    def chan_len_cap(self, addr: int) -> tuple[int, int]: ...
    def itab_type(self, itab: int) -> int: ...
    def dwarf_type_name(self, name: str) -> str | None: ...
    def strings(
        self, addrs: list[int], max_len: int, max_bytes: int = 16777216
    ) -> list[tuple[str, int] | None]: ...
    def quoted_strings(
        self, addrs: list[int], max_len: int, max_bytes: int = 16777216
    ) -> list[str]: ...
    def quoted_string(self, addr: int, max_len: int, max_bytes: int = 16777216) -> str: ...
    def mapped_extent(self, addr: int) -> int | None: ...
    def ints(self, addrs: list[int], size: int, signed: bool) -> list[int | None]: ...
    def dynamic_text(
        self, typ: int, data: int, max_elems: int = 200, max_string: int = 200
    ) -> str: ...

#: A map key or element larger than this sits behind a pointer in its slot.
MAP_MAX_INLINE_BYTES: int

def go_quote(data: bytes, truncated: bool) -> str: ...
def go_duration(ns: int) -> str: ...
def go_time(wall: int, ext: int, offset: int = 0, zone: str = "UTC") -> str: ...
def go_time_unix(wall: int, ext: int) -> int: ...
def go_time_monotonic(wall: int, ext: int) -> str | None: ...
def go_mutex(state: int) -> str: ...
def go_rwmutex(reader_count: int, writer_state: int) -> str: ...
def abi_results(
    arch: str, results: Sequence[Sequence[tuple[str, int, int]]]
) -> list[list[tuple[str, bool, int, int]] | None]:
    """Go's register ABI: per result's leaves ``(int|float|stack, offset, size)``, its
    ``(register, is_float, offset, size)`` pieces, or None for a result on the stack."""
    ...
