"""WSL helpers in gdb: the path map (``set/show/unset wslgo path-map``, ``wslgo-path-map``),
``wslgo-break``, ``wslgo-why`` and ``wslgo-doctor``.

The path map is the session's ``_native.PathMap`` (config file rules loaded at start);
every change is mirrored into gdb's ``set substitute-path`` so what gdb prints and opens
follows it too. The program is gdb's current progspace file.
"""

from __future__ import annotations

import argparse
import json
import os
import re

import gdb

from wslgo import _native, argtypes, doctor, pathmap, why
from wslgo.gdb import commands, params, program
from wslgo.gdb.cmds import breakspec
from wslgo.text import esc, esc_path


class WslState:
    """The session's path map and the substitute-path rules wslgo gave gdb from it."""

    def __init__(self) -> None:
        self.pm: _native.PathMap | None = None
        self.applied: list[tuple[str, str]] = []
        self.registered = False


STATE = WslState()


def path_map() -> _native.PathMap:
    """The session's path map (the config file's rules on first use)."""
    if STATE.pm is not None:
        return STATE.pm
    pm, warnings = pathmap.load()
    for w in warnings:
        gdb.write(w + "\n", gdb.STDERR)
    STATE.pm, STATE.applied = pm, []
    apply_to_gdb()
    return pm


def apply_to_gdb() -> None:
    """Make gdb's substitute-path rules equal the path map's (only those wslgo set)."""
    pm = path_map()
    old = STATE.applied
    new = pm.substitutions()
    keep = {f for f, _ in new}
    before = dict(old)
    for frm, _ in old:
        if frm not in keep:
            gdb.execute(f"unset substitute-path {gdb_arg(frm)}", to_string=True)
    for frm, to in new:
        if before.get(frm) != to:
            gdb.execute(f"set substitute-path {gdb_arg(frm)} {gdb_arg(to)}", to_string=True)
    STATE.applied = list(new)


def gdb_arg(text: str) -> str:
    """``text`` as one argument of a gdb command that splits its arguments like a shell
    (libiberty's buildargv: quotes, backslash escapes). gdb.execute runs every line of a
    string, so text with a control character is refused, never passed on."""
    plain = text.replace("\\", "/")  # backslashes are Windows separators here
    if esc(plain) != plain:
        raise ValueError(f"{esc(text)} contains a control character; not passed to gdb")
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}"'


def _program() -> tuple[str, _native.Symbols]:
    """The loaded Go program's path and its one native Symbols (shared with every wslgo
    command)."""
    prog = program.current()
    if prog.symbols is None:
        raise gdb.GdbError(f"wslgo: {prog.path}: no symbols could be read")
    return prog.path, prog.symbols


# ---- set / show / unset wslgo path-map ------------------------------------------------


class _PathMapParam(gdb.Parameter):
    """Map paths between Windows (or the build machine) and WSL: `set wslgo path-map FROM TO`.
    FROM is how the binary, the editor or Windows spells a directory (C:\\work\\proj,
    \\\\wsl.localhost\\Ubuntu\\src, /build/proj), TO is where it is here. The longest
    FROM wins; C:\\ <-> /mnt/c/ and \\\\wsl$\\DISTRO\\ -> / need no rule. Rules also apply
    to gdb's substitute-path. `unset wslgo path-map FROM` removes one, `show wslgo
    path-map` lists them (the config file ~/.config/wslgo/config.toml adds its own)."""

    set_doc = "Add a path-map rule: set wslgo path-map FROM TO."
    show_doc = "Show the path-map rules."

    def __init__(self) -> None:
        super().__init__("wslgo path-map", gdb.COMMAND_FILES, gdb.PARAM_STRING_NOESCAPE)
        self.value = ""

    def get_set_string(self) -> str:
        text = str(self.value or "")
        self.value = ""
        try:
            frm, to = pathmap.split_rule(text)
            path_map().add(frm, to)
        except ValueError as e:
            raise gdb.GdbError(f"set wslgo path-map: {e}") from None
        apply_to_gdb()
        return f"wslgo: path-map {esc_path(frm)} -> {esc_path(to)}"

    def get_show_string(self, svalue: str) -> str:
        return "\n".join(pathmap.format_rules(path_map()))


def _unset_path_map(arg: str, from_tty: bool) -> None:
    """`unset wslgo path-map [FROM]`: one rule, or every rule."""
    frm = arg.strip().strip("\"'")
    pm = path_map()
    if not frm:
        pm.clear()
        gdb.write("wslgo: removed every path-map rule\n")
    elif pm.remove(frm):
        gdb.write(f"wslgo: removed the path-map rule for {esc_path(frm)}\n")
    else:
        raise gdb.GdbError(f"unset wslgo path-map: no rule for {esc_path(frm)}")
    apply_to_gdb()


