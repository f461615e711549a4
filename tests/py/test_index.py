"""Go index, slice, map, len/cap and interface-field expressions in real gdb (tests/go/index),
against the values the program computes itself: `print`, breakpoint conditions, `display`,
`watch` and MI. Strings, slices, arrays, maps (hash maps before 1.24, growing on 1.21; swiss
maps since; keys of strings, ints, int8, uint32, bools and pointers; elements that are
structs and pointers), through pointers and interfaces; errors say what Go would panic with."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from conftest import build
from wslgo_testing.gdb import GDB_MI, Mi
from wslgo_testing.valuetext import tokens

# may-call-functions off: gdb refuses any call into the program (a map is read, never called)
SETUP = [
    "set print elements unlimited",
    "set width 0",
    "set height 0",
    "set may-call-functions off",
]

# Runs each oracle expression with `print` (wslgo's) and records the output or the error.
DRIVER = r"""
import gdb, json
out = []
for line in open({oracle!r}).read().splitlines():
    expr = line.split("\t", 1)[0]
    try:
        out.append([expr, gdb.execute("print " + expr, to_string=True), None])
    except gdb.error as e:
        out.append([expr, None, str(e)])
print("RESULTS " + json.dumps(out))
"""


def _oracle(oracle: Path) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in oracle.read_text().splitlines())


def _results(stdout: str) -> list[tuple[str, str | None, str | None]]:
    line = next(x for x in stdout.splitlines() if x.startswith("RESULTS "))
    return [tuple(r) for r in json.loads(line[len("RESULTS ") :])]  # type: ignore[misc]


def test_print_index_slice_map_len_and_interface_fields(
    gdb_run, go_version: str, tmp_path: Path
) -> None:
    binary = build("index", go_version)
    oracle = tmp_path / "oracle.txt"
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(oracle=str(oracle)))
    hash_maps = int(go_version.split(".")[1]) < 24
    # a hash map's grow is under way while mapGrow is read (oldbuckets set)
    grow = ["echo @@grow\\n", "print main.mapGrow.oldbuckets != 0"] if hash_maps else []
    r = gdb_run(
        [*SETUP, "run", "frame 1", f"source {script}", *grow, "kill"],
        binary=binary,
        env={"WSLGO_INDEX_ORACLE": str(oracle)},
    )
    assert "Traceback" not in r.output, r.output
    if hash_maps:
        assert re.search(r"@@grow\n\$\d+ = true", r.stdout), r.stdout
    want = _oracle(oracle)
    got = _results(r.stdout)
    assert len(got) == len(want) > 40
    problems = []
    for expr, text, err in got:
        w = want[expr]
        if w.startswith("!"):
            if err is None or w[1:] not in err:
                problems.append(f"{expr}: want error {w[1:]!r}, got {text or err!r}")
            continue
        if err is not None or text is None:
            problems.append(f"{expr}: error {err!r}, want {w}")
            continue
        value = text.split(" = ", 1)[1].strip() if " = " in text else text.strip()
        if tokens(value) != tokens(w):
            problems.append(f"{expr}: printed {value!r}, Go says {w}")
    assert not problems, "\n".join(problems)


def test_conditions_display_watch_and_formats(gdb_run, go_version: str) -> None:
    binary = build("index", go_version)
    r = gdb_run(
        [
            *SETUP,
            # a condition with a map index and a slice index, rewritten once (gdb parses a
            # condition before wslgo sees it: len(x) is a syntax error there, $len(x) works)
            "break main.visit if main.mapSq[i] == 49 && $len(main.ints) == 4"
            " && main.ints[i % 4] == 40",
            "info breakpoints",
            "run",  # the fixture's runtime.Breakpoint() first
            "display $index(main.ints, 1)",  # display evaluates without the rewrite
            'display $index(main.mapStr, "three")',
            "continue",  # a batch gdb displays at the next stop
            "echo @@disp\\n",
            "echo @@i\\n",
            "print i",
            "echo @@fmt\\n",
            "print/x main.ints[1:3]",
            "print/x main.mapUint",  # the format applies to a map's keys and elements
            "print/d main.mapBool",
            "echo @@end\\n",
            "kill",
        ],
        binary=binary,
    )
    out = r.stdout
    assert "Traceback" not in r.output, r.output
    assert "$index(main.mapSq, i) == 49 && $len(main.ints) == 4" in out, out
    assert re.search(r"@@i\n\$\d+ = 7\n", out), out  # 7*7 == 49 and ints[7%4] == 40
    disp = out.split("@@disp")[0]
    assert re.search(r"\$index\(main\.ints, 1\) = 20", disp), disp
    assert re.search(r'\$index\(main\.mapStr, "three"\) = 3', disp), disp
    # ints[2] = 35 since visit(5)
    assert re.search(r"@@fmt\n\$\d+ = \[\]int = \{0x14, 0x23\}", out), out
    fmt = out.split("@@fmt")[1]
    assert "[0x7] = 0x46" in fmt and "[0x80000000] = 0x50" in fmt, fmt
    assert "[1] = " in fmt and "[0] = " in fmt, fmt  # bool keys as numbers with /d


def test_watch_index_function(gdb_run, go_version: str) -> None:
    """`watch $index(s, i)`: a hardware watchpoint on the element (visit(5) sets ints[2])."""
    binary = build("index", go_version)
    r = gdb_run(
        [*SETUP, "run", "frame 1", "watch $index(main.ints, 2)", "continue", "print main.sink"],
        binary=binary,
    )
    assert "Traceback" not in r.output, r.output
    assert re.search(r"Old value = 30\nNew value = 35\n", r.stdout), r.output
    assert re.search(r"\$\d+ = 10\n", r.stdout), r.output  # 0+1+2+3+4: stopped in visit(5)


def test_mi_evaluates_index_functions_and_console_print(go_version: str, wslgo_entry: Path) -> None:
    binary = build("index", go_version)
    cmds = [
        f'-interpreter-exec console "source {wslgo_entry}"',
        "-exec-run",
        "-stack-select-frame 1",
        '-data-evaluate-expression "$index(main.ints, 3)"',
        '-data-evaluate-expression "$index(main.str, 1)"',
        '-data-evaluate-expression "$index(main.mapInt, 42)"',
        '-data-evaluate-expression "$index(main.mapStr, $slice(main.str, 0, 0))"',
        '-var-create v1 * "$index(main.ints, 0)"',
        '-interpreter-exec console "print main.mapPts[\\"p\\"].Y"',
        "-gdb-exit",
    ]
    p = subprocess.run(
        [*GDB_MI, str(binary)],
        input="\n".join(cmds) + "\n",
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = p.stdout
    assert '^done,value="40"' in out, out
    assert "^done,value=\"101 'e'\"" in out, out
    assert '^done,value="\\"v42\\""' in out, out
    assert 'key \\"\\" not in map' in out, out
    assert 'name="v1",numchild="0",value="10"' in out, out
    assert '~"$1 = 2\\n"' in out, out


def test_plain_go_syntax_in_watch_and_conditions(gdb_run, go_version: str, tmp_path: Path) -> None:
    """`watch s[i]`, `watch -l s[i]`, `rwatch m[k]` and `break f if s[i] == V` as written
    (wslgo's watch commands rewrite their expression; a condition is rewritten when its
    breakpoint is made), against the fixture's oracle: ints[2] before and after visit(5)."""
    binary = build("index", go_version)
    oracle = tmp_path / "oracle.txt"
    r = gdb_run(
        [
            *SETUP,
            "run",
            "frame 1",
            "watch main.ints[2]",
            "watch -l main.ints[2]",
            'rwatch main.mapStr["three"]',
            "info watchpoints",
            "continue",
            "echo @@sink\\n",
            "print main.sink",
            "delete",
            "break main.visit if main.ints[2] == main.afterVisit && main.mapSq[i] > 25",
            "info breakpoints",
            "continue",
            "echo @@cond\\n",
            "print i",
            "print main.ints[2]",
            "kill",
        ],
        binary=binary,
        env={"WSLGO_INDEX_ORACLE": str(oracle)},
    )
    out = r.stdout
    assert "Traceback" not in r.output, r.output
    want = _oracle(oracle)
    old, new = want["main.ints[2]"], want["main.afterVisit"]
    assert re.search(r"Hardware watchpoint \d+: \$index\(main\.ints, 2\)", out), out
    assert re.search(r'Hardware watchpoint \d+: \$at\(0x[0-9a-f]+, "int"\)', out), out
    assert re.search(r'read watchpoint \d+: \$index\(main\.mapStr, "three"\)', out), out
    # both ints[2] watchpoints trigger at visit(5)'s store (gdb reports each)
    assert len(re.findall(rf"Old value = {old}\nNew value = {new}\n", out)) == 2, out
    assert re.search(r"@@sink\n\$\d+ = 10\n", out), out  # 0+1+2+3+4: in visit(5)
    assert "$index(main.ints, 2) == main.afterVisit && $index(main.mapSq, i) > 25" in out, out
    # the first visit after visit(5) whose i*i > 25: visit(6)
    assert re.search(rf"@@cond\n\$\d+ = 6\n\$\d+ = {new}\n", out), out


