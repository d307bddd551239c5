"""The whole path from a complaint to an inspection to an answer letter, driven through the GUI."""
import subprocess
from datetime import date, timedelta

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop.store.users import authenticate
from desktop.ui.complaint_dialog import ComplaintDialog
from desktop.ui.complaints_page import ComplaintsPage
from desktop.ui.main_window import COMPLAINTS_ROW, PROGRAMMES_ROW, FAIRNESS_ROW, MainWindow
from desktop.ui.programmes_page import NewProgrammeDialog


@pytest.fixture
def coordinator_session(make_session, store):
    return make_session(authenticate(store, "coordinateur", "coord-demo"))


def test_complaint_to_inspection_to_answer_letter(qtbot, coordinator_session, store, tmp_path, monkeypatch):
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: pytest.fail(f"unexpected warning: {a[2]}"))
    win = MainWindow(coordinator_session)
    qtbot.addWidget(win)
    win.nav.setCurrentRow(COMPLAINTS_ROW)
    page = win.complaints_page
    site = store.query("SELECT id, lon, lat, district_id, owner_id_number FROM site WHERE kind = 'establishment'"
                       " AND owner_id_kind = 'cin' LIMIT 1")[0]
    # 1. Intake at the desk.
    intake = ComplaintDialog(coordinator_session, None)
    qtbot.addWidget(intake)
    intake.channel.setCurrentIndex(intake.channel.findData("chikaya"))
    qtbot.keyClicks(intake.reference, "CHK-2026-55555")
    intake.field.setCurrentIndex(intake.field.findData("hygiene"))
    qtbot.keyClicks(intake.lat, f"{site['lat']:.6f}")
    qtbot.keyClicks(intake.lon, f"{site['lon']:.6f}")
    qtbot.keyClicks(intake.description, "Odeurs de friture et rats dans la cour du restaurant")
    complaint_id = intake.save()
    assert complaint_id
    row = store.query("SELECT status, district_id, answer_due FROM complaint WHERE id = ?", (complaint_id,))[0]
    assert row["status"] == "received" and row["district_id"] == site["district_id"]
    assert row["answer_due"] == (date.today() + timedelta(days=60)).isoformat()  # Chikaya's 60-day clock
    # 2. The coordinator starts an inspection from it: origin, reference and place are filled in.
    dialog = ComplaintDialog(coordinator_session, complaint_id)
    qtbot.addWidget(dialog)
    dialog.inspect.connect(page.inspect)
    dialog.buttons["cp.inspect"].click()
    form = win.forms[-1]
    assert form.origin.currentData() == "complaint_citizen" and form.origin_ref.text() == "CHK-2026-55555"
    assert form.district.currentData() == site["district_id"] and form.field.currentData() == "hygiene"
    qtbot.keyClicks(form.site_picker.search, site["owner_id_number"])
    [label] = [k for k, v in form.site_picker._sites.items() if v["id"] == site["id"]]
    form.site_picker._activated(label)
    form.outcome.setCurrentIndex(form.outcome.findData("violations"))
    form.checklist.combos["HYG-C08"].setCurrentIndex(form.checklist.combos["HYG-C08"].findData("no"))
    with qtbot.waitSignal(form.submitted) as sig:
        form.submit()
    # 3. The inspection is linked to the complaint, which is now accepted.
    dialog.refresh()
    assert store.scalar("SELECT complaint_id FROM inspection WHERE id = ?", (sig.args[0],)) == complaint_id
    assert dialog.complaint["status"] == "accepted" and dialog.complaint["inspections"] == [sig.args[0]]
    # 4. The complainant is answered, and the answer letter says so, in Arabic and French.
    assert dialog.do_answer("Le restaurant a été contrôlé ; une mise en demeure a été adressée à l'exploitant.")
    assert dialog.complaint["status"] == "answered" and dialog.complaint["answered_on"] == date.today().isoformat()
    letter = dialog.letter("complaint_answer", tmp_path / "reponse.pdf")
    text = subprocess.run(["pdftotext", str(letter), "-"], capture_output=True, text=True).stdout
    assert "جواب على شكاية" in text and "CHK-2026-55555" in text and "mise en demeure a été adressée" in text
    photo = tmp_path / "cour.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert dialog.do_attach(photo) and "cour.png" in dialog.info.text()
    ack = dialog.letter("complaint_ack", tmp_path / "ar.pdf")
    assert "إشعار بتسلم شكاية" in subprocess.run(["pdftotext", str(ack), "-"], capture_output=True, text=True).stdout


