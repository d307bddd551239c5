"""Layering rules of DESIGN.md, checked on the source."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules(*folders: str):
    for folder in folders:
        yield from (ROOT / folder).rglob("*.py")


def test_qt_only_in_desktop_ui():
    offenders = [str(p.relative_to(ROOT)) for p in _modules("desktop", "maps", "reports")
                 if "PySide6" in _imports(p) and "desktop/ui" not in p.as_posix()]
    assert offenders == []


def test_engines_do_not_import_desktop():
    offenders = [str(p.relative_to(ROOT)) for p in _modules("maps", "reports") if "desktop" in _imports(p)]
    assert offenders == []


def test_modules_stay_small():
    big = [str(p.relative_to(ROOT)) for p in _modules("desktop", "maps", "reports")
           if len(p.read_text(encoding="utf-8").splitlines()) > 600]
    assert big == []