_pm = commands.parser(
    "wslgo-path-map",
    "Show the path map, import rules, or translate a path.\n"
    "Without options: the rules. --import reads a VS Code launch.json (substitutePath,\n"
    "sourceFileMap; comments and trailing commas are fine), --config a TOML file.",
)
_pm.add_argument("--import", dest="launch", metavar="LAUNCH_JSON", help="import a launch.json")
_pm.add_argument("--workspace", metavar="DIR", help="${workspaceFolder} for --import")
_pm.add_argument("--config", metavar="TOML", help="load [[path-map]] rules from a TOML file")
_pm.add_argument("--local", metavar="PATH", help="print where PATH is here")
_pm.add_argument("--windows", metavar="PATH", help="print the Windows spelling of PATH")


@commands.command("wslgo-path-map", _pm, argv=lambda a: _argv_keep_backslashes(a))
def wslgo_path_map(args: argparse.Namespace) -> None:
    pm = path_map()
    if args.launch:
        ws = args.workspace or os.path.dirname(os.path.dirname(os.path.abspath(args.launch)))
        n = pm.import_launch_json(args.launch, ws)
        gdb.write(f"wslgo: {n} rule(s) from {esc_path(args.launch)}\n")
    if args.config:
        n = pm.load_config(args.config)
        gdb.write(f"wslgo: {n} rule(s) from {esc_path(args.config)}\n")
    if args.local:
        gdb.write(esc_path(pm.to_local(args.local)) + "\n")
    if args.windows:
        foreign = pm.to_foreign(args.windows, True, os.environ.get("WSL_DISTRO_NAME"))
        gdb.write(esc_path(foreign) + "\n")
    if args.launch or args.config:
        apply_to_gdb()
    if not (args.local or args.windows):
        gdb.write("\n".join(pathmap.format_rules(pm)) + "\n")


# ---- wslgo-why / wslgo-break ------------------------------------------------------------


_why = commands.parser(
    "wslgo-why",
    "Explain why a breakpoint at FILE:LINE would not resolve or hit.\n"
    "FILE may be a Windows path, a WSL path or a path relative to the module; the path map\n"
    "applies. Reasons: file not in the binary (closest names, the rule that fixes it), no\n"
    "code on the line (nearest lines), inlined (callers), optimized away or never called,\n"
    "source newer than the binary, no DWARF.",
)
_why.add_argument("location", metavar="FILE:LINE")
_why.add_argument("--json", action="store_true", help="JSON output")


@commands.command("wslgo-why", _why, argv=lambda a: _argv_keep_backslashes(a))
def wslgo_why(args: argparse.Namespace) -> None:
    fl = why.file_line(args.location)
    if fl is None:
        raise commands.UsageError(f"wslgo-why: expected FILE:LINE, got {esc_path(args.location)}")
    path, syms = _program()
    w = why.explain(syms, path, fl[0], fl[1], path_map())
    if args.json:
        gdb.write(json.dumps(why.why_json(w)) + "\n")
    else:
        gdb.write("\n".join(why.format_why(w)) + "\n")


def _argv_keep_backslashes(arg: str) -> list[str]:
    """Split on spaces but keep backslashes (Windows paths); quotes group words."""
    words: list[str] = []
    for m in re.finditer(r'"([^"]*)"|\'([^\']*)\'|(\S+)', arg):
        words.append(next(g for g in m.groups() if g is not None))
    return words


def _split_condition(arg: str) -> tuple[str, str]:
    """LOCATION [goroutine N] [if COND] -> (LOCATION, condition); `goroutine N` (delve's
    `break -goroutine`) becomes `$goid == N` (gdb evaluates it through `$_goid()`)."""
    m = re.match(r"^\s*(.*?)\s+if\s+(.*)$", arg)
    loc, cond = (m.group(1).strip(), m.group(2).strip()) if m else (arg.strip(), "")
    g = re.match(r"^(.*?)\s+goroutine\s+(\S+)$", loc)
    if g:
        try:
            goid = argtypes.goroutine_id(g.group(2))
        except argparse.ArgumentTypeError as e:
            raise commands.UsageError(f"wslgo-break: {e}") from None
        loc, only = g.group(1).strip(), f"$goid == {goid}"
        cond = f"{only} && ({cond})" if cond else only
    return loc, cond


_BREAK_DOC = """Set a breakpoint from a Windows path, a WSL path, a module-relative path or a Go
    function name: `wslgo-break LOCATION [goroutine N] [if COND]`.
    C:\\work\\hello\\main.go:12, /mnt/c/work/hello/main.go:12, hello/main.go:12,
    main.(*T).M, pkg.F[...], runtime·breakpoint. Files go through the path map; when the
    location cannot be placed, the wslgo-why explanation says why. `goroutine N` stops only
    in goroutine N (the condition `$goid == N`)."""