def test_intake_refuses_bad_input_with_a_message(qtbot, coordinator_session, store):
    dialog = ComplaintDialog(coordinator_session, None)
    qtbot.addWidget(dialog)
    dialog.channel.setCurrentIndex(dialog.channel.findData("chikaya"))
    qtbot.keyClicks(dialog.description, "court")
    assert dialog.save() is None and "dix caractères" in dialog.error.text()
    assert dialog.error.text().count("dix caractères") == 1 and "description:" not in dialog.error.text()
    assert dialog.error.text().startswith(coordinator_session.tr("cp.description") + ": ")
    assert f"- {coordinator_session.tr('cp.reference')}: " in dialog.error.text() and "Chikaya" in dialog.error.text()
    dialog.description.setPlainText("Une plainte assez longue pour passer")
    assert dialog.save() is None and "Chikaya" in dialog.error.text()
    existing = store.scalar("SELECT reference FROM complaint LIMIT 1")
    qtbot.keyClicks(dialog.reference, existing)
    assert dialog.save() is None and "déjà enregistrée" in dialog.error.text()
    dialog.reference.setText("CHK-2026-60000")
    dialog.lat.setText("34.02")
    dialog.lon.setText("-6.83")  # Rabat
    assert dialog.save() is None and "hors du territoire" in dialog.error.text()
    dialog.lat.setText("")
    dialog.lon.setText("")
    before = store.scalar("SELECT count(*) FROM complaint")
    assert dialog.save() and store.scalar("SELECT count(*) FROM complaint") == before + 1


def test_triage_merge_forward_reject(qtbot, coordinator_session, store, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    received = [r["id"] for r in store.query("SELECT id FROM complaint WHERE status = 'received' LIMIT 3")]
    first = ComplaintDialog(coordinator_session, received[0])
    qtbot.addWidget(first)
    other_ref = store.scalar("SELECT reference FROM complaint WHERE id = ?", (received[1],))
    assert first.do_merge(other_ref) and first.complaint["status"] == "merged"
    assert not first.buttons["cp.answer"].isEnabled()
    second = ComplaintDialog(coordinator_session, received[2])
    qtbot.addWidget(second)
    assert not second.do_reject("non")
    assert "Motivez" in warnings[-1]
    assert second.do_forward("Autorité locale (caïdat)") and second.complaint["forwarded_to"] == "Autorité locale (caïdat)"
    target = ComplaintDialog(coordinator_session, received[1])
    qtbot.addWidget(target)
    target.do_accept()
    assert target.do_answer("Le commerce a été contrôlé et averti.")
    # The merged duplicate is answered with it.
    assert store.scalar("SELECT answered_on FROM complaint WHERE id = ?", (received[0],)) == date.today().isoformat()


def test_complaints_page_clock_and_filters(qtbot, coordinator_session, store, qtmodeltester):
    page = ComplaintsPage(coordinator_session)
    qtbot.addWidget(page)
    qtmodeltester.check(page.model)
    page.overdue.setChecked(True)
    while page.model.canFetchMore():
        page.model.fetchMore()
    expected = store.scalar("SELECT count(*) FROM complaint WHERE answered_on IS NULL AND status NOT IN ('merged', 'rejected')"
                            " AND answer_due < ?", (date.today().isoformat(),))
    assert page.model.rowCount() == expected
    assert all("retard" in page.model.index(r, 6).data() for r in range(page.model.rowCount()))
    # A rejected complaint shows no countdown (the review saw «rejetée … 57 j restants»).
    page.overdue.setChecked(False)
    page.status.setCurrentIndex(page.status.findData("rejected"))
    assert page.model.rowCount() > 0
    clocks = [page.model.index(r, 6).data() for r in range(page.model.rowCount())]
    assert "" in clocks and all(c == "" or c.startswith("répondu le") for c in clocks)


def test_new_programme_refuses_double_booking_and_empty_brigades(qtbot, coordinator_session, store):
    dialog = NewProgrammeDialog(coordinator_session)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.title, "Ramadan : hygiene alimentaire")  # QTest types ASCII only
    assert dialog.save() is None and "arrondissement" in dialog.error.text()  # no arrondissement chosen
    anfa = next(i for i in range(dialog.districts.count()) if dialog.districts.item(i).text() == "Anfa")
    from PySide6.QtCore import Qt
    dialog.districts.item(anfa).setCheckState(Qt.Checked)
    first = dialog.save()
    assert first and store.scalar("SELECT count(*) FROM programme_brigade WHERE programme_id = ?", (first,)) == 6
    again = NewProgrammeDialog(coordinator_session)
    qtbot.addWidget(again)
    qtbot.keyClicks(again.title, "Doublon")
    again.districts.item(anfa).setCheckState(Qt.Checked)
    assert again.save() is None and "affecté deux fois" in again.error.text()


