"""Go expressions gdb cannot evaluate, rewritten before it does: ``s[i]``, ``s[i:j]``,
``m[key]``, ``len(x)`` / ``cap(x)``, and ``x.field`` / ``*x`` through an interface.

gdb's Go parser reads ``m[key]`` as pointer arithmetic on a map and knows no ``len``; the
rewrite turns ``X[K]`` into ``$index(X, K)``, ``X[I:J]`` into ``$slice(X, I, J)``,
``len(X)`` into ``$len(X)`` and, in ``print``, ``I.f`` / ``*I`` of an interface ``I`` into
``$dtype(I).f`` / ``*$dtype(I)``. ``$index`` and ``$slice`` decide at run time what the
value is (:mod:`wslgo.gdb.printers.indexing`), so a breakpoint condition is rewritten once, when the
breakpoint is created, without its frame (gdb parses a condition first: ``len(x)`` is a
syntax error to it before wslgo sees it, ``$len(x)`` is not). ``print`` (and ``p``,
``inspect``) is wslgo's: it rewrites the expression and hands it to gdb's ``call``, which
prints as ``print`` does.

``watch`` / ``rwatch`` / ``awatch`` are wslgo's too (:mod:`.watch`: rewritten, then
made through ``gdb.Breakpoint``, which parses them as gdb's commands do). Where gdb evaluates
on its own (``display``, MI's ``-data-evaluate-expression`` and variable objects) nothing can
rewrite first: gdb's Go language never asks xmethods for ``operator[]`` (value_user_defined_op
asks them for C++ only: an xmethod matcher on ``[]int`` is consulted after ``set language
c++`` and never in Go), gdb 13 has no Python API for displays and no way back to a built-in
command a Python one replaces, and built-in MI commands cannot be replaced. There the
functions work as written: ``display $index(m, key)``, ``-var-create - * "$len(s)"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import gdb

from wslgo.gdb import commands, params
from wslgo.gdb.printers import containers, gotypes, indexing

_TOKEN = re.compile(
    r"""(?P<str>"(?:[^"\\]|\\.)*"|`[^`]*`)
    |(?P<quoted>'(?:[^'\\]|\\.)*')
    |(?P<name>\$?[A-Za-z_]\w*)
    |(?P<num>\d[\w.]*)
    |(?P<space>\s+)
    |(?P<op>::|->|==|!=|<=|>=|&&|\|\||<<|>>|.)""",
    re.X | re.S,
)
#: Go keywords whose ``[`` starts a type (``map[string]int``, ``[]int``), not an index.
_TYPE_WORDS = ("map", "chan", "func", "struct", "interface")
#: The convenience functions the rewrite calls.
INDEX, SLICE = "index", "slice"
_BUILTINS = {"len": "$len", "cap": "$cap"}
#: gdb 13's Go parser reads `false` as 1 (go-exp.y gives both keywords the value 1).
_BOOLS = {"false": "(0 != 0)", "true": "(0 == 0)"}

GO_EXPRESSIONS = params.boolean(
    "go-expressions",
    "Rewrite Go expressions gdb cannot evaluate before `print` and breakpoint conditions\n"
    "do: s[i], s[i:j], m[key] (maps searched without calling the program), len(x), cap(x),\n"
    "i.field and *i through an interface i.",
    "Set whether wslgo rewrites Go index, slice, len/cap and interface expressions.",
    True,
)


@dataclass
class _Unit:
    """A postfix expression being read: its text, and whether evaluating it calls nothing."""

    text: str
    pure: bool = True
    parts: list[str] = field(default_factory=list)


class Rewriter:
    """One rewrite; ``evaluate``: look at values (interfaces) in the selected frame."""

    def __init__(self, text: str, evaluate: bool) -> None:
        self.toks = [(m.lastgroup or "op", m.group()) for m in _TOKEN.finditer(text)]
        self.pos = 0
        self.evaluate = evaluate

    def run(self) -> str:
        text, _pure, _parts = self._seq(None)
        return text

    def _peek(self) -> tuple[str, str] | None:
        i = self.pos
        while i < len(self.toks) and self.toks[i][0] == "space":
            i += 1
        return self.toks[i] if i < len(self.toks) else None

    def _skip_space(self) -> str:
        out = ""
        while self.pos < len(self.toks) and self.toks[self.pos][0] == "space":
            out += self.toks[self.pos][1]
            self.pos += 1
        return out

    def _seq(self, close: str | None) -> tuple[str, bool, list[str]]:
        """Tokens up to ``close`` (consumed): (text, pure, the text split at top-level
        ``:`` for a subscript)."""
        out: list[str] = []
        parts: list[str] = []
        pure = True
        unit: _Unit | None = None
        prev_sig = ""  # the last significant token emitted before the unit
        while self.pos < len(self.toks):
            kind, tok = self.toks[self.pos]
            if tok == close and kind == "op":
                self.pos += 1
                break
            if kind in ("name", "quoted", "str", "num") or (kind == "op" and tok == "("):
                if unit is not None:  # two atoms in a row: not an expression we read
                    out.append(self._close(unit, prev_sig))
                    pure = pure and unit.pure
                    prev_sig, unit = "atom", None
                unit = self._atom(kind, tok, prev_sig)
                continue
            if unit is not None and kind == "op" and tok in ("[", "."):
                self._postfix(unit, tok)
                continue
            if unit is not None:
                out.append(self._close(unit, prev_sig))
                pure = pure and unit.pure
                prev_sig, unit = "atom", None
            self.pos += 1
            if kind == "op" and tok == ":" and close == "]":
                parts.append("".join(out))
                out = []
                continue
            if kind == "op" and tok in ("[", "("):  # a type ([]int) or a group without a unit
                inner, ipure, _ = self._seq("]" if tok == "[" else ")")
                out.append(tok + inner + ("]" if tok == "[" else ")"))
                pure = pure and ipure
                prev_sig = "atom"
                continue
            out.append(tok)
            if kind != "space":
                prev_sig = tok
        if unit is not None:
            out.append(self._close(unit, prev_sig))
            pure = pure and unit.pure
        parts.append("".join(out))
        return "".join(parts if close != "]" else out), pure, parts

    def _atom(self, kind: str, tok: str, prev_sig: str) -> _Unit:
        self.pos += 1
        if kind == "op":  # a parenthesised expression
            inner, ipure, _ = self._seq(")")
            return _Unit(f"({inner})", ipure)
        nxt = self._peek()
        if kind == "name" and tok in _BUILTINS and prev_sig != "." and nxt == ("op", "("):
            tok = _BUILTINS[tok]
        if kind == "name" and tok in _BOOLS and prev_sig != ".":
            tok = _BOOLS[tok]
        unit = _Unit(tok)
        if kind == "name" and nxt == ("op", "(") and tok not in _TYPE_WORDS:
            space = self._skip_space()
            self.pos += 1
            inner, ipure, _ = self._seq(")")
            unit.text += f"{space}({inner})"
            unit.pure = ipure and tok.startswith("$")
        return unit

    def _postfix(self, unit: _Unit, tok: str) -> None:
        self.pos += 1
        if tok == ".":
            nxt = self._peek()
            if nxt is None or nxt[0] != "name":
                unit.text += "."
                return
            self._skip_space()
            self.pos += 1
            if self._is_interface(unit):
                unit.text = f"$dtype({unit.text})"
            unit.text += "." + nxt[1]
            return
        if unit.text in _TYPE_WORDS:  # map[K]V, chan[...]: a type, not an index
            inner, _, _ = self._seq("]")
            unit.text += f"[{inner}]"
            return
        _, ipure, parts = self._seq("]")
        unit.pure = unit.pure and ipure
        if len(parts) == 1:
            unit.text = f"${INDEX}({unit.text}, {parts[0].strip()})"
        elif len(parts) == 2:
            lo, hi = (p.strip() or None for p in parts)
            args = [unit.text, lo or "0"] + ([hi] if hi else [])
            unit.text = f"${SLICE}({', '.join(args)})"
        else:  # s[i:j:k]: a full slice expression, not rewritten
            unit.text += "[" + ":".join(parts) + "]"
        # after a call, further postfix operators apply to the result
        while (nxt := self._peek()) is not None and nxt == ("op", "("):
            self._skip_space()
            self.pos += 1
            inner, _, _ = self._seq(")")
            unit.text += f"({inner})"
            unit.pure = False

    def _close(self, unit: _Unit, prev_sig: str) -> str:
        """The unit's text; ``*I`` of an interface I reads through it."""
        if prev_sig == "*" and self._is_interface(unit):
            return f"$dtype({unit.text})"
        return unit.text

    def _is_interface(self, unit: _Unit) -> bool:
        if not (self.evaluate and unit.pure):
            return False
        try:
            return gotypes.is_interface(gdb.parse_and_eval(unit.text).type)
        except gdb.error:
            return False


