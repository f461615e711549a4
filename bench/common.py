"""Shared helpers of the wslgo benchmarks: Go toolchains, measured child processes, tables.

Pure standard library; every bench script imports this module from its own folder.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TOOLCHAINS = ROOT / "scripts" / "go-toolchains"

# One place knows how to run an offline Go toolchain: the fixture builder of the tests.
sys.path.insert(0, str(ROOT / "tests"))
import gofixtures  # noqa: E402


def cache_dir() -> Path:
    """$WSLGO_CACHE/bench (default ~/.cache/wslgo/bench), created on demand."""
    base = os.environ.get("WSLGO_CACHE") or os.path.join(Path.home(), ".cache", "wslgo")
    d = Path(base) / "bench"
    d.mkdir(parents=True, exist_ok=True)
    return d


def go_path(version: str) -> Path:
    """The `go` binary of a pinned release (scripts/go-toolchains installs it if needed)."""
    return gofixtures.go_binary(version)


def go_env(go: Path) -> dict[str, str]:
    """Environment for offline, local-toolchain `go build` / `go tool` runs."""
    return gofixtures.go_env(go)


def go_version(go: Path) -> str:
    return subprocess.run(
        [str(go), "version"], check=True, capture_output=True, text=True, env=go_env(go)
    ).stdout.strip()


def wslgo_cmd() -> list[str]:
    """The wslgo CLI to benchmark: $WSLGO (a command line) or `wslgo` on PATH."""
    env = os.environ.get("WSLGO")
    if env:
        return shlex.split(env)
    found = shutil.which("wslgo")
    if not found:
        raise SystemExit("bench: no `wslgo` on PATH; set WSLGO=/path/to/venv/bin/wslgo")
    if "/shims/" in found and shutil.which("pyenv"):
        # A pyenv shim is a shell script that costs ~0.2 s per start: time the real script.
        real = subprocess.run(["pyenv", "which", "wslgo"], capture_output=True, text=True)
        if real.returncode == 0 and real.stdout.strip():
            return [real.stdout.strip()]
    return [found]


def wslgo_python() -> str:
    """The Python interpreter behind the wslgo CLI (its shebang), for in-process profiles."""
    cmd = wslgo_cmd()
    exe = cmd[0]
    if Path(exe).name.startswith("python"):
        return exe
    try:
        first = Path(exe).read_text(errors="replace").splitlines()[0]
    except (OSError, IndexError):
        return sys.executable
    if first.startswith("#!"):
        parts = first[2:].split()
        if parts and Path(parts[0]).name != "env":
            return parts[0]
        if len(parts) > 1:
            return shutil.which(parts[1]) or sys.executable
    return sys.executable


def load() -> str:
    """The 1/5/15-minute load averages, as `uptime` prints them."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


@dataclass
class Run:
    """One measured child process: wall seconds, peak RSS in KiB, exit status."""

    wall: float
    rss_kib: int
    rc: int
    timed_out: bool = False
    cpu: float = 0.0  # user + system seconds of the process and its children


TIME = "/usr/bin/time"