#: (what MI evaluates, the oracle expression it stands for): where gdb evaluates alone
#: (MI, display) the functions are written out.
MI_PAIRS = [
    ("$index(main.ints, 2)", "main.ints[2]"),
    ("$index(main.str, 1)", "main.str[1]"),
    ("$slice(main.str, 0, 5)", "main.str[0:5]"),
    ("$index(main.arr, 4)", "main.arr[4]"),
    ("$index(main.pArr, 1)", "main.pArr[1]"),
    ("$index(main.mapInt, 500)", "main.mapInt[500]"),
    ("$index(main.mapInt8, -3)", "main.mapInt8[-3]"),
    ("$index(main.mapGrow, 104)", "main.mapGrow[104]"),
    ("$index(main.mapPtrVal, 2).X", "main.mapPtrVal[2].X"),
    ("*$index(main.mapPtrVal, 1)", "*main.mapPtrVal[1]"),
    ("$index(*main.pInts, 3)", "(*main.pInts)[3]"),
    ("$dtype(main.err).Msg", "main.err.Msg"),
    ("$dtype(main.iface).X", "main.iface.X"),
    ("$len(main.mapInt)", "len(main.mapInt)"),
    ("$cap($slice(main.ints, 1, 2))", "cap(main.ints[1:2])"),
]


