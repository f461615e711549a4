"""The Go runtime constants the gdb layer hard-codes, checked against each pinned GOROOT
(as tests/goroot_constants.rs does for the Rust side): the traceback bits of
runtime/runtime1.go (tracebackCrash, tracebackAll, tracebackShift). The constants are found
by name in the package's source, wherever they live, and must be defined exactly once."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

NAMES = {"tracebackCrash": "TRACEBACK_CRASH", "tracebackAll": "TRACEBACK_ALL"}
SHIFT = "TRACEBACK_SHIFT"


def defined_constants() -> dict[str, list[tuple[str, int]]]:
    """Module-level `NAME = <int>` assignments of the traceback constants in python/wslgo."""
    found: dict[str, list[tuple[str, int]]] = {}
    wanted = {*NAMES.values(), SHIFT}
    for path in sorted((ROOT / "python" / "wslgo").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in tree.body:
            if not isinstance(node, ast.Assign | ast.AnnAssign):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id in wanted:
                    value = ast.literal_eval(node.value) if node.value else None
                    assert isinstance(value, int), f"{path}: {t.id} is not an int literal"
                    found.setdefault(t.id, []).append((str(path.relative_to(ROOT)), value))
    return found


def goroot_traceback_bits(go_version: str) -> dict[str, int]:
    go = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "go-toolchains"), "path", go_version],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    goroot = subprocess.run(
        [go, "env", "GOROOT"], capture_output=True, text=True, check=True
    ).stdout.strip()
    src = (Path(goroot) / "src" / "runtime" / "runtime1.go").read_text()
    # const ( tracebackCrash = 1 << iota; tracebackAll; tracebackShift = iota )
    block = re.search(r"const \(\s*\n\s*tracebackCrash = 1 << iota\n(.*?)\n\)", src, re.S)
    assert block, f"no traceback const block in {goroot}/src/runtime/runtime1.go"
    specs = ["tracebackCrash"] + [
        line.split("//")[0].strip()
        for line in block.group(1).splitlines()
        if line.split("//")[0].strip()
    ]
    out: dict[str, int] = {}
    for iota, spec in enumerate(specs):
        name = spec.split()[0]
        out[name] = iota if spec.endswith("= iota") else 1 << iota
    return out


def test_traceback_bits_match_goroot(go_version: str) -> None:
    defs = defined_constants()
    for name in [*NAMES.values(), SHIFT]:
        assert len(defs.get(name, [])) == 1, f"{name} must be defined once: {defs.get(name)}"
    go = goroot_traceback_bits(go_version)
    for go_name, py_name in NAMES.items():
        assert defs[py_name][0][1] == go[go_name], f"{py_name} vs Go {go_version} {go_name}"
    assert defs[SHIFT][0][1] == go["tracebackShift"], f"{SHIFT} vs Go {go_version}"


#: Standard-library encodings owned by src/values/stdtypes.rs and layout.rs (exported through
#: _native): no Python copy by name, nor by their distinctive values.
RUST_OWNED_NAMES = re.compile(r"^_?(TIME_|MUTEX_|RW_MAX|MAX_INLINE|MAP_MAX)")
RUST_OWNED_VALUES = {59_453_308_800, 62_135_596_800, 1 << 63, 1 << 30}


def test_value_encodings_live_in_rust() -> None:
    found = []
    for path in sorted((ROOT / "python" / "wslgo").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                if RUST_OWNED_NAMES.match(node.id):
                    found.append(f"{path.name}:{node.lineno} {node.id}")
            if isinstance(node, ast.Constant) and type(node.value) is int:
                if node.value in RUST_OWNED_VALUES:
                    found.append(f"{path.name}:{node.lineno} {node.value}")
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.LShift):
                try:
                    value = ast.literal_eval(node)
                except ValueError:
                    continue
                if value in RUST_OWNED_VALUES:
                    found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    assert found == [], found
    assert RUST_OWNED_NAMES.match("TIME_NSEC_BITS"), "the check matches nothing"
