"""gdb's post-hook of ``run`` calls ``wslgo-post-run``, keeping the user's own hook body.

gdb spells it ``hookpost-run``: a command named ``hook-post-run`` would be a *pre*-hook of a
non-existent ``post-run`` command (gdb warns "does not hook any existing command"). The hook
is (re)installed each time a Go program is loaded, after any body the user defined.
"""

from __future__ import annotations

import argparse
import os

import gdb

from wslgo.gdb import commands
from wslgo.gdb.session import breakpoints

POST_RUN_COMMAND = "wslgo-post-run"
#: gdb's name for the hook that runs after `run` returns.
POST_RUN_HOOK = "hookpost-run"


def _user_hook_body(hook: str) -> list[str] | None:
    """Body lines of the user command ``hook`` (relative indentation kept), None if none."""
    try:
        out = gdb.execute(f"show user {hook}", to_string=True)
    except gdb.error:
        return None
    lines = out.splitlines()
    if not lines or not lines[0].startswith("User command"):
        return None
    body = [ln[2:] if ln.startswith("  ") else ln for ln in lines[1:]]
    while body and not body[-1].strip():
        body.pop()
    return body


def install() -> None:
    """Define hookpost-run as `wslgo-post-run` followed by the user's previous body."""
    install_hook(POST_RUN_HOOK, POST_RUN_COMMAND)


def install_hook(hook: str, command: str) -> None:
    """Define the gdb hook ``hook`` as ``command`` followed by the user's previous body."""
    body = _user_hook_body(hook) or []
    if any(ln.strip() == command for ln in body):
        return
    text = "\n".join([f"define {hook}", f"  {command}"])
    text += "".join(f"\n  {ln}" for ln in body) + "\nend"
    # redefining asks "Redefine command?" of a terminal (gdb answers it itself otherwise,
    # and the MI would hear of each change of the setting)
    if not (gdb.parameter("confirm") and os.isatty(0)):
        gdb.execute(text, to_string=True)
        return
    gdb.execute("set confirm off", to_string=True)
    try:
        gdb.execute(text, to_string=True)
    finally:
        gdb.execute("set confirm on", to_string=True)


_post_run = commands.parser(
    POST_RUN_COMMAND,
    "Arm wslgo's Go breakpoints for the running program (gdb's hookpost-run calls this).",
    epilog="Idempotent: wslgo arms them when the process starts; this is the fallback.",
)


@commands.command(POST_RUN_COMMAND, _post_run)
def wslgo_post_run(args: argparse.Namespace) -> None:
    breakpoints.ARMED.arm()
