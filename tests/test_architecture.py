"""Layering rules of DESIGN.md, checked on the source (imports inside functions included)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("desktop", "maps", "reports", "resources")

# Who may not import whom: a module under the key's prefix never imports one under these prefixes.
FORBIDDEN = {
    "desktop.domain": ("desktop.store", "desktop.services", "desktop.ui", "desktop.cli", "desktop.demo", "desktop.hub",
                       "PySide6"),
    "desktop.store": ("desktop.services", "desktop.ui", "desktop.cli", "desktop.demo", "desktop.hub", "PySide6"),
    "desktop.hub": ("desktop.ui", "desktop.cli", "desktop.demo", "PySide6"),
    "desktop.services": ("desktop.ui", "desktop.cli", "desktop.demo", "PySide6"),
    "desktop.demo": ("desktop.ui", "desktop.cli", "PySide6"),
    "desktop.ui": ("desktop.cli", "desktop.demo"),
    "desktop.cli": ("desktop.ui", "PySide6"),
    "maps": ("desktop", "PySide6"),
    "reports": ("desktop", "PySide6"),
}
# The documented seams: the CLI starts the GUI, `commune-police map` draws offscreen with Qt, and
# the first-start dialog offers to build the demo commune.
ALLOWED = {("desktop.cli", "desktop.ui.app"), ("desktop.cli.geo", "desktop.ui.map_export"),
           ("desktop.ui.first_start_dialog", "desktop.demo")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Every module this file imports, at module level or inside functions; ``from a import b``
    counts as ``a.b`` when that is a module of ours."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known}
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {i for i in imports(path, known) if i in known or i.split(".")[0] == "PySide6"}
            for name, path in known.items()}


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_layers():
    offenders = []
    for module, targets in graph().items():
        for layer, banned in FORBIDDEN.items():
            if not _under(module, layer):
                continue
            for target in targets:
                if any(_under(target, b) for b in banned) and (module, target) not in ALLOWED:
                    offenders.append(f"{module} -> {target}")
    assert sorted(offenders) == []


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), i.e. the import cycles.
    A package's ``__init__`` re-exporting its own modules is not a cycle of the design."""
    edges = {m: {t for t in ts if t in g and not (_under(t, m) and m != t)} for m, ts in g.items()}
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"p": {"p.x"}, "p.x": set()}) == []


def test_modules_stay_small():
    big = [str(p.relative_to(ROOT)) for p in modules().values()
           if len(p.read_text(encoding="utf-8").splitlines()) > 600]
    assert big == []


def test_qt_only_in_desktop_ui():
    offenders = [m for m, targets in graph().items()
                 if any(t.split(".")[0] == "PySide6" for t in targets) and not _under(m, "desktop.ui")]
    assert offenders == []
