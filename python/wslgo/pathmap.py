"""The path map of a wslgo session: rules from the config file, `set wslgo path-map` and a
VS Code launch.json, over the automatic Windows <-> WSL mapping (Rust: ``_native.PathMap``).

Pure Python (no gdb). The config file is ``$WSLGO_CONFIG``, else
``$XDG_CONFIG_HOME/wslgo/config.toml``, else ``~/.config/wslgo/config.toml``::

    [[path-map]]
    from = 'C:\\work'          # how the binary, the editor or Windows spells it
    to = "/home/me/work"       # where that is inside WSL
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from wslgo import _native
from wslgo.text import esc_path


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the config file is (it need not exist)."""
    env = os.environ if environ is None else environ
    if env.get("WSLGO_CONFIG"):
        return Path(env["WSLGO_CONFIG"])
    base = env.get("XDG_CONFIG_HOME") or os.path.join(
        env.get("HOME") or str(Path.home()), ".config"
    )
    return Path(base) / "wslgo" / "config.toml"


def load(
    environ: Mapping[str, str] | None = None,
    launch_json: str | None = None,
    workspace: str | None = None,
) -> tuple[_native.PathMap, list[str]]:
    """A PathMap with the config file's rules (and a launch.json's); problems come back as
    one-line warnings instead of exceptions, so a bad config never stops a session."""
    pm = _native.PathMap()
    warnings: list[str] = []
    cfg = config_path(environ)
    if cfg.is_file():
        try:
            pm.load_config(str(cfg))
        except (ValueError, _native.WslgoError) as e:
            warnings.append(f"wslgo: ignoring the path map of {e}")
    if launch_json:
        try:
            pm.import_launch_json(launch_json, workspace)
        except (ValueError, _native.WslgoError) as e:
            warnings.append(f"wslgo: ignoring {e}")
    return pm, warnings


def format_rules(pm: _native.PathMap) -> list[str]:
    """One line per rule: ``FROM -> TO  (origin)``; a note when there is none."""
    rules = pm.rules()
    if not rules:
        return ["no path-map rules (automatic: C:\\ <-> /mnt/c/, \\\\wsl.localhost\\DISTRO\\ -> /)"]
    shown = [(esc_path(f), esc_path(t), esc_path(o)) for f, t, o in rules]
    width = max(len(f) for f, _, _ in shown)
    return [f"{f.ljust(width)} -> {t}  ({o})" for f, t, o in shown]


def split_rule(text: str) -> tuple[str, str]:
    """FROM TO from one argument string. Paths with spaces are quoted ("..." or '...');
    backslashes are kept as they are (Windows paths)."""
    words: list[str] = []
    cur = ""
    quote = ""
    started = False
    for c in text.strip():
        if quote:
            if c == quote:
                quote = ""
            else:
                cur += c
        elif c in "\"'":
            quote = c
            started = True
        elif c.isspace():
            if started or cur:
                words.append(cur)
            cur, started = "", False
        else:
            cur += c
            started = True
    if quote:
        raise ValueError(f"unbalanced quote in {text.strip()!r}")
    if started or cur:
        words.append(cur)
    if len(words) != 2:
        raise ValueError(f"expected FROM TO (two paths), got {len(words)} in {text.strip()!r}")
    return words[0], words[1]


def resolve_file(syms: _native.Symbols, file: str, pm: _native.PathMap | None = None) -> str:
    """The binary's own spelling of ``file`` (a Windows, WSL or module-relative path) through
    the path map; ``file`` itself when nothing matches (the caller's lookup then says so)."""
    if pm is None:
        pm, _ = load()
    found = pm.resolve(file, _native.source_files(syms))
    return found[0] if found else file
