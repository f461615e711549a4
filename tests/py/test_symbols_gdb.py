"""file:line -> address, checked by gdb: break at the address wslgo returns, run the
program, and ask gdb which line it stopped at."""

from __future__ import annotations

import re

import pytest
from conftest import build, run_gdb
from wslgo_testing.sources import line_of


@pytest.mark.parametrize("mode", ["debug", "opt"])
@pytest.mark.parametrize("marker", ["LINE-PRINT", "f := func() int", "func (t *T) Ptr"])
def test_gdb_stops_at_the_line_wslgo_resolved(go_version: str, mode: str, marker: str) -> None:
    from wslgo import _native

    binary = build("dwsyms", go_version, mode)
    line = line_of("dwsyms", marker)
    path, addrs = _native.Symbols(str(binary)).line_addresses("dwsyms/main.go", line)
    assert addrs, (marker, path)
    r = run_gdb(
        [f"break *{addrs[0]:#x}", "run", "info line *$pc", "print $pc"],
        binary=binary,
        env={"GOTRACEBACK": "none"},
    )
    m = re.search(r'Line (\d+) of "([^"]+)"', r.stdout)
    assert m, r.output
    assert (int(m.group(1)), m.group(2)) == (line, path), r.output
    assert re.search(rf"= \(void \(\*\)\(\)\) {addrs[0]:#x}\b", r.stdout), r.output


def test_gdb_agrees_on_function_entries(go_version: str) -> None:
    from wslgo import _native

    binary = build("dwsyms", go_version, "debug")
    s = _native.Symbols(str(binary))
    queries = ["main.(*T).Ptr", "main.T.Value", "main.main.func1", "runtime.breakpoint"]
    cmds = []
    expected = []
    for q in queries:
        for name, entry, _end in s.lookup(q):
            cmds.append(f"info symbol {entry:#x}")
            expected.append(name.removesuffix(".abi0"))
    r = run_gdb(cmds, binary=binary)
    got = re.findall(r"^(\S+) in section \.text", r.stdout, re.M)
    assert [g.removesuffix(".abi0") for g in got] == expected, r.output
