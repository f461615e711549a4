"""`wslgo diagnose-log FILE|-`: name the known failures in a gdb, delve or VS Code log.

Pure Python. Each :class:`Pattern` matches the real wording of gdb, delve, VS Code's debug
console or the Go / C/C++ extensions' traces, and carries the cause and the fix. Lines no
pattern knows stay unknown and are counted (blank lines and plain program output are not
errors: only lines that look like warnings or errors count as unknown).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pattern:
    """A known failure: how it reads, why it happens, how to fix it."""

    name: str
    regex: re.Pattern[str]
    cause: str
    fix: str


def _p(name: str, rx: str, cause: str, fix: str) -> Pattern:
    return Pattern(name, re.compile(rx, re.IGNORECASE), cause, fix)


PATTERNS: list[Pattern] = [
    _p(
        "econnrefused",
        r"ECONNREFUSED\s+(?:127\.0\.0\.1|localhost|\[?::1\]?):(\d+)"
        r"|dial tcp (?:127\.0\.0\.1|\[::1\]):(\d+): connect: connection refused",
        "nothing reachable listens on the debugger port: dlv/gdbserver is not running, or it "
        "listens on 127.0.0.1 inside WSL2 (NAT mode) and Windows cannot reach it",
        "start it listening on all interfaces (dlv --headless --listen=:2345, gdbserver :2345) "
        "or use networkingMode=mirrored; `wslgo doctor` checks the port",
    ),
    _p(
        "api-version",
        r"API version mismatch|unsupported API version|unknown API version|--api-version",
        "the client and the headless dlv speak different API versions",
        "start dlv with --api-version=2 and update the Go extension (or dlv) so they match",
    ),
    _p(
        "go-too-old-for-delve",
        r"Go version (\S+) is too old for this version of Delve",
        "the program's Go is older than the oldest Go this dlv supports",
        "install a dlv release that supports that Go, or build with a newer Go "
        "(--check-go-version=false only silences it)",
    ),
    _p(
        "delve-too-old-for-go",
        r"Version of Delve is too old for Go version (\S+)|Go version (\S+) is too new"
        r"|too old for Go version",
        "this dlv predates the Go release that built the program",
        "go install github.com/go-delve/delve/cmd/dlv@latest (inside WSL)",
    ),
    _p(
        "ptrace-denied",
        r"could not launch process:.*operation not permitted"
        r"|could not attach to pid \d+:.*operation not permitted"
        r"|ptrace: Operation not permitted"
        r"|Error disabling address space randomization: Operation not permitted",
        "the kernel refused ptrace: kernel.yama.ptrace_scope, a container without "
        "CAP_SYS_PTRACE, or WSL1's emulated ptrace",
        "sudo sysctl -w kernel.yama.ptrace_scope=0 (attach), run with CAP_SYS_PTRACE / "
        "--security-opt seccomp=unconfined in containers, or move the distro to WSL2",
    ),
    _p(
        "oom-killed",
        r"^\s*Killed\s*$|exit(?:ed|ing)? (?:with )?(?:status|code):? 137\b"
        r"|terminated with signal SIGKILL|exit code 137",
        "the process (or the debugger) was killed with SIGKILL, usually by the OOM killer "
        "of a cgroup memory limit or of the WSL2 VM",
        "raise the memory limit ([wsl2] memory=8GB in .wslconfig, cgroup MemoryMax); "
        "`wslgo doctor` shows the limit",
    ),
    _p(
        "pie-memory",
        r"Cannot access memory at address 0x[0-9a-f]+"
        r"|Cannot insert breakpoint \d+",
        "a breakpoint or read at a link-time address of a PIE before the program runs "
        "(the load address is only known after `run`/`starti`)",
        "set breakpoints by function or FILE:LINE (wslgo-break), or `starti` first; "
        "build with -buildmode=exe to avoid PIE",
    ),
    _p(
        "source-newer",
        r"Source file is more recent than executable",
        "the source changed after the build: lines shown and breakpoints may be off",
        "rebuild the program",
    ),
    _p(
        "no-source-file",
        r'No source file named (.+?)\.?$|could not find file (\S+)|No line \d+ in file "([^"]+)"',
        "the path the editor sends is not a file of the binary (Windows vs WSL path, "
        "another checkout, -trimpath)",
        "add a path-map rule: set wslgo path-map FROM TO (or substitutePath/sourceFileMap "
        "in launch.json); `wslgo why BIN FILE:LINE` names the rule",
    ),
    _p(
        "pending-breakpoint",
        r"Make breakpoint pending on future shared library load"
        r"|Breakpoint \d+ \(.*\) pending\.|Unverified breakpoint",
        "the breakpoint's location is unknown now (path mismatch, or the code is not loaded)",
        "check the path with `wslgo why BIN FILE:LINE`; add a path-map rule if the file is "
        "spelled differently in the binary",
    ),
    _p(
        "no-statement",
        r"could not find statement at (\S+?):(\d+), please use a line with a statement",
        "no code on that line: a comment or declaration, or a line the optimizer removed",
        "move the breakpoint to a line with code, or build with -gcflags=all='-N -l'; "
        "`wslgo why BIN FILE:LINE` shows the nearest lines",
    ),
    _p(
        "optimized",
        r"Warning: debugging optimized function|<optimized out>|\(optimized\)",
        "the program was built with optimizations: variables vanish, lines are skipped",
        "go build -gcflags=all='-N -l'",
    ),
]

_ERRORISH = re.compile(
    r"\b(error|warning|fail(?:ed|ure)?|cannot|could not|unable|refused|denied|fatal|panic"
    r"|not found|no such)\b",
    re.IGNORECASE,
)


#: A bare "Warning:" heading (gdb puts the message on the next lines).
_BARE = re.compile(r"^\s*(warning|error):?\s*$", re.IGNORECASE)


@dataclass
class Hit:
    pattern: Pattern
    lines: list[int] = field(default_factory=list)  # 1-based
    first: str = ""


@dataclass
class Report:
    hits: list[Hit]
    unknown: list[tuple[int, str]]
    total: int


def diagnose(lines: Iterable[str]) -> Report:
    hits: dict[str, Hit] = {}
    unknown: list[tuple[int, str]] = []
    total = 0
    for n, raw in enumerate(lines, 1):
        total = n
        line = raw.rstrip("\r\n")
        matched = False
        for p in PATTERNS:
            if p.regex.search(line):
                h = hits.setdefault(p.name, Hit(p, first=line.strip()))
                h.lines.append(n)
                matched = True
                break
        if not matched and _ERRORISH.search(line) and not _BARE.match(line):
            unknown.append((n, line.strip()))
    order = {p.name: i for i, p in enumerate(PATTERNS)}
    return Report(sorted(hits.values(), key=lambda h: order[h.pattern.name]), unknown, total)


def format_report(r: Report) -> list[str]:
    out: list[str] = []
    for h in r.hits:
        where = ", ".join(str(x) for x in h.lines[:5]) + (" ..." if len(h.lines) > 5 else "")
        out.append(f"{h.pattern.name} (line {where}): {h.first}")
        out.append(f"  cause: {h.pattern.cause}")
        out.append(f"  fix:   {h.pattern.fix}")
    out.append(
        f"{len(r.hits)} known problem(s) in {r.total} line(s); "
        f"{len(r.unknown)} unknown error/warning line(s)"
    )
    for n, text in r.unknown[:10]:
        out.append(f"  unknown line {n}: {text}")
    return out


def to_json(r: Report) -> dict[str, object]:
    return {
        "known": [
            {
                "name": h.pattern.name,
                "lines": h.lines,
                "first": h.first,
                "cause": h.pattern.cause,
                "fix": h.pattern.fix,
            }
            for h in r.hits
        ],
        "unknown": [{"line": n, "text": t} for n, t in r.unknown],
        "lines": r.total,
    }
