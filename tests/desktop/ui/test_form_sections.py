"""Each section of the inspection form on its own: a value loaded is collected back unchanged, the
section's own behaviour, and a validation message shows right under its field."""
import math

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QWidget

from desktop.domain.model import FindingInput, SiteInput
from desktop.i18n import Translator
from desktop.store.users import officers
from desktop.ui.form_findings import FindingsSection
from desktop.ui.form_location import Location, LocationSection
from desktop.ui.form_origin import Origin, OriginSection
from desktop.ui.form_photos import PhotosSection
from desktop.ui.form_site import SiteChoice, SiteSection
from desktop.ui.form_visit import Visit, VisitSection

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
FR = Translator("fr")


def shown(qtbot, section, rtl=False):
    if rtl:
        section.setLayoutDirection(Qt.RightToLeft)
    qtbot.addWidget(section)
    section.resize(800, section.sizeHint().height())
    section.show()
    qtbot.waitExposed(section)
    return section


def window_rect(widget: QWidget) -> QRect:
    return QRect(widget.mapTo(widget.window(), QPoint(0, 0)), widget.size())


def assert_message_under(section, label, field: QWidget, text: str) -> None:
    """The message is shown, says ``text``, and sits right under ``field``, in its column."""
    QApplication.sendPostedEvents()  # the layout makes room for the label that appeared
    section.layout().activate()
    assert label.isVisible() and text in label.text()
    msg, fld = window_rect(label), window_rect(field)
    assert 0 <= msg.top() - fld.bottom() <= 8, (msg, fld)
    assert msg.left() < fld.right() and msg.right() > fld.left(), (msg, fld)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_origin_loads_collects_and_shows_its_messages(qtbot, lang):
    tr = Translator(lang)
    section = shown(qtbot, OriginSection(tr), rtl=tr.rtl)
    origin = Origin("complaint_citizen", "CHK-2026-00042", "")
    section.load(origin)
    assert section.collect() == origin
    assert section.ref_label.text() == tr("ui.origin_ref_complaint")
    section.origin.setCurrentIndex(section.origin.findData("own_initiative"))
    assert section.origin_reason.isVisible() and not section.origin_ref.isVisible()
    with qtbot.waitSignal(section.changed):  # the form autosaves on this
        qtbot.keyClicks(section.origin_reason, "Terrasse")
    assert section.collect().reason == "Terrasse"
    assert section.error_key("origin_reason") == "origin_reason" and section.error_key("site") is None
    section.show_errors({"origin_reason": "Expliquez", "site": "not mine"})
    assert_message_under(section, section.errors["origin_reason"], section.origin_reason, "Expliquez")
    assert not section.errors["origin"].isVisible()
    section.show_errors({})
    assert not section.errors["origin_reason"].isVisible()


def test_visit_loads_collects_and_shows_its_messages(qtbot, store, catalogue):
    people = officers(store)
    section = shown(qtbot, VisitSection(FR, catalogue.fields, people))
    visit = Visit("hygiene", "2026-06-01T10:30:00Z", [people[0].id, people[1].id])
    section.load(visit)
    assert section.collect() == visit
    section.load(Visit("", "", [people[2].id]))  # no time: the one shown is kept
    assert section.collect() == Visit("", "2026-06-01T10:30:00Z", [people[2].id])
    section.show_errors({"officers": "Choisissez au moins un agent"})
    assert_message_under(section, section.errors["officers"], section.lead, "au moins un agent")


def test_site_loads_a_registered_site_or_a_new_one(qtbot, store):
    site = store.query("SELECT id, name FROM site WHERE owner_name != '' LIMIT 1")[0]
    section = shown(qtbot, SiteSection(store, FR))
    section.load(SiteChoice(site_id=site["id"]))
    assert section.collect() == SiteChoice(site_id=site["id"])
    assert section.site_picker.search.text() == site["name"] and site["name"] in section.summary.text()
    new = SiteInput(kind="building", name="Snack Nouveau", address="12 rue Y", activity="snack",
                    owner_name="A. B", owner_id_kind="cin", owner_id_number="BK12345",
                    authorisation_ref="AUT-1", authorisation_expires="2027-01-31")
    section.load(SiteChoice(new_site=new))
    assert section.collect() == SiteChoice(new_site=new)
    assert section.site_box.isVisible() and not section.site_picker.isEnabled()
    assert section.summary.text() == ""  # the registered site is forgotten
    section.new_site.setChecked(False)
    assert section.collect() == SiteChoice() and not section.site_box.isVisible()


def test_site_picked_in_the_registry_is_announced(qtbot, store):
    site = store.query("SELECT id, owner_id_number FROM site WHERE owner_id_kind = 'cin' LIMIT 1")[0]
    section = shown(qtbot, SiteSection(store, FR))
    qtbot.keyClicks(section.site_picker.search, site["owner_id_number"])
    [label] = [k for k, v in section.site_picker._sites.items() if v["id"] == site["id"]]
    with qtbot.waitSignal(section.picked) as picked, qtbot.waitSignal(section.changed):
        section.site_picker._activated(label)
    assert picked.args[0]["id"] == site["id"]
    assert section.collect() == SiteChoice(site_id=site["id"])


