"""The Go releases a test run covers: $WSLGO_GO_VERSIONS ("default", "all", or a comma
list such as "1.22,1.25") expanded by scripts/go-toolchains, the one owner of the pins."""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import os
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
TOOLCHAINS = ROOT / "scripts" / "go-toolchains"


@functools.cache
def toolchains() -> ModuleType:
    """scripts/go-toolchains loaded as a module (it has no .py suffix)."""
    loader = importlib.machinery.SourceFileLoader("go_toolchains", str(TOOLCHAINS))
    spec = importlib.util.spec_from_loader("go_toolchains", loader)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def minor(version: str) -> str:
    """'1.24.11' -> '1.24'."""
    return ".".join(version.removeprefix("go").split(".")[:2])


def selected_versions() -> list[str]:
    """The Go releases of this run as minors ('1.21', '1.24', ...), in pin order given."""
    raw = os.environ.get("WSLGO_GO_VERSIONS", "default").strip() or "default"
    pins: list[str] = toolchains().expand([raw])
    return list(dict.fromkeys(minor(p) for p in pins))


def newest() -> str:
    """The newest selected release, for a test that needs one release, not each: tests on
    the selected releases only, so a run never installs a toolchain it did not select."""
    return max(selected_versions(), key=lambda v: tuple(int(x) for x in v.split(".")))


def full_version(version: str) -> str:
    """The pinned full release for '1.24' or '1.24.11'."""
    return str(toolchains().resolve(version))