def rewrite(expr: str, evaluate: bool = True) -> str:
    """``expr`` with its Go index, slice, len/cap and interface expressions rewritten
    (unchanged when there are none, or when ``set wslgo go-expressions off``)."""
    if not GO_EXPRESSIONS.value or not re.search(r"[\[.]|\b(?:len|cap|false|true)\b", expr):
        return expr
    return Rewriter(expr, evaluate).run()


_OPTIONS_END = re.compile(r"(?:^|\s)--(?:\s|$)")
_FORMAT = re.compile(r"^(\s*/\S*\s*)")


def split_print_args(arg: str) -> tuple[str, str, str]:
    """``print``'s argument ``[OPTIONS --] [/FMT] EXP`` as (options, /FMT, EXP); EXP is ""
    when gdb's options cannot be split off safely (no ``--``)."""
    opts, rest = "", arg
    if arg.lstrip().startswith("-"):
        m = _OPTIONS_END.search(arg)
        if m is None:
            return arg, "", ""  # options without `--`: gdb reads them
        opts, rest = arg[: m.end()], arg[m.end() :]
    fmt = ""
    m = _FORMAT.match(rest)
    if m is not None:
        fmt, rest = m.group(1), rest[m.end() :]
    return opts, fmt, rest


def rewrite_print_args(arg: str) -> str:
    """``print``'s argument with EXP rewritten."""
    opts, fmt, expr = split_print_args(arg)
    return opts + fmt + rewrite(expr)


