"""The facts signing needs, recorded in the case dialog's facts panel, and the arrondissement of an
art. 236 delegation chosen in the delegation form (pytest-qt, real widgets, the demo commune)."""
import os
import subprocess
from datetime import date, timedelta

import pytest
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QListWidget, QMessageBox

from desktop.demo.cases import CERT_PASSWORD, certs_dir
from desktop.services.paperwork import draft_for_current_step, sign_decision
from desktop.store.cases import advance, current_step
from desktop.store.decisions import signed_pdf
from desktop.store.users import authenticate
from desktop.ui.admin_dialog import AdminDialog
from desktop.ui.case_dialog import CaseDialog
from tests.builders import make_case, make_user

pytestmark = pytest.mark.gui


@pytest.fixture
def president_session(make_session, store):
    return make_session(authenticate(store, "president", "president-demo"))


def test_the_facts_panel_records_the_notice_delivery_and_the_permit_then_the_withdrawal_signs(
        qtbot, president_session, store, demo_path, catalogue, monkeypatch, tmp_path):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    session = president_session
    p12 = certs_dir(demo_path) / "president.p12"
    case_id = make_case(store, make_user(store, "officer"), catalogue, ["DOM-03"])  # a withdrawal after a notice
    sign_decision(session.commune, draft_for_current_step(session.commune, case_id), p12, CERT_PASSWORD)
    dialog = CaseDialog(session, case_id)
    qtbot.addWidget(dialog)
    panel = dialog.facts_panel
    assert "non notifiée" in panel.state.text() and not panel.deliver.isHidden()
    delivered = date.today() - timedelta(days=40)
    panel.delivered_on.setDate(QDate(delivered.year, delivered.month, delivered.day))
    panel.receiver.setText("le gérant")
    panel.deliver.click()
    assert not warnings, warnings
    assert store.scalar("SELECT delivered_on FROM decision WHERE case_id = ? AND kind = 'formal_notice'", (case_id,)) \
        == delivered.isoformat()
    assert "notifiée le" in panel.state.text() and panel.deliver.isHidden()
    assert "le gérant" == store.scalar("SELECT delivery_receiver FROM decision WHERE case_id = ?", (case_id,))
    panel.deliver.click()  # twice: refused, said why
    assert "déjà enregistrée" in warnings.pop()
    # the delivery moved the ladder on: the re-inspection, due once the notice's deadline has run
    # from delivery; then the decision step calls for the withdrawal and its permit
    assert current_step(store, case_id).step == "reinspection"
    advance(store, session.user, case_id, "decision", "non conforme", on=delivered + timedelta(days=31), catalogue=catalogue)
    dialog.refresh()
    assert not panel.edits["permit_ref"].isHidden() and not panel.edits["permit_date"].isHidden()
    assert "N° de l'autorisation retirée" in panel.state.text()
    panel.edits["permit_ref"].setText("88/2025")
    panel.edits["permit_date"].setDate(QDate(2025, 4, 7))
    panel.save.click()
    assert not warnings, warnings
    assert "Tous les faits que cite le document sont enregistrés" in panel.state.text()
    withdrawal = draft_for_current_step(session.commune, case_id)
    sign_decision(session.commune, withdrawal, p12, CERT_PASSWORD)
    path = tmp_path / "withdrawal.pdf"
    path.write_bytes(signed_pdf(store, withdrawal))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "88/2025" in text and "07/04/2025" in text and delivered.strftime("%d/%m/%Y") in text
    dialog.resize(900, 900)
    dialog.show()
    dialog.grab().save(str(Path(os.environ.get("GRAB_DIR", tmp_path)) / "case_facts.png"))  # to look at


def test_a_fact_with_a_bad_value_is_refused_in_the_panel(qtbot, president_session, store, catalogue, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    case_id = make_case(store, make_user(store, "officer"), catalogue, ["RUIBUI-01"])  # a ruin order: the expertise
    dialog = CaseDialog(president_session, case_id)
    qtbot.addWidget(dialog)
    panel = dialog.facts_panel
    assert not panel.edits["expertise_ref"].isHidden() and panel.edits["permit_ref"].isHidden()
    panel.edits["expertise_ref"].setText("   ")
    panel.save.click()  # nothing given: nothing recorded
    assert current_step(store, case_id).data.get("expertise_ref") is None
    panel.edits["expertise_ref"].setText("EXP-9")
    panel.save.click()
    assert current_step(store, case_id).data.get("expertise_ref") == "EXP-9" and not warnings


def test_an_art236_delegation_names_the_delegates_arrondissement(qtbot, make_session, store, catalogue):
    from desktop.services.accounts import set_role
    from desktop.services.commune import Commune
    admin = authenticate(store, "admin", "admin-demo")
    home_id, home_code = store.query("SELECT id, code FROM district ORDER BY name_fr LIMIT 1 OFFSET 3")[0].values()
    set_role(Commune(store.path, store, catalogue, user=admin), "coordinateur", "coordinator", home_code)
    coordinator = store.scalar("SELECT id FROM [user] WHERE username = 'coordinateur'")
    assert store.scalar("SELECT district_id FROM [user] WHERE id = ?", (coordinator,)) == home_id
    dialog = AdminDialog(make_session(authenticate(store, "president", "president-demo")))
    qtbot.addWidget(dialog)
    form, read = dialog.delegation_form()
    qtbot.addWidget(form)
    district, basis, delegate = (form.findChild(QComboBox, n) for n in
                                 ("delegation_district", "delegation_basis", "delegation_delegate"))
    delegate.setCurrentIndex(delegate.findData(coordinator))
    assert not district.isEnabled() and district.currentData() is None  # art. 103: no arrondissement
    basis.setCurrentIndex(basis.findData("art236"))
    assert district.isEnabled() and district.currentData() == home_id  # the delegate's, by default
    for name, text in (("delegation_number", "12/2026"), ("delegation_scope_ar", "النظافة"), ("delegation_scope_fr", "propreté"),
                       ("delegation_capacity_ar", "رئيس المقاطعة"), ("delegation_capacity_fr", "Président d'arrondissement")):
        form.findChild(QLineEdit, name).setText(text)
    form.findChild(QListWidget, "delegation_fields").item(3).setCheckState(Qt.Checked)
    values = read()
    assert values["district_id"] == home_id and values["basis"] == "art236"
    delegation_id = dialog.add_delegation(values)
    assert store.scalar("SELECT district_id FROM delegation WHERE id = ?", (delegation_id,)) == home_id
    form.show()
    form.grab().save(str(Path(os.environ.get("GRAB_DIR", Path(store.path).parent)) / "delegation_form.png"))
