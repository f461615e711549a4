"""The shape of python/wslgo/gdb, read with `ast`: its folders are its layers and imports go
downward only (base <- printers <- cmds <- session), no cycle, no import inside a function, no
module over 400 lines, and no test swaps a module in sys.modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "python" / "wslgo" / "gdb"
PREFIX = "wslgo.gdb"
MAX_LINES = 400
#: The layers, bottom first: the base layer is the package folder itself (""), each feature
#: layer a subpackage. A module imports only its own layer and the ones below it.
LAYERS = ("", "printers", "cmds", "session")
#: The package's own __init__ is the entry point (it imports session.events to offer setup).
ENTRY = "__init__"


def modules() -> dict[str, Path]:
    """Every module by its dotted name under wslgo.gdb ("program", "cmds.bt", "cmds.__init__")."""
    out = {}
    for p in sorted(PACKAGE.rglob("*.py")):
        out[".".join(p.relative_to(PACKAGE).with_suffix("").parts)] = p
    return out


def layer(module: str) -> int:
    """The layer a module's folder puts it in (0 for the base layer)."""
    folder = module.rpartition(".")[0]
    assert folder in LAYERS, f"{module}: a folder that is no layer"
    return LAYERS.index(folder)


def _resolve(dotted: str, known: set[str]) -> str:
    """The module a dotted name under wslgo.gdb loads: itself, or its package's __init__."""
    if dotted in known:
        return dotted
    return f"{dotted}.__init__" if dotted else "__init__"


def _targets(node: ast.Import | ast.ImportFrom, known: set[str], here: str = "") -> list[str]:
    """The wslgo.gdb modules one import statement in module `here` loads (by dotted name)."""
    out: list[str] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == PREFIX or alias.name.startswith(PREFIX + "."):
                out.append(_resolve(alias.name[len(PREFIX) + 1 :], known))
        return out
    base = node.module or ""
    if node.level:  # relative: from . import x / from .x import y
        package = here.split(".")[: -node.level] if "." in here else []
        base = ".".join([PREFIX, *package] + ([base] if base else []))
    if base == PREFIX or base.startswith(PREFIX + "."):
        inner = base[len(PREFIX) + 1 :]
        for alias in node.names:
            name = f"{inner}.{alias.name}" if inner else alias.name
            out.append(name if name in known else _resolve(inner, known))
    return out


def nested_imports(tree: ast.Module) -> list[int]:
    """Lines of imports that are not module-level statements (in a function or class)."""
    top: set[int] = set()

    def collect(stmts: list[ast.stmt]) -> None:
        for s in stmts:
            if isinstance(s, (ast.Import, ast.ImportFrom)):
                top.add(id(s))
            elif isinstance(s, (ast.If, ast.Try, ast.With)):
                collect(s.body)
                collect(getattr(s, "orelse", []))
                collect(getattr(s, "finalbody", []))
                for h in getattr(s, "handlers", []):
                    collect(h.body)

    collect(tree.body)
    return [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in top
    ]


def graph() -> tuple[dict[str, set[str]], list[str]]:
    """Import edges between the package's modules, and every import not at module level."""
    mods = modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    nested: list[str] = []
    for name, path in mods.items():
        tree = ast.parse(path.read_text(), str(path))
        nested += [f"{name}:{line}" for line in nested_imports(tree)]
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            edges[name].update(t for t in _targets(node, set(mods), name) if t != name)
    return edges, nested


