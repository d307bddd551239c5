"""The inspection form driven like an officer would: keyboard, combos, drops, close and reopen."""

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from desktop.store.drafts import list_drafts
from desktop.store.inspections import get_inspection
from desktop.ui.inspection_form import InspectionForm

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pick(combo, value):
    combo.setCurrentIndex(combo.findData(value))
    assert combo.currentData() == value


def fill_valid(qtbot, form, store):
    site = store.query("SELECT id, name, owner_id_number, district_id, lon, lat FROM site"
                       " WHERE kind = 'establishment' AND owner_id_kind = 'cin' LIMIT 1")[0]
    pick(form.origin, "complaint_citizen")
    qtbot.keyClicks(form.origin_ref, "CHK-2026-00042")
    pick(form.field, "public_domain")
    # QTest types ASCII only: search by the owner's national ID number.
    qtbot.keyClicks(form.site_picker.search, site["owner_id_number"])
    [label] = [k for k, v in form.site_picker._sites.items() if v["id"] == site["id"]]
    form.site_picker._activated(label)
    assert form.site_picker.search.text() == site["name"]
    pick(form.outcome, "violations")
    return site


def drop_files(form, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    form.dropEvent(event)


def test_checklist_changes_with_the_field(qtbot, session):
    form = InspectionForm(session)
    qtbot.addWidget(form)
    pick(form.field, "hygiene")
    assert "HYG-C03" in form.checklist.combos
    pick(form.field, "urbanism")
    assert set(form.checklist.combos) == {c.code for c in session.catalogue.field("urbanism").checklist}


def test_failed_item_adds_its_violation_and_submission_saves_all(qtbot, session, store, tmp_path):
    form = InspectionForm(session)
    qtbot.addWidget(form)
    fill_valid(qtbot, form, store)
    assert form.lon.text() and form.district.currentData()  # taken from the site
    pick(form.checklist.combos["DOM-C05"], "no")
    assert [r.violation.currentData() for r in form.finding_rows] == ["DOM-05"]
    photo = tmp_path / "terrasse.png"
    photo.write_bytes(PNG)
    drop_files(form, [photo])
    assert form.photos.count() == 1
    form.submit()
    # Measure is mandatory for DOM-05 (number of tables): shown next to the finding.
    assert form.finding_rows[0].error.isVisibleTo(form)
    assert "mesure est obligatoire" in form.finding_rows[0].error.text()
    qtbot.keyClicks(form.finding_rows[0].measure, "4")
    with qtbot.waitSignal(form.submitted) as sig:
        form.submit()
    got = get_inspection(store, sig.args[0])
    assert got["origin_type"] == "complaint_citizen" and got["origin_ref"] == "CHK-2026-00042"
    assert [(f["violation_code"], f["measure_value"]) for f in got["findings"]] == [("DOM-05", 4.0)]
    assert got["checklist"] == {"DOM-C05": "no"} and len(got["photos"]) == 1
    assert got["created_by"] == session.user.id
    assert list_drafts(store, session.user) == []


def test_errors_appear_next_to_their_fields(qtbot, session):
    form = InspectionForm(session)
    qtbot.addWidget(form)
    form.show()
    qtbot.keyClicks(form.lat, "95")
    qtbot.keyClicks(form.lon, "-7.6")
    form.submit()
    assert form.errors["origin"].isVisible() and "obligatoire" in form.errors["origin"].text()
    assert "Coordonnées invalides" in form.errors["location"].text()
    assert form.errors["site"].isVisible()
    assert "à corriger" in form.status.text()
    assert form.isVisible()  # nothing was submitted


def test_own_initiative_asks_for_a_reason(qtbot, session):
    form = InspectionForm(session)
    qtbot.addWidget(form)
    form.show()
    pick(form.origin, "own_initiative")
    assert form.origin_reason.isVisible() and not form.origin_ref.isVisible()
    form.submit()
    assert "Expliquez" in form.errors["origin_reason"].text()


def test_typing_autosaves_a_draft_and_reopening_restores_it(qtbot, session, store):
    form = InspectionForm(session)
    qtbot.addWidget(form)
    pick(form.field, "hygiene")
    form.new_site.setChecked(True)
    qtbot.keyClicks(form.site_name, "Snack Nouveau")
    qtbot.keyClicks(form.notes, "odeur de friture")
    qtbot.waitUntil(lambda: len(list_drafts(store, session.user)) == 1, timeout=5000)
    draft = list_drafts(store, session.user)[0]
    assert draft["input"].new_site.name == "Snack Nouveau" and draft["input"].notes == "odeur de friture"
    qtbot.keyClicks(form.site_address, "12 rue Y")
    form.close()  # closing saves at once, no wait
    draft = list_drafts(store, session.user)[0]
    assert draft["input"].new_site.address == "12 rue Y"
    again = InspectionForm(session, draft)
    qtbot.addWidget(again)
    assert again.site_name.text() == "Snack Nouveau" and again.new_site.isChecked()
    assert again.field.currentData() == "hygiene" and again.notes.toPlainText() == "odeur de friture"
    again.discard()
    assert list_drafts(store, session.user) == []


def test_non_image_drop_is_refused_with_a_message(qtbot, session, tmp_path):
    form = InspectionForm(session)
    qtbot.addWidget(form)
    bad = tmp_path / "rapport.pdf"
    bad.write_bytes(b"%PDF-1.7 ...")
    drop_files(form, [bad])
    assert form.photos.count() == 0 and "n'est pas une image" in form.errors["photos"].text()


def test_typed_coordinates_fill_the_district(qtbot, session, store):
    form = InspectionForm(session)
    qtbot.addWidget(form)
    anfa = store.query("SELECT id FROM district WHERE name_fr = 'Anfa'")[0]["id"]
    inside = store.query("SELECT lon, lat FROM site WHERE district_id = ? LIMIT 1", (anfa,))[0]
    qtbot.keyClicks(form.lat, f"{inside['lat']:.6f}".replace(".", ","))  # decimal comma accepted
    qtbot.keyClicks(form.lon, f"{inside['lon']:.6f}")
    form.lon.editingFinished.emit()
    assert form.district.currentData() == anfa