def _format_letter(fmt: str) -> str | None:
    letters = [c for c in fmt.strip().lstrip("/") if c in _FORMAT_LETTERS]
    return letters[-1] if letters else None


#: print's format letters (size letters b h w g are ignored by print).
_FORMAT_LETTERS = "xduotacfszir"


def _print_formatted(opts: str, fmt: str, expr: str, from_tty: bool) -> bool:
    """``print/FMT`` of a Go map or chan: gdb formats a pointer itself and never asks the
    printer, so wslgo prints the value with the format applied to its elements, as gdb does
    for a slice. False when ``expr`` is something else (gdb prints it then)."""
    letter = _format_letter(fmt)
    if opts or letter is None or not expr.strip():
        return False
    value = gdb.parse_and_eval(expr)
    if not containers.is_map_or_chan(value.type):
        gdb.set_convenience_variable(PRINT_VAR, value)  # evaluated once: gdb prints it
        try:
            gdb.execute(f"call {fmt}${PRINT_VAR}", from_tty)
        finally:
            gdb.set_convenience_variable(PRINT_VAR, None)
        return True
    n = gdb.add_history(value)
    gdb.write(f"${n} = {value.format_string(format=letter)}\n")
    return True


PY_ERROR = "Error occurred in Python: "
#: The convenience variable a formatted ``print`` hands to ``call``.
PRINT_VAR = "_wslgo_print"


def _is_void(expr: str) -> bool:
    """``expr``'s type is void (`whatis` evaluates without side effects)."""
    try:
        return str(gdb.execute(f"whatis {expr}", to_string=True)).strip() == "type = void"
    except gdb.error:
        return False


PRINT_DOC = """Print value of expression EXP (gdb's `print`, with Go expressions).

    Usage: print [[OPTION]... --] [/FMT] [EXP]
    Go index, slice and map expressions (s[i], s[i:j], m[key]), len(x), cap(x) and fields
    through an interface (err.s) are rewritten for gdb first (`set wslgo go-expressions`);
    then gdb's `call` prints the value as `print` does. `help call` lists the options."""


def print_command(arg: str, from_tty: bool) -> None:
    """wslgo's ``print`` (registered in gdb's place by :func:`register`)."""
    try:
        opts, fmt, expr = split_print_args(arg)
        expr = rewrite(expr)
    except KeyboardInterrupt:
        raise gdb.GdbError("Quit") from None
    try:
        if fmt and _print_formatted(opts, fmt, expr, from_tty):
            return
        if expr.strip() and _is_void(expr):  # `call` prints nothing for void; print does
            gdb.write(f"${gdb.add_history(gdb.parse_and_eval(expr))} = void\n")
            return
        gdb.execute(f"call {opts}{fmt}{expr}", from_tty)
    except gdb.error as e:
        # $index's own errors are the user's: no "Error occurred in Python" in front
        msg = str(e)
        raise gdb.GdbError(msg.removeprefix(PY_ERROR)) from None
    except KeyboardInterrupt:
        # Ctrl-C while gdb runs `call` reaches Python as KeyboardInterrupt: gdb's own
        # "Quit", as its built-in print would say, not a "Python Exception" line
        raise gdb.GdbError("Quit") from None


class Index(gdb.Function):
    """$index(x, key): x[key] as Go evaluates it: a slice, string or array element
    (bounds checked) or a map's element (found without calling the program)."""

    def __init__(self) -> None:
        super().__init__(INDEX)

    def invoke(self, v: gdb.Value, key: gdb.Value) -> gdb.Value:
        return indexing.index(v, key)


class Slice(gdb.Function):
    """$slice(x, lo[, hi]): x[lo:hi] of a Go slice, string or array."""

    def __init__(self) -> None:
        super().__init__(SLICE)

    def invoke(self, v: gdb.Value, lo: gdb.Value, hi: gdb.Value | None = None) -> gdb.Value:
        return indexing.slice_of(v, lo, hi)


def rewrite_condition(bp: gdb.Breakpoint) -> None:
    """Go index, slice and len/cap expressions in ``bp``'s condition are rewritten (no
    frame is looked at: ``$index`` decides when the condition is evaluated)."""
    cond = bp.condition
    if not cond:
        return
    new = rewrite(cond, evaluate=False)
    if new != cond:
        bp.condition = new


class Registered:
    """The command and functions :func:`register` made (kept alive here)."""

    def __init__(self) -> None:
        self.objects: list[object] = []


REGISTERED = Registered()


def register() -> None:
    """wslgo's ``print``, ``$index`` and ``$slice`` (once per gdb session)."""
    if not REGISTERED.objects:
        # gdb's own errors pass as gdb words them (not guarded); Enter repeats, as gdb's
        printer = commands.raw(
            "print",
            PRINT_DOC,
            print_command,
            category=gdb.COMMAND_DATA,
            complete=gdb.COMPLETE_EXPRESSION,
            repeat=True,
            guarded=False,
        )
        REGISTERED.objects += [printer, Index(), Slice()]
