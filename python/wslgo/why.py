"""Why a FILE:LINE breakpoint would not resolve or hit: `wslgo why` and `wslgo-why`.

Pure Python (no gdb) over the native symbols and path map. :func:`explain` returns the
findings, most important first; :func:`format_why` turns them into the lines users see.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, field

from wslgo import _native, argtypes
from wslgo.text import esc_path

#: The flags that keep every line and every function of a Go build.
DEBUG_FLAGS = "-gcflags=all=-N -l"

_FUNC = re.compile(r"^func\s+(?:\(\s*\w*\s*(\*?)\s*(\w+)(?:\[[^\]]*\])?\s*\)\s*)?(\w+)")


@dataclass
class Finding:
    """One reason (or the all-clear), with the fix in one line."""

    kind: str  # ok, not-in-binary, no-code, optimized-away, dead-code, inlined, stale, ...
    message: str
    fix: str = ""
    details: list[str] = field(default_factory=list)


@dataclass
class Why:
    """What wslgo found for FILE:LINE in a binary."""

    query: str
    line: int
    file: str | None = None  # the binary's file that matched
    addresses: list[int] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rule: tuple[str, str] | None = None  # a path-map rule that would fix a mismatch

    @property
    def resolves(self) -> bool:
        """True when the line has code in the binary (a breakpoint can be placed)."""
        return bool(self.addresses)

    @property
    def kind(self) -> str:
        return self.findings[0].kind if self.findings else "ok"


def file_line(text: str) -> tuple[str, int] | None:
    """(FILE, LINE) of ``FILE:LINE`` (quotes around FILE dropped); None when ``text`` is not
    of that form (a function name, a bare drive ``C:``). A LINE out of range is a
    ValueError that names it."""
    file, sep, line = text.strip().rpartition(":")
    if not sep or not file or not (line.isascii() and line.isdigit()):
        return None
    if re.fullmatch(r"[A-Za-z]", file):
        return None
    try:
        n = argtypes.line_number(line)
    except argparse.ArgumentTypeError as e:
        raise ValueError(str(e)) from None
    return file.strip("\"'"), n


def closest_files(query: str, files: list[str], n: int = 3) -> list[str]:
    """The binary's files most like ``query``: same file name first, then similar paths."""
    import difflib  # here: only a breakpoint that matches no file asks

    qn = query.replace("\\", "/")
    base = qn.rsplit("/", 1)[-1]
    same = [f for f in files if f.rsplit("/", 1)[-1] == base]
    same.sort(key=lambda f: -difflib.SequenceMatcher(None, qn, f).ratio())
    if same:
        return same[:n]
    names = {f.rsplit("/", 1)[-1]: f for f in files}
    near = difflib.get_close_matches(base, list(names), n=n, cutoff=0.6)
    return [names[x] for x in near]


def _enclosing_func(source: list[str], line: int) -> tuple[str, str, int] | None:
    """(receiver type, name, first line) of the Go function around ``line`` (1-based), by
    reading the source: the last `func` at column 0 above it whose body has not closed."""
    for i in range(min(line, len(source)) - 1, -1, -1):
        text = source[i]
        if i < line - 1 and text.startswith("}"):
            return None  # a function closed between its header and the line
        m = _FUNC.match(text)
        if m:
            recv = f"({m.group(1)}{m.group(2)})" if m.group(2) else ""
            if m.group(1) == "" and m.group(2):
                recv = m.group(2)
            return recv, m.group(3), i + 1
    return None


def _package(source: list[str]) -> str:
    for text in source:
        m = re.match(r"^package\s+(\w+)", text)
        if m:
            return m.group(1)
    return ""


def _find_function(syms: _native.Symbols, pkg: str, recv: str, name: str) -> list[str]:
    """Functions in the binary that are ``pkg``'s ``recv.name`` (any import path)."""
    tail = f".{recv}.{name}" if recv else f".{name}"
    try:
        cands = syms.search(tail)
    except _native.WslgoError:
        return []
    out = []
    for c in cands:
        base = c.split("[", 1)[0]
        if base.endswith(tail) and base[: -len(tail)].rsplit("/", 1)[-1] == pkg:
            out.append(c)
    return out


