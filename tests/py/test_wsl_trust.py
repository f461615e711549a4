"""Hostile rules, file names and arguments on the WSL side: path-map rules from a launch.json
or config.toml never run gdb commands, control bytes from a binary's file names and from
rules print escaped, odd files and huge rule sets are handled in bounded time, line
numbers and goroutine ids are range-checked (issue 27, items 1, 5, 10, 13; issue 22)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import build
from wslgo import _native

HERE = Path(__file__).resolve().parent
CTL = HERE.parent / "go" / "wslctl"
NO_CONFIG = {"WSLGO_CONFIG": "/nonexistent/wslgo-config.toml"}
RAW = ("\x1b", "\x07")


def wslgo_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wslgo.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **NO_CONFIG, **(env or {})},
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def evil_launch(path: Path, to: str) -> Path:
    path.write_text(
        json.dumps({"configurations": [{"substitutePath": [{"from": "/build/src", "to": to}]}]})
    )
    return path


# ---- item 1: a rule never runs gdb commands --------------------------------------------


def test_rules_from_launch_json_and_config_never_run_commands(gdb_run, tmp_path: Path) -> None:  # noqa: ANN001
    pwned_launch, pwned_cfg = tmp_path / "PWNED-launch", tmp_path / "PWNED-config"
    launch = evil_launch(tmp_path / "launch.json", f"/home/u/src\nshell touch {pwned_launch} #")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        "[[path-map]]\nfrom = '/build/ok'\nto = '/home/u/ok'\n"
        f'[[path-map]]\nfrom = "/build/src"\nto = "/home/u/src\\nshell touch {pwned_cfg} #"\n'
    )
    r = gdb_run(
        [f"wslgo-path-map --import {launch}", "show wslgo path-map", "show substitute-path"],
        env={"WSLGO_CONFIG": str(cfg)},
    )
    out = r.output
    assert not pwned_launch.exists() and not pwned_cfg.exists(), out
    # one line each, naming the rule with its newline escaped; no rule of either file kept
    refused = [x for x in out.splitlines() if "contains a control character" in x]
    assert len(refused) == 2, out
    assert all("path-map rule /build/src -> /home/u/src\\nshell touch" in x for x in refused)
    assert any(str(launch) in x for x in refused) and any(str(cfg) in x for x in refused)
    assert "no path-map rules" in out and "/build/ok" not in out
    assert "Traceback" not in out

    # the CLI: --launch-json, the config file and --map
    r = wslgo_cli("path-map", "--launch-json", str(launch), env={"WSLGO_CONFIG": str(cfg)})
    assert r.returncode == 0 and r.stderr.count("contains a control character") == 2, r.stderr
    r = wslgo_cli("path-map", "--map", "/a=/b\x1b]0;x\x07")
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "\\x1b]0;x\\x07" in r.stderr and not any(c in r.stderr for c in RAW)
    assert not pwned_launch.exists() and not pwned_cfg.exists()


def test_odd_paths_reach_gdb_quoted(gdb_run, tmp_path: Path) -> None:  # noqa: ANN001
    # quotes, a `#` and spaces are data inside gdb's quoted arguments, not syntax
    odd = '/tmp/it\'s a "dir" #1'
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[[path-map]]\nfrom = 'C:\\x\\y'\nto = {json.dumps(odd)}\n")
    r = gdb_run(["show substitute-path"], env={"WSLGO_CONFIG": str(cfg)})
    assert f"`C:\\x\\y' -> `{odd}'." in r.output, r.output


# ---- item 5: control bytes from the binary and from rules print escaped -----------------


def evil_file(binary: Path) -> str:
    syms = _native.Symbols(str(binary))
    return next(f for f in _native.source_files(syms) if "PWNED" in f)


def test_file_names_with_control_bytes_print_escaped(gdb_run, go_version: str) -> None:  # noqa: ANN001
    b = build("wslctl", go_version)
    name = evil_file(b)
    assert "\x1b]0;PWNED\x07" in name  # the binary really carries them
    shown = "\\x1b]0;PWNED\\x07"
    for loc in ("evil.go:102", "elsewhere/evil.go:102"):  # ok, and not-in-binary's closest
        r = wslgo_cli("why", str(b), loc)
        assert shown in r.stdout, r.stdout
        assert not any(c in r.stdout + r.stderr for c in RAW), r.stdout
    j = json.loads(wslgo_cli("why", str(b), "evil.go:102", "--json").stdout)
    assert j["file"] == name and j["resolves"]  # JSON keeps the raw text
    r = gdb_run(
        ["wslgo-why evil.go:102", "wslgo-why nowhere/evil.go:102", "wslgo-break evil.go:102"],
        binary=b,
        env=NO_CONFIG,
    )
    assert r.output.count(shown) >= 2, r.output
    assert "Breakpoint 1 at 0x" in r.output, r.output
    assert not any(c in r.output for c in RAW), r.output


def test_rules_and_origins_print_escaped(gdb_run, tmp_path: Path) -> None:  # noqa: ANN001
    d = tmp_path / "odd\x1b[31mdir"
    d.mkdir()
    cfg = d / "config.toml"
    cfg.write_text("[[path-map]]\nfrom = 'D:\\src'\nto = '/home/u/\u202esrc'\n")
    r = wslgo_cli("path-map", env={"WSLGO_CONFIG": str(cfg)})
    assert not any(c in r.stdout + r.stderr for c in (*RAW, "\u202e")), r
    assert "\\u{202e}" in r.stdout + r.stderr
    cfg.write_text("[[path-map]]\nfrom = 'D:\\src'\nto = '/home/u/src'\n")
    r = wslgo_cli("path-map", env={"WSLGO_CONFIG": str(cfg)})
    assert r.stdout.startswith("D:\\src -> /home/u/src  ("), r.stdout  # a Windows path as is
    assert "odd\\x1b[31mdir" in r.stdout and "\x1b" not in r.stdout
    g = gdb_run(
        ["show wslgo path-map", "wslgo-path-map", f"wslgo-path-map --config {cfg}"],
        env={"WSLGO_CONFIG": str(cfg)},
    )
    assert g.output.count("D:\\src -> /home/u/src  (") == 3, g.output
    assert "\x1b" not in g.output and "odd\\x1b[31mdir" in g.output


# ---- item 10: odd files and many rules ------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_import_refuses_fifos_and_devices(gdb_run, tmp_path: Path, kind: str) -> None:  # noqa: ANN001
    if kind == "fifo":
        odd = tmp_path / "launch.json"
        os.mkfifo(odd)  # with no writer: a reader that opened it would wait forever
    else:
        odd = Path("/dev/zero")
    r = wslgo_cli("path-map", "--launch-json", str(odd), timeout=30)
    assert r.returncode == 0 and "not a rules file" in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1
    g = gdb_run([f"wslgo-path-map --import {odd}", f"wslgo-path-map --config {odd}"], timeout=30)
    assert g.output.count("not a rules file") == 2, g.output


def test_twenty_thousand_rules_import(gdb_run, tmp_path: Path) -> None:  # noqa: ANN001
    n = 20_000
    rules = [{"from": f"/build/p{i}", "to": f"/home/u/p{i}"} for i in range(n)]
    launch = tmp_path / "launch.json"
    launch.write_text(json.dumps({"configurations": [{"substitutePath": rules}]}))
    r = wslgo_cli("path-map", "--launch-json", str(launch), "/home/u/p19999/x.go", timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "/build/p19999/x.go", r
    pm = _native.PathMap()
    assert pm.import_launch_json(str(launch)) == n
    assert pm.to_local("/build/p12345/a.go") == "/home/u/p12345/a.go"


# ---- item 13 and issue 22: arguments ---------------------------------------------------


def test_line_numbers_out_of_range(gdb_run, go_version: str) -> None:  # noqa: ANN001
    b = build("wslctl", go_version)
    big = "99999999999999999999"
    r = wslgo_cli("why", str(b), f"main.go:{big}")
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert f"line number {big} is out of range" in r.stderr
    assert "too large" not in r.stderr and "integral" not in r.stderr
    g = gdb_run(
        [
            f"wslgo-why main.go:{big}",
            f"wslgo-break main.go:{big}",
            "wslgo-break main.go:4294967296",
        ],
        binary=b,
        env=NO_CONFIG,
    )
    assert g.output.count("is out of range: 1..4294967295") == 3, g.output
    assert "too large" not in g.output and "integral" not in g.output


def test_break_goroutine_zero_is_refused(gdb_run, go_version: str) -> None:  # noqa: ANN001
    b = build("wslctl", go_version)
    g = gdb_run(
        [
            "wslgo-break main.plain goroutine 0",
            "wslgo-break main.plain goroutine x",
            "info breakpoints",
        ],
        binary=b,
        env=NO_CONFIG,
    )
    assert "wslgo-break: goroutine id 0 is out of range" in g.output, g.output
    assert "wslgo-break: goroutine id must be an integer, not 'x'" in g.output
    assert "No breakpoints or watchpoints." in g.output


def test_path_map_local_takes_a_windows_path_unquoted(gdb_run) -> None:  # noqa: ANN001
    g = gdb_run(
        [
            "set wslgo path-map D:\\work /home/u/work",
            "wslgo-path-map --local D:\\work\\pool\\main.go",
            "wslgo-path-map --local E:\\x\\y.go",
            "wslgo-path-map --windows /home/u/work/pool/main.go",
        ],
        env=NO_CONFIG,
    )
    lines = g.output.splitlines()
    assert "/home/u/work/pool/main.go" in lines and "/mnt/e/x/y.go" in lines, g.output
    assert "D:\\work\\pool\\main.go" in lines


def test_why_names_every_instance_of_a_generic(go_version: str) -> None:
    src = (HERE.parent / "go" / "symbols" / "main.go").read_text().splitlines()
    line = next(n for n, t in enumerate(src, 1) if "if i == 0 || x > m" in t)  # in Max[T]
    instances = ("main.Max[go.shape.int]", "main.Max[go.shape.float64]")
    for mode, kind in (("debug", "ok"), ("opt", "inlined")):
        j = json.loads(
            wslgo_cli(
                "why", str(build("symbols", go_version, mode)), f"main.go:{line}", "--json"
            ).stdout
        )
        first = j["findings"][0]
        assert first["kind"] == kind, (mode, first)
        assert all(i in first["message"] for i in instances), (mode, first["message"])


KILL_AND_WAIT = (
    "import os, signal, time; pid = gdb.selected_inferior().pid; os.kill(pid, signal.SIGKILL); "
    "[time.sleep(0.05) for _ in range(200) "
    "if open(f'/proc/{pid}/stat').read().rpartition(')')[2].split()[0] != 'Z']"
)


def test_after_the_process_is_killed_commands_say_so(gdb_run, go_version: str) -> None:  # noqa: ANN001
    b = build("wslwhy", go_version)
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "run",
            # killed from outside (another terminal); the kernel ends it a moment later
            f"python {KILL_AND_WAIT}",
            "wslgo-bt",
            "info goroutines",
            "wslgo-goroutine 1 bt",
        ],
        binary=b,
        env=NO_CONFIG,
    )
    assert r.output.count("has ended (killed?): no live process") == 3, r.output
    assert "from this binary" not in r.output