def measure(
    cmd: list[str],
    stdin: Path | None = None,
    stdout: Path | None = None,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    stderr_too: bool = False,
) -> Run:
    """Run CMD once: wall time around the whole process, peak RSS of that process.

    Peak RSS comes from GNU time (`/usr/bin/time -f %M`, Debian package `time`): a child's
    ru_maxrss counts the memory it had before exec, so a child forked straight from this
    Python would never report less than this script's own RSS. Without /usr/bin/time it
    falls back to wait4 (and says so in the note of the run: rss floor). The child runs
    in its own process group; on timeout the whole group is killed. ``stderr_too``: the
    child's stderr goes to ``stdout`` as well (an anchor's error message is checked).
    """
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL  # noqa: SIM115
    fout = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    use_time = os.access(TIME, os.X_OK)
    with tempfile.NamedTemporaryFile("r", prefix="wslgo-bench-time-") as tf:
        argv = [TIME, "-f", "%M", "-o", tf.name, *cmd] if use_time else cmd
        try:
            t0 = time.perf_counter()
            p = subprocess.Popen(
                argv,
                stdin=fin,
                stdout=fout,
                stderr=subprocess.STDOUT if stderr_too and stdout else subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
            timed_out = threading.Event()

            def kill() -> None:
                timed_out.set()
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(timeout, kill) if timeout else None
            if timer:
                timer.start()
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            if timer:
                timer.cancel()
            p.returncode = os.waitstatus_to_exitcode(status)
        finally:
            for f in (fin, fout):
                if hasattr(f, "close"):
                    f.close()  # type: ignore[union-attr]
        rss = int(ru.ru_maxrss)
        if use_time:
            lines = [x for x in tf.read().split() if x.isdigit()]
            rss = int(lines[-1]) if lines else 0
    return Run(wall, rss, p.returncode, timed_out.is_set(), ru.ru_utime + ru.ru_stime)


@dataclass
class Series:
    """Repeated runs of one tool on one input."""

    tool: str
    runs: list[Run] = field(default_factory=list)
    load: str = ""
    note: str = ""

    @property
    def ok(self) -> list[Run]:
        return [r for r in self.runs if not r.timed_out and r.rc == 0]

    @property
    def timed_out(self) -> bool:
        return any(r.timed_out for r in self.runs)

    def wall(self, how: str) -> float | None:
        ok = [r.wall for r in self.ok]
        if not ok:
            return None
        return min(ok) if how == "min" else statistics.median(ok)

    def rss_mib(self, how: str) -> float | None:
        ok = [r.rss_kib / 1024 for r in self.ok]
        if not ok:
            return None
        return min(ok) if how == "min" else statistics.median(ok)


def fmt_s(v: float | None, cap: float | None = None) -> str:
    if v is None:
        return f"> {cap:.0f} s" if cap else "failed"
    return f"{v:.3f} s" if v < 10 else f"{v:.1f} s"


def fmt_ratio(v: float | None, base: float | None) -> str:
    if v is None or base is None or base <= 0:
        return "-"
    return f"{v / base:.1f}x"


def md_table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


# ---- anchors: another tool's row is a time only when its output shows the work done -----

#: delve's `goroutines` ends with "[N goroutines]"; `goroutines -group ...` gives each group
#: a "\tTotal: N" line (pkg/terminal/command.go).
_DLV_LIST = re.compile(r"^\[(\d+) goroutines\]\s*$", re.M)
_DLV_GROUP = re.compile(r"^\tTotal: (\d+)\s*$", re.M)
#: Lines that say why a tool gave up.
_ERROR = re.compile(r"error|could not|cannot|can't|too old|not a terminal|failed|panic", re.I)


def dlv_goroutines(out: str) -> int | None:
    """How many goroutines delve listed (`goroutines` or a grouped form), None if none."""
    listed = _DLV_LIST.findall(out)
    if listed:
        return int(listed[-1])
    groups = _DLV_GROUP.findall(out)
    return sum(int(n) for n in groups) if groups else None


def failure(out: str) -> str:
    """The line of a tool's output that says why it failed (one line, printable, short)."""
    lines = [x.strip() for x in out.splitlines() if x.strip()]
    line = next((x for x in lines if _ERROR.search(x)), lines[-1] if lines else "no output")
    line = "".join(c if c.isprintable() else "?" for c in line).replace("|", "/")
    return line if len(line) <= 160 else line[:157] + "..."


def anchor_failure(run: Run, out: str, counted: int | None, want: int) -> str | None:
    """Why an anchor's run does not count as the work measured (None: it does): killed at
    the timeout, a non-zero exit, or fewer goroutines in its output than the program has."""
    if run.timed_out:
        return "timed out"
    if run.rc != 0:
        return f"exit {run.rc}: {failure(out)}"
    if counted is None:
        return f"no goroutine count in its output: {failure(out)}"
    if counted < want:
        return f"counted {counted:,} goroutines, the program has {want:,}+"
    return None


def anchor_row(
    runs: list[tuple[Run, str]], count: Callable[[str], int | None], want: int
) -> list[str]:
    """[cold, warm, peak RSS] of an anchor's repeated runs, or ["failed: REASON", "-", "-"]
    when any run did not do the work (a failed run is never a time)."""
    for run, out in runs:
        reason = anchor_failure(run, out, count(out), want)
        if reason:
            return [f"failed: {reason}", "-", "-"]
    cold = fmt_s(runs[0][0].wall)
    warm = fmt_s(min(r.wall for r, _ in runs[1:])) if len(runs) > 1 else "-"
    peak = f"{max(r.rss_kib for r, _ in runs) / 1024:.0f} MiB"
    return [cold, warm, peak]
