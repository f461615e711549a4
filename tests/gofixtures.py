#!/usr/bin/env python3
"""Build Go fixture programs (tests/go/NAME) per Go version and build mode, cached by hash.

Used by the pytest harness (import) and by cargo integration tests (CLI):

    python3 tests/gofixtures.py NAME VERSION MODE [GOARCH]  # prints the binary's path
    python3 tests/gofixtures.py prebuild              # what the pytest modules build, for
                                                      # every release of $WSLGO_GO_VERSIONS

`gofixtures.py --flags MODE` prints the build flags of MODE, one per line.
MODE is one of: debug (-gcflags=all=-N -l), opt (default flags), nodwarf (-ldflags=-w),
stripped (-ldflags='-s -w'), pie (-buildmode=pie), trimpath (-trimpath), pienodwarf (PIE, -w).
Binaries are cached under $WSLGO_CACHE/fixtures (default ~/.cache/wslgo/fixtures) by a hash of the
fixture's sources, the Go version, the mode and the GOARCH, and built from a copy of the sources
under $WSLGO_CACHE/fixture-src (see source_dir); they are never committed. A build is atomic
(a temporary file renamed into place) and locked per binary, so parallel test workers wait
for one build instead of repeating it.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wslgo_testing import versions  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GO_DIR = HERE / "go"
TOOLCHAINS = ROOT / "scripts" / "go-toolchains"

MODES: dict[str, list[str]] = {
    "debug": ["-gcflags=all=-N -l"],
    "opt": [],
    "nodwarf": ["-ldflags=-w"],
    "stripped": ["-ldflags=-s -w"],
    "pie": ["-buildmode=pie"],
    "trimpath": ["-trimpath"],
    "pienodwarf": ["-buildmode=pie", "-ldflags=-w"],
}


def cache_root() -> Path:
    base = os.environ.get("WSLGO_CACHE") or os.path.join(Path.home(), ".cache", "wslgo")
    return Path(base) / "fixtures"


@functools.cache
def go_binary(version: str) -> Path:
    """Path of `go` for a pinned version (installs it through scripts/go-toolchains; asked
    once per process)."""
    out = subprocess.run(
        [sys.executable, str(TOOLCHAINS), "path", version],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def full_version(version: str) -> str:
    """The pinned full release for '1.24' or '1.24.11'."""
    return versions.full_version(version)


def go_env(go: Path) -> dict[str, str]:
    """Environment for an offline, reproducible `go build`."""
    env = dict(os.environ)
    goroot = go.parent.parent
    env.update(
        GOROOT=str(goroot),
        GOTOOLCHAIN="local",
        GOPROXY="off",
        GOFLAGS="-mod=mod",
        GO111MODULE="on",
        GOCACHE=str(cache_root().parent / "gocache" / goroot.parent.parent.parent.parent.name),
        GOPATH=str(cache_root().parent / "gopath"),
        CGO_ENABLED=env.get("CGO_ENABLED", "0"),
    )
    env["PATH"] = f"{go.parent}:{env.get('PATH', '')}"
    return env


def source_hash(name: str) -> str:
    """Hash of tests/go/NAME's files (names and bytes), not of where the checkout is."""
    h = hashlib.sha256(name.encode())
    src = GO_DIR / name
    if not src.is_dir():
        raise SystemExit(f"gofixtures: no fixture {name!r} under {GO_DIR}")
    for p in sorted(src.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(src).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def source_dir(name: str) -> Path:
    """The directory the binaries of tests/go/NAME are built in: a copy of its sources in the
    cache, named by their hash and ending in tests/go/NAME like a checkout. The binary embeds
    this path (DWARF, pclntab), not the checkout's, so every checkout (a fresh clone of CI)
    with the same sources shares the builds, and the files stay where the binary says."""
    out = cache_root().parent / "fixture-src" / source_hash(name) / "tests" / "go" / name
    if not out.is_dir():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f"{name}.tmp{os.getpid()}-{threading.get_ident()}")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(GO_DIR / name, tmp)
        try:
            tmp.rename(out)
        except OSError:  # another process copied the same sources first
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def build(name: str, version: str, mode: str = "debug", goarch: str = "") -> Path:
    """Build tests/go/NAME with Go VERSION in MODE (cross-built for GOARCH when given, with
    CGO_ENABLED=0); return the cached binary path."""
    if mode not in MODES:
        raise SystemExit(f"gofixtures: unknown mode {mode!r} (modes: {' '.join(MODES)})")
    version = full_version(version)
    arch = f"-{goarch}" if goarch else ""
    out = cache_root() / version / f"{name}-{mode}{arch}-{source_hash(name)}"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_name(out.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it
        if not out.exists():
            _build(name, version, mode, goarch, out)
    return out


def _build(name: str, version: str, mode: str, goarch: str, out: Path) -> None:
    go = go_binary(version)
    src = source_dir(name)
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    if not (src / "go.mod").exists():
        raise SystemExit(f"gofixtures: {src}/go.mod is missing (fixtures are modules)")
    cmd = [str(go), "build", "-buildvcs=false", "-o", str(tmp), *MODES[mode], "."]
    env = go_env(go)
    if goarch:
        env = dict(env, GOARCH=goarch, CGO_ENABLED="0")
    res = subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"go build failed for {name} ({version}, {mode}):\n{res.stderr}")
    tmp.rename(out)


#: `build("NAME", VERSION)` / `build("NAME", VERSION, "MODE")` in the pytest modules, VERSION
#: a name or a call such as `go_version` or `newest()`.
BUILD_CALL = re.compile(r'\bbuild\(\s*"(\w+)",\s*[\w.]+(?:\(\))?(?:,\s*"(\w+)")?\s*\)')


def wanted() -> list[tuple[str, str]]:
    """(fixture, mode) of every build call the pytest modules spell out, read from their
    source so the list stays in step with the tests (calls with a computed mode or a GOARCH
    are built when a test asks)."""
    found = {
        (name, mode or "debug")
        for path in sorted((HERE / "py").glob("test_*.py"))
        for name, mode in BUILD_CALL.findall(path.read_text())
    }
    return sorted(found)


def prebuild(jobs: int = 0) -> int:
    """Build :func:`wanted` for every selected release, `jobs` at a time (default: one per
    CPU), before the tests run; return how many binaries there are."""
    todo = [(n, v, m) for v in versions.selected_versions() for n, m in wanted()]
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        list(pool.map(lambda t: build(*t), todo))
    return len(todo)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--flags":
        # The build flags of a mode, one per line (for the Rust tests' own builds).
        if argv[1] not in MODES:
            print(f"gofixtures: unknown mode {argv[1]!r}", file=sys.stderr)
            return 2
        print("\n".join(MODES[argv[1]]))
        return 0
    if argv[:1] == ["prebuild"] and len(argv) == 1:
        print(f"gofixtures: {prebuild()} fixture binaries ready", file=sys.stderr)
        return 0
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    print(build(*argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
