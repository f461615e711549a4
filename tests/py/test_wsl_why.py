"""Path map, `wslgo why`, `wslgo-why` and `wslgo-break` on the wslwhy fixture, real gdb."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import gofixtures
import pytest
from conftest import build
from wslgo import _native

# Where the binaries were built from (the path their DWARF names).
SRC = gofixtures.source_dir("wslwhy")
NO_CONFIG = {"WSLGO_CONFIG": "/nonexistent/wslgo-config.toml"}


def line_of(marker: str) -> int:
    for n, text in enumerate((SRC / "main.go").read_text().splitlines(), 1):
        if marker in text:
            return n
    raise AssertionError(f"no {marker} in wslwhy/main.go")


def wslgo_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wslgo.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **NO_CONFIG, **(env or {})},
        timeout=120,
    )


def why(binary: Path, loc: str, *extra: str) -> dict[str, object]:
    r = wslgo_cli("why", str(binary), loc, "--json", *extra)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


# ---- path map (native) ----------------------------------------------------------------


def test_windows_paths_map_both_ways() -> None:
    pm = _native.PathMap()
    for spelling in (r"C:\work\x\main.go", "c:/work/x/main.go", r"c:\work/x\main.go"):
        assert pm.to_local(spelling) == "/mnt/c/work/x/main.go"
    for unc in (r"\\wsl.localhost\Ubuntu\home\u\m.go", r"\\wsl$\Ubuntu\home\u\m.go"):
        assert pm.to_local(unc) == "/home/u/m.go"
    assert pm.to_foreign("/mnt/c/work/x/main.go") == r"C:\work\x\main.go"
    assert pm.to_foreign("/home/u/m.go", True, "Ubuntu") == r"\\wsl.localhost\Ubuntu\home\u\m.go"
    pm.add(r"D:\src", "/home/u/src")
    assert pm.to_local("d:/SRC/app/a.go") == "/home/u/src/app/a.go"
    assert pm.to_foreign("/home/u/src/app/a.go") == r"D:\src\app\a.go"


def test_launch_json_with_comments_imports(tmp_path: Path) -> None:
    vs = tmp_path / ".vscode"
    vs.mkdir()
    (vs / "launch.json").write_text(
        """{
  // Go extension (dlv) and C/C++ extension (gdb)
  "version": "0.2.0",
  "configurations": [
    {"name": "go", "type": "go", "request": "launch",
     "substitutePath": [{"from": "${workspaceFolder}", "to": "/home/u/app"},],},
    /* block comment */
    {"name": "cpp", "type": "cppdbg", "request": "launch",
     "sourceFileMap": {"/build/app": "C:\\\\Users\\\\u\\\\app",},},
  ],
}
"""
    )
    pm = _native.PathMap()
    assert pm.import_launch_json(str(vs / "launch.json"), r"C:\Users\u\app") == 2
    assert pm.to_local(r"C:\Users\u\app\main.go") == "/home/u/app/main.go"
    assert pm.to_local("/build/app/x.go") == "/mnt/c/Users/u/app/x.go"
    (vs / "bad.json").write_text("{ nope")
    with pytest.raises(ValueError, match="bad.json"):
        pm.import_launch_json(str(vs / "bad.json"))


def test_config_file_rules_and_cli_translation(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[[path-map]]\nfrom = 'C:\\proj'\nto = '/home/u/proj'\n")
    r = wslgo_cli("path-map", r"C:\proj\a.go", "/mnt/d/x", env={"WSLGO_CONFIG": str(cfg)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["/home/u/proj/a.go", r"D:\x"]
    cfg.write_text("path-map = [")
    r = wslgo_cli("path-map", env={"WSLGO_CONFIG": str(cfg)})
    assert r.returncode == 0
    assert "ignoring the path map of" in r.stderr and "config.toml" in r.stderr
    assert "Traceback" not in r.stderr


# ---- wslgo why (CLI) ------------------------------------------------------------------


def test_why_file_not_in_binary_names_rule(go_version: str) -> None:
    b = build("wslwhy", go_version)
    line = line_of("WHY-PRINT")
    w = why(b, rf"C:\elsewhere\wslwhy\main.go:{line}")
    assert w["kind"] == "not-in-binary"
    assert w["rule"] == ["C:\\elsewhere", str(SRC.parent)]
    finding = w["findings"][0]  # type: ignore[index]
    assert any(str(SRC / "main.go") in d for d in finding["details"])
    assert "set wslgo path-map C:\\elsewhere" in finding["fix"]
    # ...and the rule fixes it
    w = why(b, rf"C:\elsewhere\wslwhy\main.go:{line}", "--map", rf"C:\elsewhere={SRC.parent}")
    assert w["kind"] == "ok" and w["resolves"] and w["file"] == str(SRC / "main.go")


def test_why_no_code_names_nearest_lines(go_version: str) -> None:
    b = build("wslwhy", go_version)
    line = line_of("WHY-COMMENT")
    w = why(b, f"wslwhy/main.go:{line}")
    assert w["kind"] == "no-code" and not w["resolves"]
    msg = w["findings"][0]["message"]  # type: ignore[index]
    assert f"no code at {SRC / 'main.go'}:{line}; nearest lines with code are" in msg
    assert msg.endswith(f"are {line - 2}, {line + 1}")  # line - 1 is the loop's }


def test_why_inlined_lists_callers(go_version: str) -> None:
    b = build("wslwhy", go_version, "opt")
    w = why(b, f"main.go:{line_of('WHY-INLINED')}")
    assert w["kind"] == "inlined" and w["resolves"]
    f = w["findings"][0]  # type: ignore[index]
    assert "main.add was inlined" in f["message"] and "main.work" in f["message"]
    assert "-gcflags=all=-N -l" in f["fix"]
    # not inlined in a -N -l build
    assert why(build("wslwhy", go_version), f"main.go:{line_of('WHY-INLINED')}")["kind"] == "ok"


def test_why_never_called_function(go_version: str) -> None:
    b = build("wslwhy", go_version, "opt")
    w = why(b, f"main.go:{line_of('WHY-DEAD')}")
    assert w["kind"] == "dead-code"
    assert "main.unused is not in the binary" in w["findings"][0]["message"]  # type: ignore[index]


def test_why_optimized_away_gives_flags(go_version: str) -> None:
    line = line_of("WHY-OPTAWAY")
    assert why(build("wslwhy", go_version), f"main.go:{line}")["kind"] == "ok"
    w = why(build("wslwhy", go_version, "opt"), f"main.go:{line}")
    assert w["kind"] == "optimized-away"
    f = w["findings"][0]  # type: ignore[index]
    assert "main.work" in f["message"] and "-gcflags=all=-N -l" in f["fix"]


def test_why_source_newer_than_binary(go_version: str, tmp_path: Path) -> None:
    b = build("wslwhy", go_version)
    copy = tmp_path / "wslwhy"
    shutil.copytree(SRC, copy)
    later = time.time() + 60
    os.utime(copy / "main.go", (later, later))
    w = why(b, f"main.go:{line_of('WHY-PRINT')}", "--map", f"{SRC}={copy}")
    kinds = [f["kind"] for f in w["findings"]]  # type: ignore[union-attr]
    assert kinds == ["ok", "stale"]
    r = wslgo_cli("why", str(b), f"main.go:{line_of('WHY-PRINT')}", "--map", f"{SRC}={copy}")
    assert "stale: " in r.stdout and "newer than the binary" in r.stdout
    assert "fix: rebuild the program" in r.stdout


def test_why_no_dwarf(go_version: str) -> None:
    w = why(build("wslwhy", go_version, "nodwarf"), f"main.go:{line_of('WHY-PRINT')}")
    kinds = [f["kind"] for f in w["findings"]]  # type: ignore[union-attr]
    assert "no-dwarf" in kinds and w["resolves"]  # the pclntab still has the line
    f = next(f for f in w["findings"] if f["kind"] == "no-dwarf")  # type: ignore[union-attr]
    assert "no DWARF" in f["message"] and "-w" in f["fix"]


def test_why_bad_input_is_one_line(go_version: str) -> None:
    r = wslgo_cli("why", str(build("wslwhy", go_version)), "main.go")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "FILE:LINE" in r.stderr


# ---- gdb --------------------------------------------------------------------------------


def test_gdb_break_windows_path_stops_there(gdb_run, go_version: str) -> None:  # noqa: ANN001
    b = build("wslwhy", go_version)
    line = line_of("WHY-PRINT")
    win = r"C:\Users\dev\src\wslwhy"
    r = gdb_run(
        [
            "set wslgo stop-context off",
            f"set wslgo path-map {win} {SRC}",
            "show wslgo path-map",
            "show substitute-path",
            f"wslgo-break {win}\\main.go:{line}",
            "run",
            "frame",
        ],
        binary=b,
        env=NO_CONFIG,
    )
    out = r.output
    assert f"{win} -> {SRC}" in out
    assert f"`{win}' -> `{SRC}'." in out  # gdb's own rule, backslashes intact
    assert "Breakpoint 1 at " in out and f"main.go, line {line}." in out
    assert f"Breakpoint 1, main.main () at {SRC}/main.go:{line}" in out, out


def test_gdb_break_condition_and_go_names(gdb_run, go_version: str) -> None:  # noqa: ANN001
    b = build("wslwhy", go_version)
    r = gdb_run(
        [
            "set wslgo stop-context off",
            "wslgo-break main.(*counter).bump if by > 0",
            "wslgo-break runtime·breakpoint",
            "info breakpoints",
            "run",
        ],
        binary=b,
        env=NO_CONFIG,
    )
    out = r.output
    assert "stop only if by > 0" in out, out
    assert "in main.(*counter).bump" in out and "in runtime.breakpoint" in out
    assert "Breakpoint 1, main.(*counter).bump" in out, out


def test_gdb_break_no_code_explains(gdb_run, go_version: str) -> None:  # noqa: ANN001
    b = build("wslwhy", go_version)
    line = line_of("WHY-COMMENT")
    r = gdb_run([f"wslgo-break wslwhy/main.go:{line}", "info breakpoints"], binary=b, env=NO_CONFIG)
    out = r.output
    assert f"no-code: no code at {SRC}/main.go:{line}; nearest lines with code are" in out
    assert f"wslgo-break: no breakpoint at wslwhy/main.go:{line}" in out
    assert "No breakpoints or watchpoints." in out
    assert "No source file named" not in out and "Traceback" not in out


def test_gdb_why_and_path_map_import(gdb_run, go_version: str, tmp_path: Path) -> None:  # noqa: ANN001
    b = build("wslwhy", go_version)
    vs = tmp_path / ".vscode"
    vs.mkdir()
    (vs / "launch.json").write_text(
        '{"configurations": [{"type": "cppdbg", // gdb\n'
        f' "sourceFileMap": {{"/build/wslwhy": "{SRC}",}}}},]}}\n'
    )
    line = line_of("WHY-PRINT")
    r = gdb_run(
        [
            f"wslgo-path-map --import {vs / 'launch.json'}",
            "show substitute-path",
            f"wslgo-why /build/wslwhy/main.go:{line}",
            "unset wslgo path-map /build/wslwhy",
            "show wslgo path-map",
            f"wslgo-why C:\\nowhere\\wslwhy\\main.go:{line}",
        ],
        binary=b,
        env=NO_CONFIG,
    )
    out = r.output
    assert "1 rule(s) from" in out
    assert f"`/build/wslwhy' -> `{SRC}'" in out or f"/build/wslwhy -> {SRC}" in out, out
    assert f"ok: {SRC}/main.go:{line} has code at" in out
    assert "removed the path-map rule for /build/wslwhy" in out
    assert "no path-map rules" in out
    assert "not-in-binary: C:\\nowhere\\wslwhy\\main.go is not a source file" in out
    assert "set wslgo path-map C:\\nowhere" in out


def test_gdb_config_file_rules_and_bad_config(gdb_run, go_version: str, tmp_path: Path) -> None:  # noqa: ANN001
    b = build("wslwhy", go_version)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[[path-map]]\nfrom = 'D:\\src\\wslwhy'\nto = '{SRC}'\n")
    line = line_of("WHY-PRINT")
    r = gdb_run(
        ["show wslgo path-map", f"wslgo-why D:/src/wslwhy/main.go:{line}"],
        binary=b,
        env={"WSLGO_CONFIG": str(cfg)},
    )
    assert f"D:\\src\\wslwhy -> {SRC}  ({cfg})" in r.output, r.output
    assert f"ok: {SRC}/main.go:{line} has code at" in r.output
    cfg.write_text("[[path-map]]\nfrom = 3\n")
    r = gdb_run(["show wslgo path-map"], binary=b, env={"WSLGO_CONFIG": str(cfg)})
    assert f"wslgo: ignoring the path map of {cfg}: path-map entry 1 needs" in r.output
    assert "no path-map rules" in r.output and "Traceback" not in r.output


def test_gdb_doctor_on_loaded_program(gdb_run, go_version: str) -> None:  # noqa: ANN001
    b = build("wslwhy", go_version, "opt")
    r = gdb_run(["wslgo-doctor", "wslgo-doctor --json"], binary=b, env=NO_CONFIG)
    out = r.output
    assert re.search(r"^OK +gdb python +Python", out, re.M) and "wslgo native loads" in out
    assert re.search(r"^WARN +optimized", out, re.M) and "fix: go build -gcflags=all='-N -l'" in out
    j = json.loads(next(x for x in out.splitlines() if x.startswith("{")))
    checks = {c["check"]: c["status"] for c in j["checks"]}
    assert checks["optimized"] == "WARN" and checks["dwarf"] == "OK"
    assert j["exit"] >= 1


def test_gdb_break_generic_function_spellings(gdb_run, go_version: str) -> None:  # noqa: ANN001
    b = build("symbols", go_version)
    r = gdb_run(["wslgo-break main.Max[...]", "wslgo-break main.Max", "info breakpoints"], binary=b)
    out = r.output
    # two instantiations (int, float64), each spelling places both
    assert out.count("in main.Max[go.shape.") == 4, out
    assert "not defined" not in out


def test_gdb_opens_sources_through_the_path_map(gdb_run, go_version: str) -> None:  # noqa: ANN001
    b = build("wslwhy", go_version, "trimpath")  # files are example.com/wslwhy/main.go
    line = line_of("WHY-PRINT")
    src_line = (SRC / "main.go").read_text().splitlines()[line - 1].strip()
    without = gdb_run([f"list main.go:{line},{line}"], binary=b, env=NO_CONFIG).output
    assert src_line not in without
    r = gdb_run(
        [
            f"set wslgo path-map example.com/wslwhy {SRC}",
            f"list main.go:{line},{line}",
            f"wslgo-why main.go:{line}",
        ],
        binary=b,
        env=NO_CONFIG,
    )
    assert src_line in r.output, r.output  # gdb opened the file through substitute-path
    assert f"ok: example.com/wslwhy/main.go:{line} has code at" in r.output
    assert "source-missing" not in r.output


def test_why_ambiguous_file_prefers_the_one_with_code(go_version: str) -> None:
    b = build("wslwhy", go_version)
    syms = _native.Symbols(str(b))
    rt = next(f for f in _native.source_files(syms) if f.endswith("/runtime/proc.go"))
    line = next(n for n in range(100, 400) if _has_code(syms, rt, n))
    w = why(b, f"proc.go:{line}")  # os/proc.go and runtime/proc.go
    assert w["file"] == rt and w["resolves"]
    kinds = [f["kind"] for f in w["findings"]]  # type: ignore[union-attr]
    assert kinds[0] == "ok" and "ambiguous" in kinds


def _has_code(syms: _native.Symbols, file: str, line: int) -> bool:
    try:
        return bool(syms.line_addresses(file, line)[1])
    except _native.NotFoundError:
        return False


def test_gdb_break_without_dwarf_uses_the_pclntab(gdb_run, go_version: str) -> None:  # noqa: ANN001
    line = line_of("WHY-PRINT")
    steps = ["set wslgo stop-context off", f"wslgo-break main.go:{line}", "run"]
    r = gdb_run(steps, binary=build("wslwhy", go_version, "nodwarf"), env=NO_CONFIG)
    # gdb names the stop from the symbol file wslgo writes from the pclntab (x86-64, not PIE)
    assert re.search(
        rf"hit Breakpoint 1, main\.main \(\) at \S+/main\.go:{line}$", r.output, re.M
    ), r.output
    # a PIE without DWARF: refused (with the way out) until it is loaded, then relocated
    pie = build("wslwhy", go_version, "pienodwarf")
    r = gdb_run(
        ["set wslgo stop-context off", f"wslgo-break main.go:{line}", "starti", *steps[1:2], "c"],
        binary=pie,
        env=NO_CONFIG,
    )
    out = r.output
    assert f"wslgo-break: main.go:{line} is in a PIE without DWARF" in out and "`starti`" in out
    assert "Cannot access memory" not in out
    assert "Breakpoint 1, 0x" in out and " in main.main ()" in out, out


def test_cli_lookup_takes_windows_paths_through_the_config(go_version: str, tmp_path: Path) -> None:
    b = build("wslwhy", go_version)
    line = line_of("WHY-PRINT")
    loc = rf"C:\x\wslwhy\main.go:{line}"
    r = wslgo_cli("lookup", str(b), loc)
    assert (
        r.returncode == 1
        and r.stderr.strip() == r"wslgo lookup: no source file matches C:\x\wslwhy\main.go"
    )
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[[path-map]]\nfrom = 'C:\\x'\nto = '{SRC.parent}'\n")
    r = wslgo_cli("lookup", str(b), loc, env={"WSLGO_CONFIG": str(cfg)})
    assert r.returncode == 0 and r.stdout.strip().endswith(f" {SRC}/main.go:{line}"), r.stderr


def test_gdb_break_unknown_function_suggests_names(gdb_run, go_version: str) -> None:  # noqa: ANN001
    b = build("wslwhy", go_version)
    r = gdb_run(["wslgo-break counter.bump", "info breakpoints"], binary=b, env=NO_CONFIG)
    out = r.output
    assert "wslgo-break: no function or location counter.bump (" in out
    assert "functions named like it: main.(*counter).bump" in out
    assert "No breakpoints or watchpoints." in out