def _is_code(text: str) -> bool:
    t = text.strip()
    return bool(t) and not t.startswith("//") and t not in ("}", "{", ")", "(")


def explain(
    syms: _native.Symbols,
    binary: str,
    file: str,
    line: int,
    pm: _native.PathMap,
) -> Why:
    """Why ``file:line`` would (not) get a breakpoint in ``binary``."""
    why = Why(query=file, line=line)
    info = syms.info()
    files = _native.source_files(syms)
    if not info.get("dwarf"):
        why.findings.append(
            Finding(
                "no-dwarf",
                "the binary has no DWARF (built with -ldflags=-w or -s): gdb cannot place "
                "FILE:LINE breakpoints or show variables (wslgo-break uses the pclntab)",
                "rebuild without -w/-s in -ldflags",
            )
        )
    if not files:
        why.findings.insert(
            0, Finding("no-lines", "the binary has no line tables (no DWARF, no pclntab)")
        )
        return why
    matches = pm.resolve(file, files)
    if not matches:
        near = closest_files(file, files)
        f = Finding(
            "not-in-binary",
            f"{file} is not a source file of this binary",
            "",
            [f"closest file in the binary: {c}" for c in near],
        )
        for c in near:
            rule = _native.suggest_rule(file, c)
            if rule:
                why.rule = rule
                f.fix = (
                    f"map the paths: set wslgo path-map {_q(rule[0])} {_q(rule[1])} "
                    f"(or [[path-map]] from/to in ~/.config/wslgo/config.toml)"
                )
                break
        if not f.fix:
            f.fix = "check the file name; `wslgo lookup BIN FILE:LINE` lists what the binary has"
        why.findings.insert(0, f)
        return why
    bfile = next((m for m in matches if _has_line(syms, m, line)), matches[0])
    matches = [bfile] + [m for m in matches if m != bfile]
    why.file = bfile
    if len(matches) > 1:
        why.findings.append(
            Finding(
                "ambiguous",
                f"{file} names {len(matches)} files of the binary; using {bfile}",
                "give more of the path (pkg/file.go) to pick another",
                [f"also: {m}" for m in matches[1:4]],
            )
        )
    local = pm.to_local(bfile)
    source: list[str] = []
    try:
        with open(local, encoding="utf-8", errors="replace") as fh:
            source = fh.read().splitlines()
        src_mtime = os.stat(local).st_mtime
        bin_mtime = os.stat(binary).st_mtime
        if src_mtime > bin_mtime + 1:
            why.findings.append(
                Finding(
                    "stale",
                    f"{local} is newer than the binary (changed after the build): "
                    f"its lines may not match the code",
                    "rebuild the program",
                )
            )
    except OSError:
        why.findings.append(
            Finding(
                "source-missing",
                f"the binary's file {bfile} is not on disk here ({local})",
                "add a path-map rule from the build path to where the source is",
            )
        )
    try:
        _, why.addresses = syms.line_addresses(bfile, line)
    except _native.NotFoundError as e:
        why.findings.insert(0, _no_code(syms, info, bfile, line, source, str(e)))
        return why
    except _native.WslgoError as e:
        why.findings.insert(0, Finding("no-lines", str(e)))
        return why
    inl = _inlined(syms, why.addresses)
    if inl is not None:
        why.findings.insert(0, inl)
    if not why.findings or why.findings[0].kind in (
        "stale",
        "source-missing",
        "no-dwarf",
        "ambiguous",
    ):
        funcs = _functions(syms, why.addresses)
        where = f" in {', '.join(funcs)}" if len(funcs) > 1 else ""
        why.findings.insert(
            0,
            Finding(
                "ok",
                f"{bfile}:{line} has code at {len(why.addresses)} address(es){where}: "
                + ", ".join(f"{a:#x}" for a in why.addresses[:4]),
            ),
        )
    return why


