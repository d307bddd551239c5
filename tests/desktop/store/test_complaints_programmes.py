"""Complaints and programmes in the store; Open311 files written by hand to the GeoReport v2 spec."""
import json
from datetime import date, timedelta

import pytest

from desktop.cli import main
from desktop.domain.complaints import ComplaintError, ComplaintInput
from desktop.store.complaints import create_complaint, export_open311, import_open311
from desktop.store.fairness import by_district, outliers
from desktop.store.programmes import Brigade, ProgrammeError, ProgrammeInput, create_programme, progress
from desktop.store.users import authenticate

# Two service requests as the GeoReport v2 specification shows them (GET requests.json).
OPEN311 = [
    {"service_request_id": "SR-2026-81001", "status": "open", "status_notes": None, "service_name": "Hygiène",
     "service_code": "hygiene", "description": "Des sacs de déchets s'entassent devant la boucherie depuis trois jours",
     "agency_responsible": None, "service_notice": None, "requested_datetime": "2026-10-04T09:15:00+01:00",
     "updated_datetime": "2026-10-04T09:15:00+01:00", "expected_datetime": None, "address": "27 rue Tarfaya",
     "address_id": None, "zipcode": "20250", "lat": 33.5905, "long": -7.6101, "media_url": None},
    {"service_request_id": "SR-2026-81002", "status": "open", "service_name": "Occupation du domaine public",
     "service_code": "public_domain", "description": "Étal installé en permanence sur le trottoir, passage impossible",
     "requested_datetime": "2026-10-05T18:02:00Z", "address": "Bd Mohammed V", "lat": "33.5961", "long": "-7.6160"},
]


@pytest.fixture
def coord(store):
    return authenticate(store, "coordinateur", "coord-demo")