def wslgo_break(arg: str) -> None:
    loc, cond = _split_condition(arg)
    if not loc:
        raise commands.UsageError("wslgo-break: expected LOCATION [goroutine N] [if COND]")
    loc = loc.strip("\"'")
    fl = why.file_line(loc)
    path, syms = _program()
    if fl is not None:
        w = why.explain(syms, path, fl[0], fl[1], path_map())
        if not w.resolves or w.file is None:
            gdb.write("\n".join(why.format_why(w)) + "\n")
            raise gdb.GdbError(f"wslgo-break: no breakpoint at {esc_path(loc)} (see above)")
        # gdb's linespec takes the file name from the binary inside quotes; a name that
        # cannot be quoted (a quote, a control character) goes by address instead
        if syms.info().get("dwarf") and '"' not in w.file and w.file.isprintable():
            spec = f"{w.file}:{fl[1]}"
            spec = f'"{spec}"' if " " in spec else spec
            gdb.write(breakspec.gdb_break(spec, cond))
        else:  # no DWARF (or a name gdb cannot take): the pclntab's addresses
            if syms.info().get("pie") and gdb.selected_inferior().pid == 0:
                raise gdb.GdbError(
                    f"wslgo-break: {loc} is in a PIE without DWARF: its address is known "
                    "only once the program is loaded; run `starti`, then wslgo-break again"
                )
            for a in w.addresses:
                gdb.write(breakspec.gdb_break(breakspec.address_spec(syms, a), cond))
        return
    name = loc.replace("·", ".").replace("∕", "/")
    found: list[tuple[str, int, int]] = []
    # a generic function spelled without brackets means every instantiation
    for spelling in (name, f"{name}[...]") if "[" not in name else (name,):
        try:
            found = syms.lookup(spelling)
        except _native.WslgoError:
            continue
        break
    if found:
        for fname, entry, _ in found[:8]:
            if not breakspec.gdb_knows(fname):  # stripped: the pclntab's entry, by address
                gdb.write(breakspec.gdb_break(breakspec.entry_spec(syms, entry, loc), cond))
                continue
            quoted = breakspec.quoted_name(fname)
            try:
                if quoted is None:
                    raise gdb.error("a name gdb cannot take")
                gdb.write(breakspec.gdb_break(quoted, cond))
            except gdb.error:
                gdb.write(breakspec.gdb_break(f"*{entry:#x}", cond))
        return
    before = len(gdb.breakpoints())
    try:
        out = breakspec.gdb_break(loc, cond)  # gdb's own linespec
    except gdb.error as e:
        out = str(e)
    if len(gdb.breakpoints()) > before:
        gdb.write(out)
        return
    near = _similar_functions(syms, name)
    hint = f"; functions named like it: {', '.join(near)}" if near else ""
    why_not = out.strip().splitlines()[0] if out.strip() else "gdb set nothing"
    raise gdb.GdbError(
        f"wslgo-break: no function or location {esc_path(loc)} ({esc(why_not)}){esc_path(hint)}"
    )


def _similar_functions(syms: _native.Symbols, name: str) -> list[str]:
    """Up to 5 functions whose name contains the last part of ``name``."""
    last = re.split(r"[./()*]", name.split("[", 1)[0])[-1]
    if not last:
        return []
    try:
        return syms.search(last)[:5]
    except _native.WslgoError:
        return []


# ---- wslgo-doctor ---------------------------------------------------------------------

_doc = commands.parser(
    "wslgo-doctor",
    "Check this machine and the loaded program for what breaks Go debugging under WSL.\n"
    "Prints OK / WARN / FAIL with a one-line fix per problem (same checks as `wslgo doctor`).",
)
_doc.add_argument("--json", action="store_true", help="JSON output")
_doc.add_argument("--port", type=int, default=doctor.DEFAULT_PORT, help="debugger port")


@commands.command("wslgo-doctor", _doc)
def wslgo_doctor(args: argparse.Namespace) -> None:
    prog = gdb.current_progspace().filename or None
    host = doctor.Host.current()
    host.in_gdb = True
    rows = doctor.run_checks(host, program=prog, port=args.port, pathmap=path_map())
    if args.json:
        gdb.write(json.dumps(doctor.to_json(rows)) + "\n")
    else:
        gdb.write("\n".join(doctor.format_table(rows)) + "\n")


def register() -> None:
    """Create the path-map parameter and commands (the decorated ones exist on import)."""
    if STATE.registered:
        return
    STATE.registered = True
    params.REGISTRY.params["path-map"] = _PathMapParam()
    files = gdb.COMMAND_FILES
    unset = "Unset wslgo settings: `unset wslgo path-map FROM`."
    commands.raw("unset wslgo", unset, category=files, complete=gdb.COMPLETE_NONE, prefix=True)
    commands.raw(
        "unset wslgo path-map",
        "Remove a path-map rule: `unset wslgo path-map FROM` (no FROM: every rule).",
        _unset_path_map,
        category=files,
        repeat=True,
        guarded=False,
    )
    commands.raw(
        "wslgo-break",
        _BREAK_DOC,
        lambda arg, from_tty: wslgo_break(arg),
        category=gdb.COMMAND_BREAKPOINTS,
        summary="Set a breakpoint from a Windows or WSL path or a Go name.",
    )
    try:
        path_map()
    except gdb.error as e:
        gdb.write(f"wslgo: path map: {e}\n", gdb.STDERR)
