"""The documentation against the tree: ARCHITECTURE.md's tables name every source and test
file (every Rust module under src/, every module of the Python package, every test file,
helper and Go fixture), and name nothing that is gone. The tree is read at test time."""

from __future__ import annotations

import re

from conftest import ROOT

ARCHITECTURE = ROOT / "ARCHITECTURE.md"

#: What the tables must cover, as globs under the checkout.
COVERED = (
    "src/**/*.rs",
    "python/wslgo/**/*.py",
    "python/wslgo/**/*.pyi",
    "tests/*.rs",
    "tests/*.py",
    "tests/common/*.rs",
    "tests/wslgo_testing/*.py",
    "tests/py/*.py",
)
#: Directories listed as one row each (a fixture program, the sample logs).
COVERED_DIRS = ("tests/go/*/", "tests/py/*/")


def tree() -> set[str]:
    files = {p.relative_to(ROOT).as_posix() for g in COVERED for p in ROOT.glob(g) if p.is_file()}
    dirs = {
        p.relative_to(ROOT).as_posix() + "/"
        for g in COVERED_DIRS
        for p in ROOT.glob(g.rstrip("/"))
        if p.is_dir() and p.name != "__pycache__"
    }
    return files | dirs


def listed() -> dict[str, int]:
    """The paths in the first cell of every table row of ARCHITECTURE.md, with their line."""
    out: dict[str, int] = {}
    for n, line in enumerate(ARCHITECTURE.read_text().splitlines(), 1):
        if not line.startswith("| "):
            continue
        first = line.split(" | ", 1)[0]
        for path in re.findall(r"`([\w./-]+)`", first):
            if "/" in path:
                out.setdefault(path, n)
    return out


def test_architecture_tables_list_every_source_and_test_file() -> None:
    missing = sorted(tree() - set(listed()))
    assert not missing, "ARCHITECTURE.md has no table row for: " + ", ".join(missing)


def test_architecture_tables_list_nothing_that_is_gone() -> None:
    gone = [f"line {n}: {p}" for p, n in listed().items() if not (ROOT / p).exists()]
    assert not gone, "ARCHITECTURE.md lists paths that are not in the tree: " + "; ".join(gone)


def test_architecture_and_readme_stay_their_size() -> None:
    """README is for users and ARCHITECTURE.md a map: about 200 and 300 lines."""
    assert len((ROOT / "README.md").read_text().splitlines()) <= 220
    assert len(ARCHITECTURE.read_text().splitlines()) <= 310