def write(tmp_path, data, name="requests.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_open311_import_locates_and_export_keeps_contacts_private(store, coord, catalogue, tmp_path):
    assert import_open311(store, coord, catalogue, write(tmp_path, OPEN311)) == 2
    row = store.query("SELECT * FROM complaint WHERE reference = 'SR-2026-81001'")[0]
    assert row["channel"] == "open311" and row["field_code"] == "hygiene" and row["received_on"] == "2026-10-04"
    assert row["district_id"] is not None and row["answer_due"] == "2026-12-03"
    create_complaint(store, coord, catalogue, ComplaintInput("desk", date.today(), "Bruit de compresseur la nuit",
                                                            complainant_name="Amina B.", complainant_contact="0612345678"))
    out = tmp_path / "out.json"
    n = export_open311(store, catalogue, out)
    text = out.read_text(encoding="utf-8")
    assert n == store.scalar("SELECT count(*) FROM complaint") and "0612345678" not in text and "Amina" not in text
    exported = json.loads(text)
    assert {"service_request_id", "status", "service_code", "description", "requested_datetime", "lat", "long"} <= set(exported[0])


def test_open311_import_is_all_or_nothing(store, coord, catalogue, tmp_path):
    bad = [dict(OPEN311[0]), dict(OPEN311[1], lat=34.02, long=-6.83),  # Rabat: outside the commune
           dict(OPEN311[0], description="ok")]  # a duplicate reference, and too short
    before = store.scalar("SELECT count(*) FROM complaint")
    with pytest.raises(ComplaintError) as err:
        import_open311(store, coord, catalogue, write(tmp_path, bad))
    codes = {code for _label, code, _ref in err.value.params["problems"]}
    assert {"coordinates_outside_commune", "complaint_duplicate_reference", "complaint_description_short"} <= codes
    assert store.scalar("SELECT count(*) FROM complaint") == before
    with pytest.raises(ComplaintError):
        import_open311(store, coord, catalogue, write(tmp_path, {"not": "a list"}))
    (tmp_path / "broken.json").write_text("[{", encoding="utf-8")
    with pytest.raises(ComplaintError):
        import_open311(store, coord, catalogue, tmp_path / "broken.json")


def test_complaints_cli(demo_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "coord-demo")
    path = write(tmp_path, OPEN311)
    assert main(["complaints", "import", str(path), "--format", "open311", "--db", str(demo_path)]) == 0
    assert main(["complaints", "import", str(path), "--format", "open311", "--db", str(demo_path)]) == 2
    assert "déjà enregistrée" in capsys.readouterr().err
    out = tmp_path / "export.json"
    assert main(["complaints", "export", "--format", "open311", "--db", str(demo_path), "--out", str(out)]) == 0
    assert any(r["service_request_id"] == "SR-2026-81002" for r in json.loads(out.read_text(encoding="utf-8")))


def officers(store, n=4):
    return [r["id"] for r in store.query("SELECT id FROM [user] WHERE role = 'officer' ORDER BY username LIMIT ?", (n,))]


def test_programme_rules(store, coord):
    o = officers(store)
    district = store.scalar("SELECT id FROM district LIMIT 1")
    start = date(2027, 1, 4)
    base = dict(title="Campagne terrasses", kind="seasonal", starts_on=start, ends_on=start + timedelta(days=5),
                districts=[district], fields=["public_domain"])
    with pytest.raises(ProgrammeError) as err:
        create_programme(store, coord, ProgrammeInput(**base))
    assert err.value.code == "programme_without_brigade"
    with pytest.raises(ProgrammeError) as err:
        create_programme(store, coord, ProgrammeInput(**base, brigades=[Brigade(start, o[0], o[1]), Brigade(start, o[1], o[2])]))
    assert err.value.code == "officer_double_booked"
    pid = create_programme(store, coord, ProgrammeInput(**base, brigades=[Brigade(start, o[0], o[1])], target_visits=10))
    with pytest.raises(ProgrammeError) as err:  # the same officers, the same day, in another programme
        create_programme(store, coord, ProgrammeInput(**dict(base, title="Autre"), brigades=[Brigade(start, o[2], o[0])]))
    assert err.value.code == "officer_double_booked" and err.value.params["other"] == "Campagne terrasses"
    assert progress(store, pid) == {"target": 10, "done": 0, "brigade_days": 1, "share": 0.0}
    with pytest.raises(PermissionError):
        create_programme(store, authenticate(store, "agent001", "agent-demo"),
                         ProgrammeInput(**dict(base, title="X"), brigades=[Brigade(start + timedelta(days=1), o[3], None)]))


def test_inspections_link_to_their_programme(store, officer, valid_input, catalogue):
    from desktop.store.inspections import submit_inspection
    title = store.scalar("SELECT title FROM programme ORDER BY starts_on DESC LIMIT 1")
    valid_input.origin_ref = title
    iid = submit_inspection(store, officer, valid_input, catalogue)
    assert store.scalar("SELECT programme_id FROM inspection WHERE id = ?", (iid,)) == \
        store.scalar("SELECT id FROM programme WHERE title = ?", (title,))


def test_fairness_flags_an_owner_controlled_far_more(store):
    assert abs(sum(r["share_inspections"] for r in by_district(store)) - 1) < 1e-9
    site = store.query("SELECT id, owner_id_number FROM site WHERE owner_id_kind = 'cin' LIMIT 1")[0]
    template = store.query("SELECT * FROM inspection LIMIT 1")[0]
    from desktop.domain.ids import uuid7
    rows = [(uuid7(), template["field_code"], site["id"], template["inspected_at"], template["lead_officer_id"],
             template["lon"], template["lat"], template["district_id"], "compliant", "own_initiative", "", "Vu en passant devant")
            for _ in range(40)]
    with store.transaction(None) as tx:
        tx.bulk_insert("inspection", ("id", "field_code", "site_id", "inspected_at", "lead_officer_id", "lon", "lat",
                                      "district_id", "outcome", "origin_type", "origin_ref", "origin_reason"), rows)
    flagged = {r["owner"]: r for r in outliers(store)}
    assert site["owner_id_number"] in flagged and flagged[site["owner_id_number"]]["own_initiative"] >= 40
    assert all(r["controls"] >= 5 * r["median"] for r in flagged.values())


def test_open311_service_outside_the_police_is_kept_as_a_complaint_to_forward(store, coord, catalogue, tmp_path):
    lighting = dict(OPEN311[1], service_request_id="SR-2026-81003", service_code="street_lighting",
                    service_name="Éclairage public", description="Lampadaire éteint depuis une semaine devant l'école")
    assert import_open311(store, coord, catalogue, write(tmp_path, [OPEN311[0], lighting])) == 2
    row = store.query("SELECT * FROM complaint WHERE reference = 'SR-2026-81003'")[0]
    assert row["field_code"] == "" and row["status"] == "received"
    assert "Éclairage public" in row["description"] and "street_lighting" in row["description"]
    # A malformed request still refuses the whole file.
    before = store.scalar("SELECT count(*) FROM complaint")
    broken = dict(lighting, service_request_id="SR-2026-81004")
    del broken["service_request_id"]
    with pytest.raises(ComplaintError):
        import_open311(store, coord, catalogue, write(tmp_path, [dict(lighting, service_request_id="SR-2026-81005"), broken]))
    assert store.scalar("SELECT count(*) FROM complaint") == before


def test_a_rejected_complaint_stops_its_clock(store, coord):
    """Answered, merged or rejected (with its reasons): no longer overdue, in the store's rule."""
    from desktop.store.complaints import overdue_answers, reject
    late = date.today() + timedelta(days=90)
    overdue = {r["id"] for r in overdue_answers(store, late)}
    pending = store.scalar("SELECT id FROM complaint WHERE status = 'received' AND answered_on IS NULL LIMIT 1")
    assert pending in overdue
    reject(store, coord, pending, "Hors compétence de la commune : relève de l'ONSSA")
    assert pending not in {r["id"] for r in overdue_answers(store, late)}
    assert len(overdue_answers(store, late)) == len(overdue) - 1
