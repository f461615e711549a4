"""The `wslgo` command line as a user meets it: flags that mean the same in every command,
errors that name what exists, a closed pipe, bad input lines, and help that matches the
README."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, build
from wslgo import _native, cli
from wslgo_testing.cores import crash_core
from wslgo_testing.sources import line_of
from wslgo_testing.versions import newest

WSLGO = [sys.executable, "-m", "wslgo.cli"]


def wslgo(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WSLGO, *args], input=stdin, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def grstates_core(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    binary = build("grstates", newest(), "opt")
    core, _ = crash_core(binary, tmp_path_factory.mktemp("core"))
    return binary, core


def test_state_filters_say_what_matches_and_json_names_real_go_statements(
    go_version: str, tmp_path: Path
) -> None:
    """#22: an unknown state is refused with the valid ones listed; filters that keep no
    goroutine say `0 of N goroutines match`; JSON gives no `go_statement` to goroutine 1
    (the runtime starts it; its record holds runtime.newproc's pc)."""
    binary = build("grstates", go_version, "debug")
    core, dumped = crash_core(binary, tmp_path)
    r = wslgo("goroutines", str(binary), str(core), "-s", "nosuchstate")
    assert r.returncode != 0 and r.stdout == "", r
    err = r.stderr.strip()
    want = 'wslgo goroutines: no goroutine state "nosuchstate": the states are '
    assert err.startswith(want), err
    assert len(err.splitlines()) == 1
    for name in ("chan receive", "runnable", "waiting", "select"):
        assert name in err.split("the states are ")[1].split(", "), err
    n = len(_native.Core(binary, core).goroutines())
    for flt in (["-s", "chan", "-L", "nosuchlabel"], ["--min-wait", "1h"]):
        r = wslgo("goroutines", str(binary), str(core), *flt)
        assert r.returncode == 0 and r.stdout == "", r
        assert r.stderr.splitlines()[0] == f"0 of {n} goroutines match", r.stderr
    r = wslgo("goroutines", str(binary), str(core), "-s", "CHAN")  # a part of a name
    assert r.returncode == 0 and "[chan receive]" in r.stdout, r
    doc = json.loads(wslgo("goroutines", str(binary), str(core), "--json").stdout)
    by_id = {g["goid"]: g for g in doc["goroutines"]}
    assert "go_statement" not in by_id[1], by_id[1]
    # the others: the go statement the runtime's own dump names
    for goid, d in dumped.items():
        if goid != 1 and d.created_by:
            assert by_id[goid]["go_statement"]["func"] == d.created_by[0], (goid, d)


def test_missing_goroutine_id_is_an_error_naming_the_closest(grstates_core) -> None:
    binary, core = grstates_core
    ids = sorted(g["goid"] for g in _native.Core(binary, core).goroutines())
    missing = ids[-1] + 1000
    for mode in ([], ["--full"], ["--json"]):
        r = wslgo("goroutines", str(binary), str(core), "--id", str(missing), *mode)
        assert r.returncode == 1, (mode, r)
        assert r.stdout == "", (mode, r.stdout)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
        closest = ", ".join(map(str, ids[-3:]))
        assert lines[0] == f"wslgo goroutines: no goroutine {missing} (closest: {closest})", lines
    # an id that exists still works
    r = wslgo("goroutines", str(binary), str(core), "--id", str(ids[0]))
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 1, r


def test_grouped_output_keeps_created_by(grstates_core) -> None:
    binary, core = grstates_core
    line = line_of("grstates", "go child(ch)")
    r = wslgo("goroutines", str(binary), str(core), "--group", "--user")
    assert r.returncode == 0, r.stderr
    block = next(b for b in r.stdout.split("\n\n") if "main.child" in b)
    assert re.search(rf"^    created by main\.parent  \S*grstates/main\.go:{line}$", block, re.M), (
        block
    )
    doc = json.loads(wslgo("goroutines", str(binary), str(core), "-g", "--json").stdout)
    child = next(b for b in doc["buckets"] if any("main.child" in f["func"] for f in b["frames"]))
    assert child["created_by"]["func"] == "main.parent" and child["created_by"]["line"] == line


def test_counts_use_the_singular_for_one(grstates_core) -> None:
    binary, core = grstates_core
    g = next(g for g in _native.Core(binary, core).goroutines() if len(g["frames"]) > 2)
    depth = len(g["frames"]) - 1
    cli_args = [str(binary), str(core), "--full", "--top", "--id", str(g["goid"]), "-d", str(depth)]
    r = wslgo("goroutines", *cli_args)
    assert "...1 frame elided..." in r.stdout, r.stdout
    r = wslgo("goroutines", str(binary), str(core), "--group", "--id", str(g["goid"]))
    assert re.match(r"(\* )?1 goroutine \[", r.stdout), r.stdout


def test_symbolize_reports_a_bad_line_and_goes_on() -> None:
    binary = build("dwsyms", newest(), "debug")
    entry = _native.Symbols(str(binary)).lookup("main.main")[0][1]
    good = wslgo("symbolize", str(binary), hex(entry)).stdout
    assert good.startswith("main.main\n"), good
    r = wslgo("symbolize", str(binary), stdin=f"{entry:#x}\nnope\n\n{entry:#x}\n")
    assert r.stdout == good + good, r.stdout
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        'wslgo symbolize: line 2: bad address "nope": expected hex like 0x4011c0'
    ], r.stderr
    r = wslgo("symbolize", str(binary), "0xzz", hex(entry))
    assert r.stdout == good and r.returncode == 1, r
    assert r.stderr.startswith('wslgo symbolize: bad address "0xzz"'), r.stderr


