"""Cases, the ladder and the register driven through the GUI."""
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtGui import QDesktopServices, QImage
from PySide6.QtWidgets import QMessageBox

from desktop.demo.cases import CERT_PASSWORD, certs_dir
from desktop.store.decisions import record_transmission
from desktop.store.users import authenticate
from desktop.ui.case_dialog import CaseDialog
from desktop.ui.document_view import PreviewDialog, sign_checked
from desktop.services.paperwork import decision_pdf
from reports.raster import pdf_pages_png
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
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    steps = dialog.steps.rowCount()
    # The demo's notices were never signed and delivered: a closure cannot be reached yet.
    dialog.advance_button.click()
    assert "notifiée" in warnings[-1] and dialog.steps.rowCount() == steps and not dialog.draft_button.isEnabled()
    # A case whose decision step is open (reached before the rule) drafts its closure.
    case_id = store.scalar("SELECT s.case_id FROM case_step s JOIN case_file c ON c.id = s.case_id WHERE s.status = 'open'"
                           " AND s.step = 'decision' AND c.field_code = 'hygiene' LIMIT 1")
    dialog = CaseDialog(president_session, case_id)
    qtbot.addWidget(dialog)
    assert dialog.steps.rowCount() >= 2 and dialog.draft_button.isEnabled()
    # The button names the document the step calls for.
    assert dialog.draft_button.text().startswith("Rédiger : Arrêté") and "(Arrêté)" in dialog.draft_button.toolTip()
    decision_id = dialog.do_draft()
    assert decision_id and dialog.documents.count() >= 1
    preview = PreviewDialog(president_session, decision_id)
    qtbot.addWidget(preview)
    # The preview is the PDF itself: its pages, drawn from the same bytes.
    pdf = decision_pdf(president_session.commune, decision_id)[1]
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "قرار" in text or "Arrêté" in text
    expected = pdf_pages_png(pdf)
    assert len(preview.pages) == len(expected) >= 1
    first = QImage.fromData(expected[0], "PNG")
    assert preview.pages[0].pixmap().toImage().convertToFormat(first.format()) == first
    p12 = certs_dir(demo_path) / "president.p12"
    assert sign_checked(dialog, president_session, decision_id, p12, "wrong") is None
    assert "incorrect" in warnings[-1]
    # The case went to a decision without a signed and delivered notice: the closure cites facts no
    # event recorded, so the president sees why he cannot sign and the draft stays a draft.
    assert sign_checked(dialog, president_session, decision_id, p12, CERT_PASSWORD) is None
    assert "Signature impossible" in warnings[-1] and "notice_date" in warnings[-1]
    assert store.scalar("SELECT status FROM decision WHERE id = ?", (decision_id,)) == "draft"


def test_case_dialog_signs_a_notice(qtbot, president_session, store, demo_path, catalogue, monkeypatch):
    doubtful = [v.code for f in catalogue.fields for v in f.violations
                if any(not b.confirmed or not catalogue.texts[b.text].confirmed for b in v.basis)]
    marks = ",".join("?" * len(doubtful))
    case_id = store.scalar("SELECT s.case_id FROM case_step s WHERE s.status = 'open' AND s.step = 'formal_notice'"
                           " AND NOT EXISTS (SELECT 1 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id"
                           f" WHERE cf.case_id = s.case_id AND f.violation_code IN ({marks})) LIMIT 1", tuple(doubtful))
    dialog = CaseDialog(president_session, case_id)
    qtbot.addWidget(dialog)
    decision_id = dialog.do_draft()
    pdf = decision_pdf(president_session.commune, decision_id)[1]  # the draft, rendered
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: pytest.fail(a[2]))
    number = sign_checked(dialog, president_session, decision_id, certs_dir(demo_path) / "president.p12", CERT_PASSWORD)
    dialog.refresh()
    assert number and f"{number}/{date.today().year}" in dialog.documents.item(dialog.documents.count() - 1).text()
    # After signing: a confirmation with the register number, and the signed PDF one click away.
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(Path(url.toLocalFile())))
    box = dialog.signed_confirmation(decision_id, answer=False)
    qtbot.addWidget(box)
    assert f"{number}/{date.today().year}" in box.text()
    assert "aucune autorité d'horodatage" in box.informativeText()  # the demo has no TSA: said (M4)
    [opener] = [b for b in box.buttons() if b.text() == "Ouvrir le PDF"]
    opener.click()
    assert opened[0].name == f"formal_notice-{number}-{date.today().year}.pdf"
    assert opened[0].read_bytes() == decision_pdf(president_session.commune, decision_id)[1]
    assert opened[0].read_bytes() != pdf  # the signed file, not the draft