def test_fairness_and_programme_pages(qtbot, coordinator_session, store):
    win = MainWindow(coordinator_session)
    qtbot.addWidget(win)
    win.nav.setCurrentRow(FAIRNESS_ROW)
    table = win.fairness_page.districts
    assert table.rowCount() == 16
    total = sum(int(table.item(r, 1).text().replace("\u00a0", "")) for r in range(16))
    assert total == store.scalar("SELECT count(*) FROM inspection")
    win.nav.setCurrentRow(PROGRAMMES_ROW)
    page = win.programmes_page
    assert page.list.count() == store.scalar("SELECT count(*) FROM programme")
    page.show_visits(0, 0)
    assert page.visits.rowCount() > 0


def test_complaint_location_picked_on_the_map(qtbot, coordinator_session, store, monkeypatch):
    from PySide6.QtCore import QPoint, Qt
    from desktop.ui.main_window import MAP_ROW
    told = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: told.append(box.text()) or 0)  # the intake's confirmation
    win = MainWindow(coordinator_session)
    qtbot.addWidget(win)
    win.resize(1300, 800)
    win.show()
    win.nav.setCurrentRow(COMPLAINTS_ROW)
    dialog = win.complaints_page.open_complaint(None)
    dialog.pick_button.click()
    assert win.nav.currentRow() == MAP_ROW
    page = win.map_page
    qtbot.waitUntil(lambda: page.loaded, timeout=10_000)
    anfa = next(d for d in page.scene.districts if d.name_fr == "Anfa")
    sx, sy = page.map.view.to_screen(*anfa.label)
    qtbot.mouseClick(page.map, Qt.LeftButton, pos=QPoint(round(float(sx)), round(float(sy))))
    assert dialog.lat.text() and dialog.lon.text()
    dialog.description.setPlainText("Chantier bruyant la nuit a Anfa")
    complaint_id = dialog.save()
    assert store.scalar("SELECT district_id FROM complaint WHERE id = ?", (complaint_id,)) == anfa.id
    assert len(told) == 1


def test_desk_intake_offers_the_acknowledgement_at_once(qtbot, coordinator_session, store, monkeypatch):
    """Review finding 21: after saving a complaint at the desk, its reference is said and the
    acknowledgement opens in one click, to print and hand over."""
    from pathlib import Path
    from PySide6.QtGui import QDesktopServices
    page = ComplaintsPage(coordinator_session)
    qtbot.addWidget(page)
    shown, opened = [], []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box) or 0)
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(Path(url.toLocalFile())))
    dialog = page.open_complaint(None)
    qtbot.addWidget(dialog)
    dialog.channel.setCurrentIndex(dialog.channel.findData("desk"))
    dialog.description.setPlainText("Odeurs de friture et fumée dans la cage d'escalier depuis un mois")
    assert dialog.save()
    reference = store.scalar("SELECT reference FROM complaint WHERE id = ?", (dialog.complaint_id,))
    assert shown and reference in shown[-1].text()
    [opener] = [b for b in shown[-1].buttons() if b.text() == "Ouvrir l'accusé de réception à imprimer"]
    opener.click()
    assert opened[0].name == f"accuse-{reference}.pdf"
    text = subprocess.run(["pdftotext", str(opened[0]), "-"], capture_output=True, text=True).stdout
    assert "إشعار بتسلم شكاية" in text and reference in text