def upward(edges: dict[str, set[str]]) -> dict[str, list[str]]:
    """Imports that reach a higher layer than their module's (the entry point excepted), and
    any import made by a layer's __init__ (a layer's package only names its modules)."""
    found = {}
    for m, targets in edges.items():
        if m == ENTRY:
            continue
        up = sorted(
            t for t in targets if m.endswith(".__init__") or t == ENTRY or layer(t) > layer(m)
        )
        if up:
            found[m] = up
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (each reported once, by its entry point)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(edges.get(m, ())):
            if state.get(n) == 1:
                found.append(stack[stack.index(n) :] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    return found


def test_checker_sees_a_cycle_and_a_nested_import() -> None:
    """The checker itself fails on what it must catch (a checker that cannot fail is no test)."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    src = "import os\nif os:\n    import re\ndef f():\n    from wslgo.gdb import program\n"
    tree = ast.parse(src)
    assert nested_imports(tree) == [5]
    fn = tree.body[2]
    assert isinstance(fn, ast.FunctionDef) and isinstance(fn.body[0], ast.ImportFrom)
    assert _targets(fn.body[0], {"program"}) == ["program"]
    assert _targets(ast.parse("from wslgo.gdb import setup").body[0], {"program"}) == ["__init__"]
    known = {"program", "cmds.__init__", "cmds.bt", "session.stops"}
    two = ast.parse("from wslgo.gdb.cmds import bt\nfrom ..session import stops").body
    assert _targets(two[0], known, "program") == ["cmds.bt"]
    assert _targets(two[1], known, "cmds.bt") == ["session.stops"]
    assert upward({"program": {"cmds.bt"}, "cmds.bt": {"program"}}) == {"program": ["cmds.bt"]}
    assert upward({"session.stops": {"cmds.bt"}, "cmds.bt": {"session.stops"}}) == {
        "cmds.bt": ["session.stops"]
    }


def test_no_import_cycle() -> None:
    edges, _ = graph()
    assert edges["program"], "the graph is empty: the checker reads nothing"
    assert cycles(edges) == [], cycles(edges)


def test_no_import_inside_a_function() -> None:
    _, nested = graph()
    assert nested == [], f"imports inside functions or classes: {nested}"


def test_no_module_over_400_lines() -> None:
    long = {
        n: len(p.read_text().splitlines())
        for n, p in modules().items()
        if len(p.read_text().splitlines()) > MAX_LINES
    }
    assert long == {}, long


def test_imports_go_down_the_folder_layers() -> None:
    """base <- printers <- cmds <- session: a base module imports no subpackage, a printer no
    command or session feature, a command no session feature."""
    edges, _ = graph()
    assert {layer(m) for m in edges} == set(range(len(LAYERS))), "a layer folder is empty"
    assert upward(edges) == {}, f"imports that go up a layer: {upward(edges)}"


def test_only_events_wires_into_gdb() -> None:
    """gdb.events.*.connect, unwinder and frame-filter registration live in session/events.py."""
    wiring = re.compile(r"gdb\.events\.\w+\.connect|register_unwinder|gdb\.frame_filters\[")
    offenders = [
        n for n, p in modules().items() if n != "session.events" and wiring.search(p.read_text())
    ]
    assert offenders == [], offenders


def test_no_test_swaps_modules() -> None:
    swap = re.compile(r"sys\.modules\[[^\]]*\]\s*=")
    offenders = [
        p.name
        for p in sorted((ROOT / "tests").rglob("*.py"))
        if p.name != Path(__file__).name and swap.search(p.read_text())
    ]
    assert offenders == [], offenders


def test_state_lives_in_objects() -> None:
    """No `global` rebinding and no module-level list (a mutable cell like `_x = [False]`):
    state belongs to an explicit object (program.SESSION, breakpoints.ARMED, ...)."""
    found = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(), str(path))
        found += [f"{name}:{n.lineno} global" for n in ast.walk(tree) if isinstance(n, ast.Global)]
        for stmt in tree.body:
            value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
            if isinstance(value, ast.List):
                found.append(f"{name}:{stmt.lineno} module-level list")
    assert found == [], found


def test_runtime_symbol_names_live_in_gofacts() -> None:
    """A string that is exactly a runtime symbol name ("runtime.main") appears only in
    gofacts.py: the gdb layer names runtime functions and variables in one place."""
    name = re.compile(r"^runtime(/\w+)?\.\w+$")
    found = []
    for mod, path in modules().items():
        if mod == "gofacts":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if name.match(node.value):
                    found.append(f"{mod}:{node.lineno} {node.value}")
    assert found == [], found
    facts = ast.parse((PACKAGE / "gofacts.py").read_text())
    assert any(
        isinstance(n, ast.Constant) and n.value == "runtime.main" for n in ast.walk(facts)
    ), "the check reads nothing"


def _command_classes(tree: ast.AST) -> list[int]:
    """Lines that subclass gdb.Command: a class statement or a type(..., (gdb.Command,), ...)."""

    def is_command(n: ast.expr) -> bool:
        return ast.unparse(n) == "gdb.Command"

    found = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.ClassDef) and any(map(is_command, n.bases))
    ]
    found += [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Tuple) and any(map(is_command, n.elts))
    ]
    return sorted(found)


def test_commands_register_through_the_helper() -> None:
    """Every gdb command is made by commands.py (`command`, or `raw` for prefixes and lines
    in gdb's own syntax), and only it writes the `help wslgo` table."""
    src = "class A(gdb.Command):\n    pass\nB = type('B', (gdb.Command,), {})\n"
    assert _command_classes(ast.parse(src)) == [1, 3], "the check reads nothing"
    found = []
    for name, path in modules().items():
        if name == "commands":
            continue
        text = path.read_text()
        found += [f"{name}:{line}" for line in _command_classes(ast.parse(text, str(path)))]
        found += [
            f"{name}: writes TABLE.summaries" for _ in re.findall(r"TABLE\.summaries\[", text)
        ]
    assert found == [], found
    assert _command_classes(ast.parse((PACKAGE / "commands.py").read_text())), (
        "the helper makes none"
    )
