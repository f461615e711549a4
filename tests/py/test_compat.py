"""runtime-gdb.py's commands done by wslgo (`info goroutines`, `goroutine <id|all> CMD`) and
coexistence with runtime-gdb.py in either load order, or with `set wslgo compat off`.
Oracles: the fixtures' own goroutine ids, the GOTRACEBACK=crash dump of the core."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import gofixtures
from conftest import build
from wslgo_testing import gdb as gdb_support
from wslgo_testing.cores import make_core
from wslgo_testing.gdb import bt_functions, marked, section
from wslgo_testing.sources import goids
from wslgo_testing.traceback import goroutine_functions


def runtime_gdb_py(go_version: str) -> Path:
    return gdb_support.runtime_gdb_py(gofixtures.go_binary(gofixtures.full_version(go_version)))


TAKES_OVER = "wslgo: runtime-gdb.py is loaded too; wslgo's printers, commands and $len"


def test_info_goroutines_and_goroutine_live(gdb_run, go_version: str) -> None:
    binary = build("hkbreak", go_version)
    r = gdb_run(
        [
            "set wslgo select-user-frame off",  # the AFTER check: frame #0 stays selected
            "run",
            *marked("INFO", "info goroutines"),
            *marked("ONE", "eval \"goroutine %d bt\", 'main.ids'[1]"),
            *marked("MAIN", "goroutine 1 bt"),
            *marked("ALL", "goroutine all bt"),
            # with a count the frame filter hides the borrowed frames; without, the
            # captured backtrace is trimmed: both show the same
            *marked("ALLCOUNT", "goroutine all bt 1000"),
            # wslgo skips gdb's entry-value lookups for a program without cgo: same output
            *marked("ENTRY", "goroutine all bt -entry-values default"),
            *marked("FULL", "goroutine all bt full"),
            *marked("FULLCOUNT", "goroutine all bt full 1000"),
            *marked("AFTER", "frame"),
            *marked("BAD", "goroutine 999999 bt"),
            *marked("USAGE", "goroutine 1"),
            "kill",
        ],
        binary=binary,
    )
    out = r.stdout
    ids = goids(r.output, "hkbreak")
    info = section(out, "INFO")
    # runtime-gdb.py's columns (`*` on an M, id, status) and the user frame, not gopark
    assert re.search(r"^\*\s+1\s+running\s+main\.main at \S*hkbreak/main\.go:\d+$", info, re.M), (
        info
    )
    hold = re.search(rf"^ \s*{ids['hold1']}\s+waiting\s+(\S+) at ", info, re.M)
    assert hold and hold.group(1) == "main.hold", info
    assert re.search(rf"^\*\s+{ids['spin']}\s+running\s+main\.spin at ", info, re.M), info
    assert "runtime.gopark" not in info, info
    one = section(out, "ONE")
    assert "main.hold" in bt_functions(one), one
    main = section(out, "MAIN")  # running: the thread's own stack, from #0
    assert re.match(r"#0\s+runtime\.breakpoint ", main) and "main.main" in bt_functions(main)
    every = section(out, "ALL")
    for goid in (1, ids["hold1"], ids["hold2"], ids["spin"]):
        assert re.search(rf"^goroutine {goid} \[", every, re.M), every
    assert every.count("main.hold (id=") == 2, every
    blocks = dict(re.findall(r"^goroutine (\d+) \[\w+\]:\n((?:#.*\n)*)", every, re.M))
    for goid in (ids["hold1"], ids["hold2"]):  # parked: the borrowed frame #0 is hidden
        assert blocks[str(goid)].startswith("#1 ") and "breakpoint" not in blocks[str(goid)]
    assert " in ?? ()" not in every, every
    assert every == section(out, "ALLCOUNT"), (every, section(out, "ALLCOUNT"))
    assert every == section(out, "ENTRY"), (every, section(out, "ENTRY"))
    full = section(out, "FULL")
    assert re.search(r"^\s+secret = \d+$", full, re.M), full  # main.hold's locals
    assert "No symbol table info" not in full, full  # the null frame's line
    # gdb's own `bt full` says "No locals." where its Python frame printing says nothing
    assert full.replace("No locals.\n", "") == section(out, "FULLCOUNT"), full
    # the thread's own frame is selected again afterwards
    assert re.match(r"#0\s+runtime\.breakpoint ", section(out, "AFTER"))
    err = r.stderr
    assert "wslgo-goroutine: no goroutine 999999" in err or "999999" in err, err
    assert "usage: goroutine <id|all> <gdb command>" in err, err
    assert "Traceback" not in r.output, r.output


#: A user's own Python unwinder and frame filter: both pass every frame on and count what
#: gdb asks them.
WATCHERS = """\
import gdb
import gdb.unwinder

