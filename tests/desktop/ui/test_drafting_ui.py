"""Drafting a document in the GUI: the free parts edited beside the document itself, the preview
and the signed PDF carrying the same words, and the ladder moving on after the signature."""
import re
import subprocess
from datetime import date

import pytest
from PySide6.QtWidgets import QMessageBox

import desktop.ui.draft_dialog as draft_module
from desktop.demo.cases import CERT_PASSWORD, certs_dir
from desktop.services.case_facts import record_notice_delivery
from desktop.services.paperwork import decision_pdf
from desktop.store.cases import current_step
from desktop.store.users import authenticate
from desktop.ui.case_dialog import CaseDialog
from desktop.ui.document_view import sign_checked

pytestmark = pytest.mark.gui


def text_of(pdf: bytes) -> str:
    """The PDF's text as pdftotext reads it, without the direction marks it adds, one space apart."""
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(text.translate({c: None for c in range(0x202A, 0x202F)}).split())


@pytest.fixture
def president_session(make_session, store):
    return make_session(authenticate(store, "president", "president-demo"))


@pytest.fixture
def notice_case(store, catalogue):
    """An open formal-notice step whose violations cite only confirmed bases (signable)."""
    doubtful = [v.code for f in catalogue.fields for v in f.violations
                if any(not b.confirmed or not catalogue.texts[b.text].confirmed for b in v.basis)]
    marks = ",".join("?" * len(doubtful))
    return store.scalar("SELECT s.case_id FROM case_step s JOIN case_file c ON c.id = s.case_id"
                        " WHERE s.status = 'open' AND s.step = 'formal_notice' AND c.field_code != 'public_domain'"
                        " AND NOT EXISTS (SELECT 1 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id"
                        f" WHERE cf.case_id = s.case_id AND f.violation_code IN ({marks})) LIMIT 1", tuple(doubtful))


def test_free_parts_edited_show_in_the_preview_and_in_the_signed_pdf(qtbot, president_session, store, demo_path,
                                                                      notice_case, monkeypatch):
    case = CaseDialog(president_session, notice_case)
    qtbot.addWidget(case)
    decision_id = case.do_draft()
    assert case.step_draft() == decision_id  # the button reopens this draft rather than drafting a second
    dialog = case.edit_draft(decision_id)
    qtbot.addWidget(dialog)
    # Which document the step calls for, and what may not be typed.
    assert dialog.heading.text() == "<b>L'étape « Mise en demeure » appelle : Mise en demeure</b>"
    assert "visas" in dialog.findChild(type(dialog.heading), "draft_note").text()
    # typed as a user would (keyClicks cannot send non-ASCII letters: the text is inserted)
    dialog.texts["considerant_fr"].insertPlainText("Considérant que la cuisine donne sur la voie publique ;")
    dialog.texts["observations_ar"].insertPlainText("يرجى الاتصال بمكتب حفظ الصحة")
    dialog.deadline.setValue(12)
    assert dialog.state.text() == "Modifications non enregistrées : l'aperçu se met à jour, elles sont enregistrées à la signature."
    qtbot.waitUntil(lambda: "donne sur la voie publique" in text_of(dialog.pdf), timeout=5000)
    preview = text_of(dialog.pdf)
    assert "يرجى الاتصال بمكتب حفظ الصحة" in preview, preview
    assert "12 jours" in preview, preview
    assert re.search("12 ?يوما", preview)  # pdftotext may glue the number to the word
    assert len(dialog.view.pages) >= 2  # the pages are drawn from those bytes
    monkeypatch.setattr(draft_module, "sign_with_dialogs", lambda parent, session, did: sign_checked(
        parent, session, did, certs_dir(demo_path) / "president.p12", CERT_PASSWORD))
    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: pytest.fail(a[2]))
    number = dialog.sign()
    assert number
    signed = text_of(decision_pdf(president_session.commune, decision_id)[1])
    assert "donne sur la voie publique" in signed and "يرجى الاتصال بمكتب حفظ الصحة" in signed
    # A confirmation with the number and what comes next: the notice's delivery, from which its
    # deadline runs (the ladder waits for it: legal review A1)
    assert f"{number}/{date.today().year}" in shown[-1] and "remettre la mise en demeure" in shown[-1]
    assert current_step(store, notice_case).step == "formal_notice"
    record_notice_delivery(president_session.commune, notice_case, date.today(), "main propre", "le gérant")
    step = current_step(store, notice_case)
    # due once the 12 days given have run from delivery, plus the re-inspection's own 5 days
    assert step.step == "reinspection" and step.due_on == date.fromordinal(date.today().toordinal() + 17).isoformat()
    case.refresh()
    assert case.steps.item(case.steps.rowCount() - 1, 0).text() == "Contre-visite"


def test_a_refused_free_part_is_said_and_the_preview_stays(qtbot, president_session, notice_case, monkeypatch):
    case = CaseDialog(president_session, notice_case)
    qtbot.addWidget(case)
    dialog = case.edit_draft(case.do_draft())
    qtbot.addWidget(dialog)
    before = dialog.pdf
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    dialog.texts["observations_fr"].setPlainText("voir \u202eci-joint")
    assert dialog.update_preview() is False and "U+202E" in warnings[-1] and dialog.pdf == before
    assert dialog.save() is False