@pytest.fixture
def shown(monkeypatch):
    """The texts of the message boxes the page shows (instead of showing them)."""
    texts = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: texts.append(a[2]))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: texts.append(a[2]))
    return texts


@pytest.fixture
def register_page(qtbot, president_session, shown):
    """The 2026 register with a signed decision, not yet sent to the governor, selected;
    ``page.signed_row`` is its row."""
    page = RegisterPage(president_session)
    qtbot.addWidget(page)
    page.year.setValue(2026)
    page.signed_row = next(r for r, row in enumerate(page.model.rows)
                           if row["status"] == "signed" and not row["transmitted_on"] and not row["appeal_on"])
    page.view.selectRow(page.signed_row)
    return page


@pytest.fixture
def saved_pdf(register_page, tmp_path):
    return register_page.save_pdf(tmp_path / "d.pdf")


def test_register_page_saves_the_selected_decision(register_page, saved_pdf, tmp_path):
    assert saved_pdf == tmp_path / "d.pdf"
    assert saved_pdf.read_bytes()[:5] == b"%PDF-"
    decision_id = register_page.model.rows[register_page.signed_row]["id"]
    assert saved_pdf.read_bytes() == register_page.pdf_bytes(decision_id)


def test_register_page_verifies_a_signed_file(register_page, saved_pdf, shown):
    assert "Signature valide" in register_page.verify_file(saved_pdf)
    assert shown and "Signature valide" in shown[-1]


def test_register_page_finds_a_damaged_file(register_page, saved_pdf, shown, tmp_path):
    damaged = tmp_path / "x.pdf"
    data = bytearray(saved_pdf.read_bytes())
    data[len(data) // 2] ^= 1
    damaged.write_bytes(bytes(data))
    assert "échouée" in register_page.verify_file(damaged)
    assert "échouée" in shown[-1]


def test_register_page_records_the_transmission_to_the_governor(register_page, shown):
    register_page.transmit()
    assert shown == []
    assert register_page.model.rows[register_page.signed_row]["transmitted_on"] == date.today().isoformat()


def test_register_page_records_the_governors_receipt(register_page, president_session, store, shown):
    decision_id = register_page.model.rows[register_page.signed_row]["id"]
    record_transmission(store, president_session.user, decision_id, date.today())
    register_page.refresh()
    register_page.view.selectRow(register_page.signed_row)
    register_page.receipt("Pas d'observation")
    assert shown == []
    row = store.query("SELECT receipt_on, governor_observation FROM decision WHERE id = ?", (decision_id,))[0]
    assert row == {"receipt_on": date.today().isoformat(), "governor_observation": "Pas d'observation"}


def test_register_page_refuses_a_receipt_before_transmission(register_page, store, shown):
    decision_id = register_page.model.rows[register_page.signed_row]["id"]
    register_page.receipt("Pas d'observation")
    assert len(shown) == 1  # said, not saved
    assert store.scalar("SELECT receipt_on FROM decision WHERE id = ?", (decision_id,)) is None


def test_register_page_records_an_appeal(register_page, shown):
    register_page.appeal("Tribunal administratif de Casablanca, dossier 123/7110/2026")
    assert shown == []
    assert register_page.model.rows[register_page.signed_row]["appeal_on"] == date.today().isoformat()