class Watch(gdb.unwinder.Unwinder):
    def __init__(self):
        super().__init__("watch")
        self.levels = set()

    def __call__(self, pending_frame):
        self.levels.add(pending_frame.level())
        return None

class Pass:
    name, priority, enabled, seen = "pass", 1, True, 0

    def filter(self, frames):
        for frame in frames:
            Pass.seen += 1
            yield frame

WATCH = Watch()
gdb.unwinder.register_unwinder(None, WATCH)
gdb.frame_filters["pass"] = Pass()
"""


def test_goroutine_all_bt_keeps_users_unwinder_and_filter(
    gdb_run, go_version: str, tmp_path: Path
) -> None:
    """`goroutine all bt` cuts gdb's unwinder dispatch short after frame #0 and skips the
    frame filters only while no other unwinder or filter is enabled: a user's own still
    sees every frame."""
    binary = build("hkbreak", go_version)
    watchers = tmp_path / "watchers.py"
    watchers.write_text(WATCHERS)
    r = gdb_run(
        [
            "run",
            f"source {watchers}",
            "python WATCH.levels.clear()",
            *marked("ALL", "goroutine all bt"),
            *marked("SEEN", "python print('LEVELS', max(WATCH.levels), 'FILTERED', Pass.seen)"),
            "kill",
        ],
        binary=binary,
    )
    out = r.stdout
    ids = goids(r.output, "hkbreak")
    every = section(out, "ALL")
    blocks = dict(re.findall(r"^goroutine (\d+) \[\w+\]:\n((?:#.*\n)*)", every, re.M))
    for goid in (ids["hold1"], ids["hold2"]):
        assert blocks[str(goid)].startswith("#1 ") and "main.hold" in blocks[str(goid)], every
    seen = re.search(r"^LEVELS (\d+) FILTERED (\d+)$", section(out, "SEEN"), re.M)
    assert seen, r.output
    assert int(seen.group(1)) >= 3 and int(seen.group(2)) > 0, seen.group(0)
    assert "Traceback" not in r.output, r.output


def test_goroutine_bt_on_core(gdb_run, go_version: str, tmp_path: Path) -> None:
    """runtime-gdb.py's `goroutine N bt` writes $pc/$sp and fails on a core
    (golang/go#17575); wslgo's shows the parked goroutine's frames."""
    binary = build("hkcrash", go_version)
    core, crash = make_core(binary, tmp_path)
    ids = goids(crash, "hkcrash")
    expected = goroutine_functions(crash, ids["hold1"])
    r = gdb_run(
        [
            f"file {binary}",
            f"core-file {core}",
            *marked("BT", f"goroutine {ids['hold1']} bt"),
            *marked("INFO", "info goroutines"),
            *marked("ALL", "goroutine all bt"),
        ]
    )
    bt = section(r.stdout, "BT")
    assert bt_functions(bt) == expected, (bt, expected, r.output)
    # `goroutine all bt` (gdb's own backtraces, trimmed) shows the same frames on a core
    every = section(r.stdout, "ALL")
    block = every.split(f"goroutine {ids['hold1']} [waiting]:\n", 1)[1].split("goroutine ")[0]
    assert bt_functions(block) == expected, (block, expected, r.output)
    info = section(r.stdout, "INFO")
    assert re.search(rf"^ \s*{ids['hold1']}\s+waiting\s+main\.hold at ", info, re.M), info


def _coexist(gdb_run, go_version: str, order: list[str]) -> str:
    binary = build("hkbreak", go_version)
    r = gdb_run(
        [
            f"file {binary}",
            *order,
            "run",
            *marked("INFO", "info goroutines"),
            *marked("BT", "eval \"goroutine %d bt\", 'main.ids'[1]"),
            "kill",
        ],
        source=None,
    )
    return r.stdout + r.stderr


def test_runtime_gdb_py_loaded_after_wslgo(gdb_run, go_version: str, wslgo_entry: Path) -> None:
    theirs = runtime_gdb_py(go_version)
    out = _coexist(gdb_run, go_version, [f"source {wslgo_entry}", f"source {theirs}"])
    assert out.count(TAKES_OVER) == 1, out
    assert re.search(r"^\*\s+1\s+running\s+main\.main at ", section(out, "INFO"), re.M), out


def test_runtime_gdb_py_loaded_before_wslgo(gdb_run, go_version: str, wslgo_entry: Path) -> None:
    theirs = runtime_gdb_py(go_version)
    out = _coexist(gdb_run, go_version, [f"source {theirs}", f"source {wslgo_entry}"])
    assert out.count(TAKES_OVER) == 1, out
    assert re.search(r"^\*\s+1\s+running\s+main\.main at ", section(out, "INFO"), re.M), out


def test_compat_off_leaves_runtime_gdb_py_alone(
    gdb_run, go_version: str, wslgo_entry: Path
) -> None:
    theirs = runtime_gdb_py(go_version)
    for order in (
        [f"source {wslgo_entry}", "set wslgo compat off", f"source {theirs}"],
        [f"source {theirs}", f"source {wslgo_entry}", "set wslgo compat off"],
    ):
        out = _coexist(gdb_run, go_version, order)
        info = section(out, "INFO")
        # runtime-gdb.py's own line: the function of the saved pc, no "at FILE:LINE"
        assert re.search(r"^\*\s+1\s+running\s+\S+$", info, re.M), out
        assert " at " not in info, out
        assert "main.hold" in bt_functions(section(out, "BT")), out


def _cgo_program(go_version: str, tmp_path: Path) -> Path:
    """tests/go/cgoprint built with cgo (the fixture cache builds with CGO_ENABLED=0)."""
    go = gofixtures.go_binary(gofixtures.full_version(go_version))
    env = dict(gofixtures.go_env(go), CGO_ENABLED="1")
    exe = tmp_path / "cgoprint"
    subprocess.run(
        [str(go), "build", "-buildvcs=false", "-o", str(exe), "."],
        cwd=gofixtures.GO_DIR / "cgoprint",
        env=env,
        check=True,
        capture_output=True,
    )
    return exe


def _gdb_with_autoload(exe: Path, early: list[str]) -> str:
    """gdb as a user starts it: auto-loading on, `early` (~/.gdbinit) before the program."""
    argv = list(gdb_support.GDB_AUTOLOAD)
    for c in early:
        argv += ["-iex", c]
    argv += [str(exe), "-ex", "run", "-ex", "info auto-load python-scripts"]
    argv += ["-ex", "info pretty-printer", "-ex", "show auto-load python-scripts", "-ex", "kill"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    return r.stdout + r.stderr


DECLINED = "runtime-gdb.py\" auto-loading has been declined by your `auto-load safe-path'"
#: The C++ library's printers, auto-loaded from gdb's data directory when it is loaded.
CXX_PRINTERS = re.compile(r"^Yes\s+\S*/libstdc\+\+\.so\.[0-9.]+-gdb\.py\s*$", re.M)


def test_no_safe_path_warning_and_c_printers_still_load(
    go_version: str, tmp_path: Path, wslgo_entry: Path
) -> None:
    exe = _cgo_program(go_version, tmp_path)
    # gdb by itself: the 10-line warning about runtime-gdb.py, the C++ printers load
    plain = _gdb_with_autoload(exe, [])
    assert DECLINED in plain, plain
    assert CXX_PRINTERS.search(plain), plain
    # wslgo sourced as ~/.gdbinit does: no warning, the C++ printers still load
    ours = _gdb_with_autoload(exe, [f"source {wslgo_entry}"])
    assert "declined" not in ours and "safe-path" not in ours, ours
    assert "cgoprint: Go program" in ours, ours
    assert CXX_PRINTERS.search(ours), ours
    assert "libstdc++-v6" in ours, ours
    assert "Auto-loading of Python scripts is on." in ours, ours
    # `set wslgo compat off`: gdb's own behaviour again
    off = _gdb_with_autoload(exe, [f"source {wslgo_entry}", "set wslgo compat off"])
    assert DECLINED in off, off


def _gdb_safe_path(exe: Path, theirs: Path, early: list[str], late: list[str]) -> str:
    """gdb as a user starts it with runtime-gdb.py in the auto-load safe-path: `early`
    before the program is loaded (~/.gdbinit), `late` after gdb auto-loaded its scripts."""
    argv = [*gdb_support.GDB_AUTOLOAD, "-iex", f"add-auto-load-safe-path {theirs}"]
    for c in early:
        argv += ["-iex", c]
    argv.append(str(exe))
    for c in [*late, "run", *PRINTS, *marked("INFO", "info goroutines")]:
        argv += ["-ex", c]
    for c in ["set wslgo compat off", *marked("THEIRS", "info goroutines"), "kill"]:
        argv += ["-ex", c]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert "Traceback" not in r.stdout + r.stderr, r.stdout + r.stderr
    return r.stdout + r.stderr


def test_runtime_gdb_py_auto_loaded_through_safe_path(go_version: str, wslgo_entry: Path) -> None:
    """The safe-path allows runtime-gdb.py: gdb loads it (no warning to skip), and wslgo's
    commands, printers and functions take precedence with one line, whether wslgo was
    sourced before the program (~/.gdbinit) or after gdb auto-loaded runtime-gdb.py;
    `set wslgo compat off` gives runtime-gdb.py's back."""
    exe, theirs = build("values", go_version), runtime_gdb_py(go_version)
    for early, late in (([f"source {wslgo_entry}"], []), ([], [f"source {wslgo_entry}"])):
        out = _gdb_safe_path(exe, theirs, early, late)
        assert "Loading Go Runtime support." in out, out  # gdb loaded it itself
        assert "declined" not in out, out
        assert out.count(TAKES_OVER) == 1, out
        assert re.search(r"^\$\d+ = map\[string\]int nil$", section(out, "NILMAP"), re.M), out
        assert re.search(r"^\$\d+ = 0$", section(out, "NLEN"), re.M), out
        assert section(out, "IFACE").strip() == "error: *errors.errorString", out
        assert re.search(r"^\*\s+1\s+running\s+main\.main at \S+:\d+$", section(out, "INFO"), re.M)
        assert "runtime-gdb.py's commands, functions and printers are back" in out, out
        # runtime-gdb.py's own line: the function of the saved pc, no "at FILE:LINE"
        assert re.search(r"^\*\s+1\s+running\s+\S+$", section(out, "THEIRS"), re.M), out


def test_goroutine_from_a_stop_in_main_main(gdb_run, go_version: str) -> None:
    """gdb stops unwinding at main.main; a parked goroutine shown from a thread stopped
    there needs `backtrace past-main` on while selected (and off again afterwards)."""
    binary = build("hkbreak", go_version)
    src = (gofixtures.GO_DIR / "hkbreak" / "main.go").read_text().splitlines()
    line = next(i for i, text in enumerate(src, 1) if "BREAK-HERE" in text)
    r = gdb_run(
        [
            f"break main.go:{line}",
            "run",
            *marked("ALL", "goroutine all bt"),
            *marked("PAST", "show backtrace past-main"),
            "kill",
        ],
        binary=binary,
    )
    every = section(r.stdout, "ALL")
    assert re.search(r"^#0\s+(?:0x[0-9a-f]+ in )?main\.main ", every, re.M), r.output
    assert every.count("main.hold (id=") == 2, r.output
    assert "could not unwind" not in r.output, r.output
    assert "is off." in section(r.stdout, "PAST"), r.output


#: Values where wslgo and runtime-gdb.py differ: a nil map (theirs: a memory error), $len of
#: a nil map (theirs: a memory error), `iface` of an error (theirs: "Not an interface").
PRINTS = [
    *marked("MAP", "print 'main.mapSmall'"),
    *marked("NILMAP", "print 'main.mapNil'"),
    *marked("STR", "print 'main.str'"),
    *marked("ERR", "print 'main.errBoom'"),
    *marked("LEN", "print $len('main.mapSmall')"),
    *marked("NLEN", "print $len('main.mapNil')"),
    *marked("IFACE", "iface 'main.errBoom'"),
]


def _values_with(gdb_run, go_version: str, order: list[str]) -> str:
    binary = build("values", go_version)
    r = gdb_run([f"file {binary}", *order, "run", *PRINTS, "kill"], source=None)
    assert "Traceback" not in r.output, r.output
    return r.stdout + r.stderr


def test_printers_and_functions_take_precedence_in_both_orders(
    gdb_run, go_version: str, wslgo_entry: Path
) -> None:
    theirs = runtime_gdb_py(go_version)
    for order in (
        [f"source {wslgo_entry}", f"source {theirs}"],
        [f"source {theirs}", f"source {wslgo_entry}"],
    ):
        out = _values_with(gdb_run, go_version, order)
        assert re.search(r'^\$\d+ = map\[string\]int = \{\["a"\] = 1', section(out, "MAP"), re.M), (
            out
        )
        assert re.search(r"^\$\d+ = map\[string\]int nil$", section(out, "NILMAP"), re.M), out
        assert re.search(r'^\$\d+ = "hello, ', section(out, "STR"), re.M), out
        assert re.search(r'= \*errors\.errorString \{s = "boom"\}$', section(out, "ERR"), re.M), out
        assert re.search(r"^\$\d+ = 3$", section(out, "LEN"), re.M), out
        assert re.search(r"^\$\d+ = 0$", section(out, "NLEN"), re.M), out
        assert section(out, "IFACE").strip() == "error: *errors.errorString", out


def test_compat_off_leaves_runtime_gdb_py_printers_alone(
    gdb_run, go_version: str, wslgo_entry: Path
) -> None:
    theirs = runtime_gdb_py(go_version)
    for order in (
        [f"source {wslgo_entry}", "set wslgo compat off", f"source {theirs}"],
        [f"source {theirs}", f"source {wslgo_entry}", "set wslgo compat off"],
    ):
        out = _values_with(gdb_run, go_version, order)
        assert re.search(r'^\$\d+ = map\[string\]int = \{\["a"\] = 1', section(out, "MAP"), re.M), (
            out
        )
        assert "map[string]int nil" not in section(out, "NILMAP"), out  # theirs cannot read it
        # runtime-gdb.py's printers come first; a value they decline (its interface printer
        # answers no error value) still gets wslgo's, from gdb's global list
        assert '*errors.errorString {s = "boom"}' in section(out, "ERR"), out
        # theirs: a memory error on a nil map (and no swiss maps at all, Go >= 1.24)
        assert not re.search(r"^\$\d+ = 0$", section(out, "NLEN"), re.M), out
        assert "error: *errors.errorString" not in section(out, "IFACE"), out


def test_iface(gdb_run, go_version: str) -> None:
    binary = build("values", go_version)
    r = gdb_run(
        [
            "run",
            *marked("IF", "iface 'main.errBoom' 'main.eface' 'main.errNil'"),
            *marked("BAD", "iface 'main.mapSmall' nosuchvar"),
            *marked("DT", "print $dtype('main.errBoom')"),
            "kill",
        ],
        binary=binary,
    )
    lines = section(r.stdout, "IF").strip().splitlines()
    assert lines == ["error: *errors.errorString", "interface {}: int", "error: nil"], r.output
    assert "iface: not a Go interface: map[string]int" in r.stderr, r.output
    assert "iface: nosuchvar: No symbol" in r.stderr, r.output
    assert re.search(r"\(errors\.errorString \*\) 0x", section(r.stdout, "DT")), r.output
