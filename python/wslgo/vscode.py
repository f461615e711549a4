"""`wslgo vscode [--write]`: VS Code launch.json configurations for the C/C++ extension's
gdb (cppdbg, MIMode gdb) that load wslgo: launch, attach, core file, gdbserver.

Pure Python. The path map goes in twice: as ``sourceFileMap`` (what VS Code opens) and as
``set wslgo path-map`` setup commands (wslgo's own FILE:LINE resolution). ``--write``
merges into .vscode/launch.json through the native JSONC merge, which keeps comments and
refuses a file it cannot parse.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import wslgo
from wslgo import _native, userfile
from wslgo.text import esc

DEFAULT_PROGRAM = "${workspaceFolder}/${workspaceFolderBasename}"


def setup_commands(pm: _native.PathMap | None, entry: str | None = None) -> list[dict[str, Any]]:
    """What gdb runs before the program: load wslgo, then the path-map rules."""
    cmds: list[dict[str, Any]] = [
        {
            "description": "Enable pretty-printing for gdb",
            "text": "-enable-pretty-printing",
            "ignoreFailures": True,
        },
        {
            "description": "Load wslgo (Go goroutines, stacks, breakpoints)",
            "text": f"source {entry or wslgo.GDB_ENTRY}",
            "ignoreFailures": False,
        },
    ]
    for frm, to, _ in pm.rules() if pm is not None else []:
        cmds.append(
            {
                "description": f"wslgo path map {frm}",
                "text": f"set wslgo path-map {_q(frm)} {_q(to)}",
                "ignoreFailures": True,
            }
        )
    return cmds


def _q(p: str) -> str:
    return f'"{p}"' if any(c.isspace() for c in p) else p


def source_file_map(pm: _native.PathMap | None) -> dict[str, str]:
    """cppdbg's sourceFileMap: path in the binary -> where the editor finds it."""
    out: dict[str, str] = {}
    for frm, to, _ in pm.rules() if pm is not None else []:
        out[frm] = pm.to_local(to) if pm is not None else to
    return out


def configurations(
    program: str = DEFAULT_PROGRAM,
    pm: _native.PathMap | None = None,
    port: int = 2345,
    gdb: str | None = None,
    entry: str | None = None,
) -> list[dict[str, Any]]:
    """The four configurations (launch, attach, core, gdbserver)."""
    base: dict[str, Any] = {
        "MIMode": "gdb",
        "miDebuggerPath": gdb or shutil.which("gdb") or "/usr/bin/gdb",
        "program": program,
        "cwd": "${workspaceFolder}",
        "setupCommands": setup_commands(pm, entry),
    }
    sfm = source_file_map(pm)
    if sfm:
        base["sourceFileMap"] = sfm
    return [
        {
            "name": "wslgo: launch",
            "type": "cppdbg",
            "request": "launch",
            **base,
            "args": [],
            "stopAtEntry": False,
            "environment": [],
            "externalConsole": False,
        },
        {
            "name": "wslgo: attach to process",
            "type": "cppdbg",
            "request": "attach",
            **base,
            "processId": "${command:pickProcess}",
        },
        {
            "name": "wslgo: core file",
            "type": "cppdbg",
            "request": "launch",
            **base,
            "coreDumpPath": "${workspaceFolder}/core",
        },
        {
            "name": "wslgo: gdbserver",
            "type": "cppdbg",
            "request": "launch",
            **base,
            "miDebuggerServerAddress": f"localhost:{port}",
        },
    ]


def launch_json(configs: list[dict[str, Any]]) -> str:
    return json.dumps({"version": "0.2.0", "configurations": configs}, indent=2) + "\n"


def write(folder: Path, configs: list[dict[str, Any]]) -> tuple[Path, list[str], list[str]]:
    """Merge ``configs`` into FOLDER/.vscode/launch.json (created if absent), atomically.
    Raises ValueError, leaving the file untouched, when it does not parse, is not a regular
    file (a FIFO, a device) or is a link leading out of the workspace. A UTF-8 BOM is kept."""
    path = folder / ".vscode" / "launch.json"
    target = _inside(folder, path)
    text = userfile.read_text(target, "a launch.json") if os.path.lexists(target) else ""
    bom = userfile.BOM if text.startswith(userfile.BOM) else ""
    new, added, skipped = _native.merge_launch_json(
        text.removeprefix(bom), json.dumps(configs), str(path)
    )
    if added:
        target.parent.mkdir(parents=True, exist_ok=True)
        userfile.write_atomic(target, bom + new)
    return path, added, skipped


def _inside(folder: Path, path: Path) -> Path:
    """The file ``path`` really is (links followed), refused when that is outside
    ``folder``: a launch.json linked to ~/.config/... is not the workspace's to rewrite."""
    root = Path(os.path.realpath(folder))
    real = Path(os.path.realpath(path))
    if real != root and root not in real.parents:
        raise ValueError(
            f"{path} leads to {esc(real)}, outside the workspace {esc(root)}: not writing there"
        )
    return real
