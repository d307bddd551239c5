"""A commune's own catalogue extension (``catalogue.d`` beside its database) is seen the same way
by the GUI and by every command that reads the catalogue: one ``open_commune`` for all."""
import json
import subprocess

import pytest

from desktop.cli import main
from desktop.domain.model import FindingInput, InspectionInput
from desktop.services.commune import catalogue_dir, open_commune
from desktop.store.inspections import submit_inspection

EXTENSION = {
    "catalogue_version": 1,
    "legal_texts": {"ARR-2026-07": {"ar": "القرار الجماعي رقم 7 المتعلق بالشواطئ",
                                    "fr": "Arrêté communal n° 7 relatif aux plages"}},
    "fields": [{"code": "beaches", "ar": "الشواطئ", "fr": "Plages surveillées", "checklist": [], "violations": [{
        "code": "PLG-01", "ar": "نصب مظلات بدون ترخيص", "fr": "Parasols installés sans autorisation",
        "basis": [{"text": "ARR-2026-07", "article": "4"}], "severity": "minor", "deadline_days": 3,
        "next_step": "formal_notice", "decision_kind": "removal"}]}]}


@pytest.fixture
def extended(demo_path):
    folder = catalogue_dir(demo_path)
    folder.mkdir()
    (folder / "10-plages.json").write_text(json.dumps(EXTENSION, ensure_ascii=False), encoding="utf-8")
    with open_commune(demo_path) as commune:
        officer = commune.login("agent001", "agent-demo")
        site = commune.store.query("SELECT id, district_id, lon, lat FROM site LIMIT 1")[0]
        for day in range(1, 6):  # five: open data publishes no count under 5 (review M3)
            submit_inspection(commune.store, officer, InspectionInput(
                field_code="beaches", site_id=site["id"], inspected_at=f"2026-06-0{day}T10:30:00Z",
                officer_ids=[officer.id], lon=site["lon"], lat=site["lat"], district_id=site["district_id"],
                checklist={}, findings=[FindingInput("PLG-01", None, "")], notes="", outcome="violations",
                origin_type="own_initiative", origin_ref="",
                origin_reason="Parasols signalés sur la plage, contrôle immédiat"), commune.catalogue)
    return demo_path


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_gui_sees_the_extension(extended, qapp):
    from desktop.ui.app import prepare_login
    prepared = prepare_login(extended)
    assert prepared is not None
    _app, _settings, commune, login = prepared
    try:
        assert commune.catalogue.field("beaches").label("fr") == "Plages surveillées"
        assert commune.catalogue.has_violation("PLG-01", "beaches")
    finally:
        login.close()
        commune.close()
        qapp.setLayoutDirection(qapp.layoutDirection().LeftToRight)  # prepare_login set the user's direction


def test_every_command_sees_the_extension(extended, tmp_path, monkeypatch, capsys):
    # delegation add: the extension's field is a field of this commune
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "president-demo")
    assert main(["delegation", "add", "--db", str(extended), "--delegate", "vicepresident", "--number", "8/2026",
                 "--date", "2026-05-02", "--basis", "art103", "--fields", "beaches", "--scope-ar", "الشواطئ",
                 "--scope-fr", "plages", "--capacity-ar", "النائب", "--capacity-fr", "Vice-président"]) == 0
    # report annual: the field is named as the commune named it
    report = tmp_path / "report.pdf"
    assert main(["report", "annual", "--db", str(extended), "--year", "2026", "--out", str(report), "--lang", "fr"]) == 0
    assert "Plages surveillées" in _pdf_text(report)
    # complaints import and export: a request in the commune's own field is accepted and labelled
    requests = tmp_path / "requests.json"
    requests.write_text(json.dumps([{"service_request_id": "OPEN-77", "service_code": "beaches",
                                     "description": "Parasols partout sur la plage, plus de passage",
                                     "requested_datetime": "2026-06-02T09:00:00Z", "lat": 33.595, "long": -7.66}]))
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "coord-demo")
    assert main(["complaints", "import", str(requests), "--db", str(extended)]) == 0
    exported = tmp_path / "out.json"
    assert main(["complaints", "export", "--db", str(extended), "--out", str(exported)]) == 0
    mine = [r for r in json.loads(exported.read_text()) if r["service_request_id"] == "OPEN-77"]
    assert mine and mine[0]["service_name"] == "Plages surveillées"
    # opendata: the field's label in the published data
    folder = tmp_path / "open"
    assert main(["opendata", "--db", str(extended), "--year", "2026", "--out", str(folder)]) == 0
    published = "".join(p.read_text(encoding="utf-8-sig") for p in folder.iterdir() if p.suffix == ".csv")
    assert "beaches" in published or "Plages surveillées" in published


def test_without_the_extension_the_field_is_unknown(demo_path, monkeypatch, capsys):
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "president-demo")
    assert main(["delegation", "add", "--db", str(demo_path), "--delegate", "vicepresident", "--number", "8/2026",
                 "--date", "2026-05-02", "--basis", "art103", "--fields", "beaches", "--scope-ar", "الشواطئ",
                 "--scope-fr", "plages", "--capacity-ar", "النائب", "--capacity-fr", "Vice-président"]) == 2
    assert "beaches" in capsys.readouterr().err


def test_a_broken_extension_is_said_while_the_login_waits(demo_path, qapp, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from desktop.ui.app import preload_after_login, prepare_login
    folder = catalogue_dir(demo_path)
    folder.mkdir()
    (folder / "20-broken.json").write_text('{"catalogue_version": 1, "fields": [{"code": 5}]}', encoding="utf-8")
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a: shown.append(a[2]))
    _app, _settings, commune, login = prepare_login(demo_path)  # the login itself does not need the catalogue
    try:
        login.show()
        preload_after_login(commune, login)
        assert shown and "20-broken.json" in shown[0]
        assert not login.isVisible() and login.result() == login.DialogCode.Rejected
    finally:
        commune.close()
        qapp.setLayoutDirection(qapp.layoutDirection().LeftToRight)
