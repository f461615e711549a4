"""Running real gdb in batch mode: the flags that keep its output free of auto-load noise
(the one Python copy; scripts/lib.sh holds the shell copy, compared by a test), and a
runner that returns both streams."""

from __future__ import annotations

import os
import re
import subprocess
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: `-iex` settings every batch gdb gets before anything is loaded.
QUIET: list[str] = [
    "-iex",
    "set auto-load python-scripts off",
    "-iex",
    "set auto-load gdb-scripts off",
    "-iex",
    "set pagination off",
    "-iex",
    "set confirm off",
]

#: argv prefix of a quiet batch gdb: `gdb -nx -batch` + QUIET.
GDB_BATCH: list[str] = ["gdb", "-nx", "-batch", *QUIET]
#: A batch gdb that auto-loads scripts as a user's gdb does (QUIET without the auto-load lines).
GDB_AUTOLOAD: list[str] = ["gdb", "-nx", "-batch", *QUIET[4:]]

#: argv prefix of gdb driven through the MI (as VS Code's cppdbg does): no init files.
GDB_MI: list[str] = ["gdb", "--interpreter=mi3", "-nx", "-q"]


@dataclass
class GdbRun:
    """Result of one gdb batch run."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_gdb(
    commands: Sequence[str],
    *,
    binary: Path | str | None = None,
    source: Path | str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | str | None = None,
    timeout: float = 180,
    early: Sequence[str] = (),
    program: str = "gdb",
) -> GdbRun:
    """Run `gdb -nx -batch` (``program``: another gdb, e.g. gdb-multiarch), sourcing
    ``source`` (wslgo.py) first, then ``commands``."""
    argv = [program, *GDB_BATCH[1:]]
    for c in early:
        argv += ["-iex", c]
    if source is not None:
        argv += ["-ex", f"source {source}"]
    if binary is not None:
        argv += ["-ex", f"file {binary}"]
    for c in commands:
        argv += ["-ex", c]
    full_env = dict(os.environ)
    full_env.pop("GOTRACEBACK", None)
    if env:
        full_env.update(env)
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )
    return GdbRun(proc.returncode, proc.stdout, proc.stderr)


def site_dirs() -> tuple[str, str]:
    """Where the wslgo under test lives (the venv's site-packages, the package's parent),
    for Python scripts that gdb's own interpreter runs."""
    import wslgo

    return sysconfig.get_paths()["purelib"], str(Path(wslgo.__file__).resolve().parent.parent)


def marked(name: str, *cmds: str) -> list[str]:
    """gdb commands that print ``BEGIN-NAME`` and ``END-NAME`` lines around ``cmds``."""
    return [f"echo BEGIN-{name}\\n", *cmds, f"echo END-{name}\\n"]


def section(output: str, name: str) -> str:
    """The output between the marker lines of :func:`marked` NAME."""
    start = f"BEGIN-{name}\n"
    i = output.index(start) + len(start)
    return output[i : output.index(f"END-{name}\n", i)]


def bt_functions(text: str) -> list[str]:
    """Function names of a gdb `bt` listing, in order."""
    return [m.group(1) for m in re.finditer(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(", text, re.M)]


def runtime_gdb_py(go: Path) -> Path:
    """GOROOT/src/runtime/runtime-gdb.py of the toolchain whose `go` command is ``go``."""
    path = go.parent.parent / "src" / "runtime" / "runtime-gdb.py"
    assert path.is_file(), path
    return path


class Mi:
    """A gdb --interpreter=mi3 session driven one command at a time; with ``numbered``, as
    VS Code's cppdbg drives it: each command carries a token and is answered by that token's
    ^result record (*stopped records arrive asynchronously)."""

    def __init__(
        self, argv: list[str], numbered: bool = False, env: dict[str, str] | None = None
    ) -> None:
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1, env=env
        )
        self.transcript: list[str] = []
        self.token = 1000 if numbered else None

    def until(self, pattern: str) -> str:
        assert self.proc.stdout is not None
        seen = []
        for line in self.proc.stdout:
            seen.append(line)
            self.transcript.append(line)
            if re.match(pattern, line):
                return "".join(seen)
        raise AssertionError("gdb ended before " + pattern + ":\n" + "".join(self.transcript))

    def cmd(self, command: str, until: str = r"\^(done|error|running)") -> str:
        assert self.proc.stdin is not None
        if self.token is not None:
            self.token += 1
            command, until = f"{self.token}{command}", f"{self.token}{until}"
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.until(until)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.write("-gdb-exit\n")
            self.proc.stdin.close()
        self.proc.wait(timeout=60)