def _mi_value(record: str) -> str:
    """The value of an MI ^done,value="..." record, its C escapes undone."""
    m = re.search(r'\^done,value="((?:[^"\\]|\\.)*)"', record)
    assert m, record
    return m.group(1).encode().decode("unicode_escape")


def test_mi_and_display_against_the_oracle(
    go_version: str, wslgo_entry: Path, tmp_path: Path
) -> None:
    """MI's -data-evaluate-expression and -var-create/-var-list-children, and `display`, of
    index, slice, map (hash, swiss, growing, of structs and of pointers), len/cap and
    interface expressions, each against the value the fixture computes for it."""
    binary = build("index", go_version)
    oracle = tmp_path / "oracle.txt"
    env = dict(os.environ, WSLGO_INDEX_ORACLE=str(oracle))
    mi = Mi([*GDB_MI, str(binary)], env=env)
    try:
        mi.cmd(f'-interpreter-exec console "source {wslgo_entry}"')
        mi.cmd("-exec-run", until=r"\*stopped")
        mi.cmd("-stack-select-frame 1")
        want = _oracle(oracle)
        problems = []
        for expr, key in MI_PAIRS:
            rec = mi.cmd(f'-data-evaluate-expression "{expr}"')
            if tokens(_mi_value(rec)) != tokens(want[key]):
                problems.append(f"{expr}: MI says {rec.strip()!r}, Go says {want[key]}")
        rec = mi.cmd('-var-create pq * "$index(main.mapPts, \\"q\\")"')
        assert 'numchild="2"' in rec, rec
        kids = mi.cmd("-var-list-children --all-values pq")
        got = re.findall(r'exp="(\w+)",numchild="0",value="(-?\d+)"', kids)
        assert [v for _, v in got] == tokens(want['main.mapPts["q"]']), kids
        assert not problems, "\n".join(problems)
        # display: shown at once and at the next stop, where visit(5) has changed ints[2]
        shown = mi.cmd('-interpreter-exec console "display $index(main.ints, 2)"')
        assert f"$index(main.ints, 2) = {want['main.ints[2]']}\\n" in shown, shown
        mi.cmd('-break-insert -c "$index(main.ints, 2) == main.afterVisit" main.visit')
        stop = mi.cmd("-exec-continue", until=r"\*stopped")
        stop += mi.cmd('-interpreter-exec console "display"')
        assert f"$index(main.ints, 2) = {want['main.afterVisit']}\\n" in stop, stop
    finally:
        mi.close()