@pytest.mark.parametrize("how", ["stdin", "args"])
def test_a_closed_pipe_ends_quietly(how: str) -> None:
    binary = build("dwsyms", newest(), "debug")
    entry = _native.Symbols(str(binary)).lookup("main.main")[0][1]
    addrs = [hex(entry)] * 20000  # far more output than a pipe buffer holds
    argv = [*WSLGO, "symbolize", str(binary), *(addrs if how == "args" else [])]
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    if how == "stdin":
        proc.stdin.write("".join(a + "\n" for a in addrs).encode())
    proc.stdin.close()
    assert proc.stdout.readline() == b"main.main\n"
    proc.stdout.close()  # what `| head -1` does
    rc = proc.wait(timeout=120)
    err = proc.stderr.read().decode()
    assert err == "", err
    assert rc == cli.EXIT_SIGPIPE == 141


def test_lookup_generics_with_or_without_type_arguments() -> None:
    binary = build("dwsyms", newest(), "opt")

    def names(what: str) -> list[str]:
        r = wslgo("lookup", str(binary), what)
        assert r.returncode == 0, (what, r.stderr)
        return sorted(line.split(" ", 1)[1] for line in r.stdout.splitlines())

    both = ["main.Map[go.shape.int]", "main.Map[go.shape.string]"]
    assert names("main.Map") == both
    assert names("main.Map[...]") == both
    assert names("main.Map[int]") == ["main.Map[go.shape.int]"]
    pushes = ["main.(*List[go.shape.int]).Push", "main.(*List[go.shape.string]).Push"]
    assert names("main.(*List).Push") == pushes
    assert names("main.(*List[...]).Push") == pushes
    assert names("main.(*List[string]).Push") == pushes[1:]
    r = wslgo("lookup", str(binary), "main.Map[float64]")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip() == (
        "wslgo lookup: no instance main.Map[float64]; the binary has main.Map[int], "
        "main.Map[string]"
    ), r.stderr


def test_readme_command_tables_match_the_help() -> None:
    """Every CLI command and every option of `wslgo goroutines` and `wslgo-bt` (which share
    report.add_filter_arguments) is in README's tables, and the README uses no flag the
    parser lacks."""
    readme = (ROOT / "README.md").read_text()
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    choices = sub.choices
    for name in choices:
        assert f"`wslgo {name}" in readme, name
    goroutines = choices["goroutines"]
    row = next(ln for ln in readme.splitlines() if ln.startswith("| `wslgo goroutines"))
    have = {s for a in goroutines._actions for s in a.option_strings}
    for flag in have - {"-h", "--help"}:
        assert re.search(rf"`[^`]*(?<![\w-]){re.escape(flag)}(?![\w-])", row), (flag, row)
    for flag in re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", row):
        assert flag in have, (flag, row)
    bt_rows = [ln for ln in readme.splitlines() if ln.startswith("| `wslgo-bt")]
    shared = {
        s
        for a in goroutines._actions
        for s in a.option_strings
        if a.dest not in ("help", "pid", "full", "group", "id", "symbols")
    }
    text = "\n".join(bt_rows)
    for flag in shared:
        assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text), (flag, bt_rows)


#: Development jargon that has no meaning for users: branch and issue references, work
#: markers left from merging, promises about unmerged work.
JARGON = re.compile(r"gdbhooks|\(branch |branch `|\bissue \d|until the .* is merged", re.I)


def test_no_development_jargon_in_user_facing_text() -> None:
    # python/wslgo/gdb is left out while its layers are rebuilt; ARCHITECTURE.md is
    # developer documentation.
    paths = [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted(ROOT.glob("docs/*.md"))]
    for pattern in ("python/wslgo/*.py", "python/wslgo/*.pyi", "src/**/*.rs", "bench/*.py"):
        paths += sorted(ROOT.glob(pattern))
    found = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in paths
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if JARGON.search(line)
    ]
    assert not found, "\n".join(found)


def test_a_tight_address_space_limit_is_one_line_never_a_traceback() -> None:
    """Under `ulimit -v` 12-24 MB, building the parser or loading the native module fails:
    one line from `main`. Below that Python itself cannot start (no wslgo code has run)."""
    import resource

    said: set[str] = set()
    for mb in range(12, 25):

        def limit(mb: int = mb) -> None:
            resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))

        r = subprocess.run(
            [*WSLGO, "path-map", "C:\\x"],
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=limit,
            stdin=subprocess.DEVNULL,
        )
        if r.returncode == 0:
            assert r.stdout == "/mnt/c/x\n", (mb, r.stdout)
            continue
        if r.stderr.startswith("wslgo path-map: "):
            assert r.stderr.count("\n") == 1, (mb, r.stderr)
            said.add(r.stderr.split(":")[1])
        else:  # the interpreter failed to start, before any wslgo code
            assert "/wslgo/" not in r.stderr, (mb, r.stderr)
    assert said, "no limit reached wslgo's own guard"


def _choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser._actions if a.dest == "command")
    return dict(sub.choices)  # type: ignore[arg-type]


def test_one_command_builds_only_its_modules_parsers() -> None:
    """`wslgo CMD` registers CMD's module's commands only, with the same help as the full
    parser's; cli.COMMANDS lists every command the full parser has, in its order."""
    full = _choices(cli.build_parser())
    assert list(full) == ["gdbinit", "version", *cli.COMMANDS]
    for name, (_, _, siblings) in cli.COMMANDS.items():
        one = _choices(cli.build_parser(name))
        assert list(one) == ["gdbinit", "version", *siblings], name
        assert one[name].format_help() == full[name].format_help(), name
    code = (
        "import sys; from wslgo import cli; cli.build_parser('goroutines'); "
        "print(sorted(m for m in ('wslgo.wslcli', 'wslgo.doctor', 'wslgo.htmlreport') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