def _functions(syms: _native.Symbols, addrs: list[int]) -> list[str]:
    """The functions (innermost frame) holding ``addrs``: each instance of a generic."""
    out: list[str] = []
    for a in addrs:
        try:
            frames = syms.frames(a)
        except _native.WslgoError:
            continue
        if frames and frames[0].function not in out:
            out.append(frames[0].function)
    return out


def _has_line(syms: _native.Symbols, file: str, line: int) -> bool:
    try:
        return bool(syms.line_addresses(file, line)[1])
    except _native.WslgoError:
        return False


def _no_code(
    syms: _native.Symbols,
    info: _native.SymbolsInfoDict,
    bfile: str,
    line: int,
    source: list[str],
    native_msg: str,
) -> Finding:
    """A line without code: dead function, optimized away, or just no statement there."""
    text = source[line - 1] if 0 < line <= len(source) else ""
    fn = _enclosing_func(source, line) if source else None
    optimized = bool(info.get("optimized"))
    if fn is not None and _is_code(text):
        recv, name, _ = fn
        pkg = _package(source)
        spelled = f"{pkg}.{recv + '.' if recv else ''}{name}"
        if not _find_function(syms, pkg, recv, name):
            fix = (
                f"it is never called, so the linker removed it; call it (rebuild with "
                f"{DEBUG_FLAGS} if it is only inlined)"
                if optimized
                else "it is never called, so the linker removed it: call it"
            )
            return Finding(
                "dead-code", f"{spelled} is not in the binary: no code for {bfile}:{line}", fix
            )
        if optimized:
            return Finding(
                "optimized-away",
                f"the compiler removed {bfile}:{line} from {spelled} (optimized build); "
                + native_msg,
                f"rebuild with: go build -gcflags='all=-N -l'  ({DEBUG_FLAGS})",
            )
    return Finding("no-code", native_msg, "put the breakpoint on one of the lines with code")


def _inlined(syms: _native.Symbols, addrs: list[int]) -> Finding | None:
    """When every address of the line is an inlined copy: which functions it sits in."""
    callers: list[str] = []
    callees: list[str] = []
    for a in addrs:
        try:
            frames = syms.frames(a)
        except _native.WslgoError:
            return None
        if len(frames) < 2 or not frames[0].inlined:
            return None
        if frames[0].function not in callees:
            callees.append(frames[0].function)  # a generic function: each instance
        c = frames[1]
        where = f"{c.function} ({os.path.basename(c.file)}:{c.line})"
        if where not in callers:
            callers.append(where)
    if not callers:
        return None
    callee = ", ".join(callees)
    return Finding(
        "inlined",
        f"{callee} {'was' if len(callees) == 1 else 'were'} inlined: the line exists only "
        f"inside its callers, {len(callers)} caller(s): " + ", ".join(callers),
        f"a breakpoint stops in each caller; to keep {callee} as a function (locals, "
        f"stepping) rebuild with {DEBUG_FLAGS}",
    )


def _q(path: str) -> str:
    return f'"{path}"' if any(c.isspace() for c in path) else path


def format_why(why: Why) -> list[str]:
    """The lines users see: one line per finding, its fix, its details. File and function
    names come from the binary and the user: a line holding a control character is shown
    escaped (JSON carries the raw text)."""
    out: list[str] = []
    for f in why.findings:
        verdict = "ok" if f.kind == "ok" else f.kind
        out.append(f"{verdict}: {f.message}")
        out += [f"  {d}" for d in f.details]
        if f.fix:
            out.append(f"  fix: {f.fix}")
    return [esc_path(line) for line in out]


def why_json(why: Why) -> dict[str, object]:
    return {
        "query": why.query,
        "line": why.line,
        "file": why.file,
        "addresses": why.addresses,
        "resolves": why.resolves,
        "kind": why.kind,
        "rule": list(why.rule) if why.rule else None,
        "findings": [
            {"kind": f.kind, "message": f.message, "fix": f.fix, "details": f.details}
            for f in why.findings
        ],
    }
