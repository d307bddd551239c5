"""Test configuration: Qt offscreen, user folders redirected, a small demo commune and an empty
commune shared (each test gets its own copy)."""
import os
import shutil
import tempfile

# Set before anything imports Qt or platformdirs.
os.environ["QT_QPA_PLATFORM"] = "offscreen"
_home = tempfile.mkdtemp(prefix="commune-police-tests-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_home, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_home, "data")
os.environ["XDG_CACHE_HOME"] = os.path.join(_home, "cache")

from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

DEMO_END = datetime(2026, 6, 30, 18, 0, tzinfo=timezone.utc)


_FIRST_FONT = None  # the application's font before any test changed it


@pytest.fixture(autouse=True)
def _fresh_application_state():
    """Each test starts from the same QApplication: left to right, its first font, no application-wide wheel guard
    (a test that opens the main window, or logs in in Arabic, changes both for the whole process),
    and the interpreter's own exception hook: the application's shows a modal crash dialog, which
    in a later test would wait forever for a click (a timeout cannot interrupt Qt's modal loop)."""
    import sys
    if "PySide6.QtWidgets" in sys.modules:
        _guard_message_boxes()
    hook = sys.excepthook
    yield
    sys.excepthook = hook

    from desktop.store import keys
    keys._unlocked.clear()  # the data keys a test unwrapped (one process runs many tests)
    if "PySide6.QtWidgets" not in sys.modules:  # a test without Qt never imports it
        return
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    if app is None:
        return
    _guard_message_boxes()
    # Work this test left on the thread pool reports now, not in the next test's setup (where
    # pytest-qt processes events and the test's own message-box patches are gone).
    from PySide6.QtCore import QThreadPool
    QThreadPool.globalInstance().waitForDone(30_000)
    app.processEvents()
    app.setLayoutDirection(Qt.LeftToRight)
    global _FIRST_FONT
    if _FIRST_FONT is None:
        _FIRST_FONT = app.font()
    elif app.font() != _FIRST_FONT:  # a test that logged in in Arabic set the application's font
        app.setFont(_FIRST_FONT)
    guard = getattr(app, "_wheel_guard", None)
    if guard is not None:
        app.removeEventFilter(guard)
        del app._wheel_guard


def _guard_message_boxes() -> None:
    """A message box nobody expected never opens in a headless run: its modal loop would wait
    forever for a click (CI's time limit ran out on one) or run on a window being torn down (a
    worker aborted on it). It is printed instead, and tests that expect a box still patch
    ``QMessageBox.warning`` themselves (their patch is undone back to this guard)."""
    import sys
    from PySide6.QtWidgets import QMessageBox
    if getattr(QMessageBox, "_headless_guard", False):
        return

    def printed(kind: str, answer):
        def box(parent, title, text, *args, **kwargs):
            print(f"[headless] unexpected QMessageBox.{kind}: {title}: {text}", file=sys.stderr)
            return answer
        return staticmethod(box)
    QMessageBox.warning = printed("warning", QMessageBox.StandardButton.Ok)
    QMessageBox.critical = printed("critical", QMessageBox.StandardButton.Ok)
    QMessageBox.information = printed("information", QMessageBox.StandardButton.Ok)
    QMessageBox.question = printed("question", QMessageBox.StandardButton.NoButton)
    QMessageBox._headless_guard = True


@pytest.fixture(scope="session")
def catalogue():
    from desktop.domain.catalogue import load_catalogue
    return load_catalogue()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, catalogue) -> Path:
    """A demo commune built once per run (3,000 inspections); tests get copies."""
    from desktop.demo import build_demo
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    build_demo(path, inspections=3000, seed=7, catalogue=catalogue, end=DEMO_END)
    return path


@pytest.fixture
def demo_path(demo_template, tmp_path) -> Path:
    """A copy of the demo: its database and the folders beside it (attachments, certificates)."""
    target = tmp_path / "commune.sqlite"
    shutil.copy(demo_template, target)
    for suffix in (".files", ".certs"):
        source = demo_template.with_name(demo_template.name + suffix)
        if source.exists():
            shutil.copytree(source, target.with_name(target.name + suffix))
    return target


@pytest.fixture(scope="session")
def empty_commune_template(tmp_path_factory) -> Path:
    """An empty commune built once per run: the schema, the commune and its administrator."""
    from tests.builders import new_commune
    path = tmp_path_factory.mktemp("empty") / "empty.sqlite"
    new_commune(path)
    return path


@pytest.fixture
def empty_commune_path(empty_commune_template, tmp_path) -> Path:
    """A copy of the empty commune (tests add the rows they need with tests/builders.py)."""
    target = tmp_path / "empty.sqlite"
    shutil.copy(empty_commune_template, target)
    return target


@pytest.fixture
def empty_commune(empty_commune_path):
    """The empty commune, opened."""
    from desktop.store.db import open_store
    s = open_store(empty_commune_path)
    yield s
    s.close()


@pytest.fixture
def store(demo_path):
    from desktop.store.db import open_store
    s = open_store(demo_path)
    yield s
    s.close()


@pytest.fixture
def officer(store):
    from desktop.store.users import authenticate
    return authenticate(store, "agent001", "agent-demo")


@pytest.fixture
def valid_input(store, officer):
    """An inspection that passes every rule, on an existing site."""
    from desktop.domain.model import FindingInput, InspectionInput
    site = store.query("SELECT id, district_id, lon, lat FROM site LIMIT 1")[0]
    colleague = store.query("SELECT id FROM [user] WHERE role = 'officer' AND id != ? LIMIT 1",
                            (officer.id,))[0]["id"]
    return InspectionInput(
        field_code="public_domain", site_id=site["id"], inspected_at="2026-06-01T10:30:00Z",
        officer_ids=[officer.id, colleague], lon=site["lon"], lat=site["lat"],
        district_id=site["district_id"], checklist={"DOM-C01": "no", "DOM-C02": "yes"},
        findings=[FindingInput("DOM-01", 12.5, "terrasse")], notes="visite test", outcome="violations",
        origin_type="programme", origin_ref="PRG-2026-S22")


from tests.pg import pg_url  # noqa: E402,F401 - the PostgreSQL fixture, for every test
