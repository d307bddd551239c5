"""A device's complaint reference (PL-2026-7KQ3-00001) on the complaints page, and the dates and
codes of the Conflits page, read in Arabic as in French (isolated left to right)."""
import os
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
import pytest

from desktop.domain.complaints import ComplaintInput
from desktop.i18n import Translator, ltr, ltr_tokens
from desktop.store.complaints import create_complaint

pytestmark = pytest.mark.gui
REFERENCES = ("PL-2026-7KQ3-00001", "PL-2026-ZZZZ-10482", "CHK-2026-W0012345")


def _grab(widget, name: str, tmp_path: Path) -> Path:
    path = Path(os.environ.get("GRAB_DIR", tmp_path)) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(path))
    return path


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_devices_reference_fits_the_complaints_page(qtbot, qapp, make_session, store, catalogue, tmp_path, lang):
    from desktop.store.users import authenticate
    from desktop.ui.complaints_page import ComplaintsPage
    user = authenticate(store, "coordinateur", "coord-demo")
    for reference, channel in zip(REFERENCES, ("desk", "phone", "chikaya")):  # (a standalone takes them as typed)
        create_complaint(store, user, catalogue, ComplaintInput(
            channel=channel, received_on=date.today(), reference=reference,
            description="Bruit et fumée toute la nuit, des voisins se plaignent"))
    qapp.setLayoutDirection(Qt.RightToLeft if lang == "ar" else Qt.LeftToRight)
    try:
        page = ComplaintsPage(make_session(user, lang))
        qtbot.addWidget(page)
        page.resize(1280, 700)
        page.show()
        page.refresh()
        model, view = page.model, page.view
        shown = [model.index(r, 0).data() for r in range(model.rowCount())]
        assert set(REFERENCES) <= set(shown)  # unchanged: the reference as given
        metrics = view.fontMetrics()
        widest = max(metrics.horizontalAdvance(r) for r in REFERENCES)
        assert view.columnWidth(0) >= widest  # the whole reference, never cut («…»)
        # the columns fit once the page has laid itself out at this width (its columns follow the resize)
        qtbot.waitUntil(lambda: sum(view.columnWidth(c) for c in range(model.columnCount()))
                        <= view.viewport().width() + 1, timeout=5000)
        _grab(page, f"complaints-references-{lang}.png", tmp_path)
    finally:
        qapp.setLayoutDirection(Qt.LeftToRight)


def test_a_case_opened_twice_reads_its_date_and_codes_as_in_french():
    """«2026-06-01» and «HYG-01, HYG-02» in an Arabic sentence: isolated, so that the bidi
    algorithm does not read them «01-06-2026» and «HYG-02 ,HYG-01»."""
    from desktop.ui.conflicts_page import case_twice_text
    text = case_twice_text(Translator("ar"), "2026-06-01", "مقهى أنفا", "الصحة", ["HYG-01", "HYG-02"])
    assert text == "ملف مفتوح بتاريخ \u20662026-06-01\u2069 — مقهى أنفا، الصحة — المخالفات: \u2066HYG-01, HYG-02\u2069"
    assert case_twice_text(Translator("fr"), None, "Café", "Hygiène", []) == \
        "Dossier ouvert le — — Café, Hygiène — infractions : —"


def test_the_helper_isolates_dates_codes_and_references_only():
    assert ltr("2026-06-01") == "\u20662026-06-01\u2069"
    assert ltr_tokens({"on": "2026-06-01", "ref": "PL-2026-7KQ3-00001", "site": "Café Anfa", "n": 3,
                       "ar": "٣ أيام", "done": ltr("HYG-01")}) == \
        {"on": ltr("2026-06-01"), "ref": ltr("PL-2026-7KQ3-00001"), "site": "Café Anfa", "n": 3, "ar": "٣ أيام",
         "done": ltr("HYG-01")}


def test_an_arabic_refusal_names_its_date_as_in_french():
    """A refusal composed by the one presenter (``message_for``): its ISO date isolated in Arabic,
    as it was in French."""
    from desktop.domain.errors import Refusal
    from desktop.services.messages import message_for
    refusal = Refusal("notice_already_delivered", ref="12/2026", on="2026-06-01")
    assert "\u20662026-06-01\u2069" in message_for(refusal, Translator("ar"))
    assert "\u2066" not in message_for(refusal, Translator("fr")) and "2026-06-01" in message_for(refusal, Translator("fr"))


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_the_officer_reads_why_a_complaint_was_refused(qtbot, qapp, tmp_path, empty_commune_path, pg_url, catalogue,
                                                       lang):
    """The same Chikaya complaint entered on two tablets offline: the second tablet's Conflits page
    says, in the officer's language, that the reference is already recorded, and names it as typed."""
    from desktop.services.commune import open_commune
    from desktop.settings import Settings
    from desktop.store.users import get_user
    from desktop.ui.conflicts_page import ConflictsPage
    from desktop.ui.session import Session
    from tests.desktop.hub.helpers import device, make_team, new_device, push
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablets = [new_device(team, tmp_path, user, f"t{n}") for n, user in enumerate(("agent1", "agent2"))]
    for path, user, district in zip(tablets, ("agent1", "agent2"), team.districts):
        with device(path, user) as c:
            create_complaint(c.store, c.user, catalogue, ComplaintInput(
                channel="chikaya", received_on=date(2026, 6, 1), reference="CHK-2026-W42",
                description="Bruit et fumée toute la nuit", district_id=district))
        push(path, pg_url)
    qapp.setLayoutDirection(Qt.RightToLeft if lang == "ar" else Qt.LeftToRight)
    commune = open_commune(tablets[1])
    try:
        commune.user = get_user(commune.store, team.users["agent2"])
        page = ConflictsPage(Session(commune, Translator(lang), Settings(tmp_path / "settings.json")))
        qtbot.addWidget(page)
        page.resize(1100, 600)
        page.show()
        qtbot.waitUntil(lambda: page.table.rowCount() == 1 and not page.loading, timeout=20000)
        page.table.setCurrentCell(0, 0)
        said = Translator(lang)("c.complaint_duplicate_reference", reference=ltr("CHK-2026-W42"))
        assert said in page.reason.text()
        # the device's values read as the complaint form's words, not as JSON with ids
        tr = Translator(lang)
        shown = page.device_value.toPlainText()
        isolate = ltr if lang == "ar" else str
        assert f"{tr('cp.reference')} : {isolate('CHK-2026-W42')}" in shown.splitlines()
        assert f"{tr('cp.status')} : {tr('cp.status_received')}" in shown.splitlines()
        rule = tr("c.complaint_duplicate_reference", reference=isolate("CHK-2026-W42"))
        assert shown.splitlines()[0] == f"{tr('net.rule')} : {rule} ({tr('cp.reference')})"
        assert f"{tr('cp.channel')} : {tr('cp.channel_chikaya')}" in shown.splitlines()
        assert "{" not in shown and "district_id" not in shown and team.districts[1] not in shown
        _grab(page, f"conflicts-reference-{lang}.png", tmp_path)
    finally:
        qapp.setLayoutDirection(Qt.LeftToRight)
        commune.close()