def test_new_site_messages_show_under_their_fields(qtbot, store):
    section = shown(qtbot, SiteSection(store, FR))
    section.new_site.setChecked(True)
    section.show_errors({"site_name": "Nom obligatoire", "site_owner": "Numéro invalide"})
    assert_message_under(section, section.errors["site_name"], section.site_name, "Nom obligatoire")
    assert_message_under(section, section.errors["site_owner"], section.owner_id_number, "Numéro invalide")
    assert not section.errors["site"].isVisible()


DISTRICTS = {"D-ANFA": "Anfa", "D-MAARIF": "Maârif"}


def district_at(lon: float, lat: float) -> str | None:
    """A tiny map: east of -7.62 is Maârif, west of it Anfa, nothing outside the box."""
    if not (-7.7 <= lon <= -7.5 and 33.5 <= lat <= 33.7):
        return None
    return "D-MAARIF" if lon > -7.62 else "D-ANFA"


def test_location_loads_collects_and_locates(qtbot):
    section = shown(qtbot, LocationSection(FR, DISTRICTS, district_at))
    where = Location(-7.63, 33.59, "D-ANFA")
    section.load(where)
    assert section.collect() == where
    section.load(Location())
    assert section.collect() == Location()
    qtbot.keyClicks(section.lat, "33,6")  # a decimal comma is a decimal point
    qtbot.keyClicks(section.lon, "-7.6")
    section.lon.editingFinished.emit()
    assert section.collect() == Location(-7.6, 33.6, "D-MAARIF")
    section.set_location(-7.65, 33.55)
    assert section.collect() == Location(-7.65, 33.55, "D-ANFA")
    section.lat.setText("n/a")
    assert math.isnan(section.collect().lat)  # validation reports it as invalid
    with qtbot.waitSignal(section.pick_requested):
        section.pick_button.click()


def test_location_follows_the_chosen_site_and_says_so_when_the_point_was_far(qtbot):
    section = shown(qtbot, LocationSection(FR, DISTRICTS, district_at))
    section.take_site_place({"lon": -7.61, "lat": 33.6, "district_id": "D-MAARIF"})
    assert section.collect() == Location(-7.61, 33.6, "D-MAARIF") and not section.note.isVisible()
    # Never the point of one site with the district of another: the point follows the site.
    section.take_site_place({"lon": -7.64, "lat": 33.58, "district_id": "D-ANFA"})
    assert section.collect() == Location(-7.64, 33.58, "D-ANFA")
    assert section.note.isVisible() and "3,6 km" in section.note.text()


def test_location_messages_show_under_their_fields(qtbot):
    section = shown(qtbot, LocationSection(FR, DISTRICTS, district_at))
    section.show_errors({"location": "Coordonnées invalides", "district": "Ce champ est obligatoire"})
    assert_message_under(section, section.errors["location"], section.lat, "Coordonnées invalides")
    assert_message_under(section, section.errors["district"], section.district, "obligatoire")


def test_findings_follow_the_field_and_show_messages_on_their_row(qtbot, catalogue):
    section = shown(qtbot, FindingsSection(FR))
    assert not section.add_button.isEnabled()  # no field chosen yet
    section.set_field(catalogue.field("public_domain"))
    findings = [FindingInput("DOM-01", 12.5, "terrasse"), FindingInput("DOM-05", None, "")]
    section.load(findings)
    assert section.collect() == findings
    section.add_for("DOM-05")  # already found: not twice
    section.add_for("DOM-03")
    assert [f.violation_code for f in section.collect()] == ["DOM-01", "DOM-05", "DOM-03"]
    assert section.error_key("finding:1") == "finding:1" and section.error_key("finding:7") == "findings"
    section.show_errors({"finding:1": "La mesure est obligatoire"})
    row = section.rows[1]
    assert_message_under(section, row.error, row.violation, "mesure est obligatoire")
    assert not section.rows[0].error.isVisible() and not section.errors["findings"].isVisible()
    section.set_field(catalogue.field("hygiene"))
    assert section.collect() == []


def test_photos_are_stored_and_a_refused_file_says_why(qtbot, store, tmp_path):
    section = shown(qtbot, PhotosSection(store, FR))
    photo, bad = tmp_path / "terrasse.png", tmp_path / "rapport.pdf"
    photo.write_bytes(PNG)
    bad.write_bytes(b"%PDF-1.7 ...")
    with qtbot.waitSignal(section.changed):
        assert section.add_file(photo)
    [ref] = section.collect()
    assert ref.name == "terrasse.png" and store.attachments.path_for(ref.sha256).exists()
    assert not section.add_file(bad)
    assert_message_under(section, section.errors["photos"], section.drop_hint, "n'est pas une image")
    section.load([])
    assert section.collect() == []
    section.load([ref])
    assert section.collect() == [ref] and section.error_key("photo:3") == "photos"
