"""`set wslgo symbol-file PATH`: a stripped program (the unstripped binary put through
`objcopy --strip-all`, which keeps the build id) debugged with names, lines and locals from
its unstripped copy; another build is refused with one line and nothing changes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import gofixtures
from conftest import build
from wslgo_testing.sources import line_of


def stripped_copy(binary: Path, tmp_path: Path) -> Path:
    out = tmp_path / "hkbreak-stripped"
    subprocess.run(["objcopy", "--strip-all", str(binary), str(out)], check=True)
    return out


def listing(out: str) -> list[str]:
    """The `wslgo-bt -l` lines (id, state, function), in order."""
    return re.findall(r"^[* ]\s+\d+ \[[^\]]+\] \S+", out, re.M)


def test_symbol_file_gives_names_and_locals(gdb_run, go_version: str, tmp_path: Path) -> None:
    debug = build("hkbreak", go_version, "debug")
    stripped = stripped_copy(debug, tmp_path)
    other = build("hkbreak", go_version, "opt")  # another build of the same sources
    r = gdb_run(
        [
            f"set wslgo symbol-file {other}",
            "show wslgo symbol-file",
            "run",
            "info locals",
            "echo STRIPPED-LIST\\n",
            "wslgo-bt -l",
            f"set wslgo symbol-file {debug}",
            "echo DEBUG-LIST\\n",
            "wslgo-bt -l",
            "info locals",
            "bt 3",
            "continue",
            "continue",
        ],
        binary=stripped,
    )
    out = r.output
    # Another build: one line, no traceback, and the setting stays empty.
    refused = [ln for ln in r.stderr.splitlines() if "symbol-file" in ln]
    assert len(refused) == 1 and "is another build than" in refused[0], r.stderr
    assert "Traceback" not in out, out
    assert "wslgo symbol-file is not set." in r.stdout, r.stdout
    # Stripped alone: the Go breakpoint works from the pclntab, gdb knows no locals (its
    # functions come from wslgo's pclntab symbol file, which has names and lines only).
    line = line_of("hkbreak", "BREAK-HERE")
    stops = re.findall(
        r"^wslgo: Go breakpoint: runtime\.Breakpoint\(\) in main\.main at (\S+),", out, re.M
    )
    assert stops == [f"{gofixtures.source_dir('hkbreak')}/main.go:{line}"] * 2, out
    before = out[: out.index("STRIPPED-LIST")]
    assert "No locals." in before or "No symbol table info available." in before, out
    # With the symbol file: gdb's own names and DWARF locals; wslgo lists the same goroutines.
    assert f"names and DWARF of hkbreak-stripped from {debug}" in out, out
    after = out[out.index("DEBUG-LIST") :]
    stripped_list = listing(out[out.index("STRIPPED-LIST") : out.index("DEBUG-LIST")])
    assert len(stripped_list) >= 8 and stripped_list == listing(after), out
    assert re.search(r"^i = 0$", after, re.M), after
    assert re.search(rf"^#2 .* main\.main \(\) at \S+hkbreak/main\.go:{line}$", after, re.M), after
    assert "SIGTRAP" not in out and "exited normally" in out, out
