"""Cases, the ladder and the register driven through the GUI."""
from datetime import date

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop.demo.cases import CERT_PASSWORD, certs_dir
from desktop.store.users import authenticate
from desktop.ui.case_dialog import CaseDialog, PreviewDialog, sign_checked
from desktop.ui.cases_page import CasesPage
from desktop.ui.register_page import RegisterPage


@pytest.fixture
def president_session(make_session, store):
    return make_session(authenticate(store, "president", "president-demo"))


def test_cases_page_lists_open_steps_due_first_with_the_funnel(qtbot, president_session, store, qtmodeltester):
    page = CasesPage(president_session)
    qtbot.addWidget(page)
    qtmodeltester.check(page.model)
    open_steps = store.scalar("SELECT count(*) FROM case_step WHERE status = 'open'")
    while page.model.canFetchMore():
        page.model.fetchMore()
    assert page.model.rowCount() == open_steps
    dues = [page.model.index(r, 0).data() for r in range(page.model.rowCount())]
    assert dues == sorted(dues)
    assert "Dossiers d'infraction" in page.funnel.text() and "Arrêtés" in page.funnel.text()
    page.step.setCurrentIndex(page.step.findData("referral"))
    assert {page.model.index(r, 1).data() for r in range(page.model.rowCount())} == {"Saisine"}


def test_case_dialog_advances_drafts_previews_and_signs(qtbot, president_session, store, demo_path, monkeypatch):
    case_id = store.scalar("SELECT s.case_id FROM case_step s JOIN case_file c ON c.id = s.case_id WHERE s.status = 'open'"
                           " AND s.step = 'reinspection' AND c.field_code = 'hygiene' LIMIT 1")
    dialog = CaseDialog(president_session, case_id)
    qtbot.addWidget(dialog)
    assert dialog.next_step.findData("decision") >= 0 and not dialog.draft_button.isEnabled()  # a field step: no paper
    dialog.next_step.setCurrentIndex(dialog.next_step.findData("decision"))
    qtbot.keyClicks(dialog.result, "non conforme a la contre-visite")
    dialog.advance_button.click()
    assert dialog.steps.rowCount() >= 3 and dialog.draft_button.isEnabled()
    decision_id = dialog.do_draft()
    assert decision_id and dialog.documents.count() >= 1
    preview = PreviewDialog(president_session, decision_id)
    qtbot.addWidget(preview)
    assert "قرار" in preview.browser.toPlainText() and "Arrêté" in preview.browser.toPlainText()
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    p12 = certs_dir(demo_path) / "president.p12"
    assert sign_checked(dialog, president_session, decision_id, p12, "wrong") is None
    assert "incorrect" in warnings[-1]
    number = sign_checked(dialog, president_session, decision_id, p12, CERT_PASSWORD)
    dialog.refresh()
    assert number and f"{number}/{date.today().year}" in dialog.documents.item(dialog.documents.count() - 1).text()


def test_register_page_saves_and_verifies(qtbot, president_session, store, tmp_path, monkeypatch):
    page = RegisterPage(president_session)
    qtbot.addWidget(page)
    page.year.setValue(2026)
    signed_row = next(r for r in range(page.model.rowCount()) if page.model.rows[r]["status"] == "signed")
    page.view.selectRow(signed_row)
    out = page.save_pdf(tmp_path / "d.pdf")
    assert out.read_bytes()[:5] == b"%PDF-"
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: shown.append(a[2]))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    assert "Signature valide" in page.verify_file(out)
    damaged = tmp_path / "x.pdf"
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 1
    damaged.write_bytes(bytes(data))
    assert "échouée" in page.verify_file(damaged)
    page.transmit()
    assert page.model.rows[signed_row]["transmitted_on"] == date.today().isoformat()
    page.view.selectRow(signed_row)
    page.receipt("Pas d'observation")
    assert store.scalar("SELECT governor_observation FROM decision WHERE id = ?",
                        (page.model.rows[signed_row]["id"],)) == "Pas d'observation"
    page.view.selectRow(signed_row)
    page.appeal("Tribunal administratif de Casablanca, dossier 123/7110/2026")
    assert page.model.rows[signed_row]["appeal_on"] == date.today().isoformat()
