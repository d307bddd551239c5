"""Review M2: the sites list (owners, identity numbers) is exported only by the roles allowed to,
and every list export is journaled: who, which list, how many rows."""
import json

import pytest

from desktop.store.users import authenticate
from desktop.ui import list_export
from desktop.ui.sites_page import SitesPage


def _exports(store):
    return [(r["actor"], r["op"], json.loads(r["changes"])) for r in
            store.query("SELECT actor, op, changes FROM journal WHERE entity = 'export' ORDER BY seq")]


@pytest.mark.gui
@pytest.mark.parametrize("who", [("agent001", "agent-demo"), ("gouverneur", "revue-demo")])
def test_officer_and_reviewer_cannot_export_owners(qtbot, make_session, store, tmp_path, monkeypatch, who):
    session = make_session(authenticate(store, *who))
    page = SitesPage(session)
    qtbot.addWidget(page)
    assert not page.list_export.isEnabled()
    shown = []
    monkeypatch.setattr(list_export, "show_error", lambda parent, exc, tr: shown.append(exc))
    monkeypatch.setattr(list_export.QFileDialog, "getSaveFileName",
                        lambda *a, **k: pytest.fail("no file is asked for"))
    assert list_export.export_dialog(page, page.model, session.tr, "sites", session=session, personal=True) is None
    assert shown and shown[0].code == "permission_denied"
    assert _exports(store) == [] and list(tmp_path.glob("*.xlsx")) == []


@pytest.mark.gui
def test_coordinator_exports_owners_and_it_is_journaled(qtbot, make_session, store, tmp_path, monkeypatch):
    coordinator = authenticate(store, "coordinateur", "coord-demo")
    session = make_session(coordinator)
    page = SitesPage(session)
    qtbot.addWidget(page)
    assert page.list_export.isEnabled()
    out = tmp_path / "sites.csv"
    monkeypatch.setattr(list_export.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "CSV (*.csv)"))
    monkeypatch.setattr(list_export.QMessageBox, "information", lambda *a, **k: None)
    page.list_export.click()
    assert out.exists()
    rows = store.scalar("SELECT count(*) FROM site WHERE deleted_at IS NULL")
    assert _exports(store) == [(coordinator.id, "list:sites", {"rows": rows, "personal": True})]
    cin = store.scalar("SELECT owner_id_number FROM site WHERE owner_id_kind = 'cin' LIMIT 1")
    assert cin in out.read_text(encoding="utf-8-sig")
