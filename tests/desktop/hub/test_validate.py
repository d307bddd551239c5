"""The hub re-checks every op against the domain rules, as the application would
(desktop/hub/validate.py): a hostile device rewrites its own outbox (its triggers dropped, its
chain re-hashed, the bundle signed with its real key) and the hub refuses what the application
would never have written: ``invalid``, nothing applied, a conflict row, the refusal in the
device's receipt. Valid ops of each kind still go in."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Callable

import psycopg
import pytest
from psycopg.rows import dict_row

from desktop.domain.ids import utc_now
from desktop.domain.model import PhotoRef, SiteInput
from desktop.domain.sync import canonical, op_hash
from desktop.hub import init_hub, pull
from desktop.services import sync
from desktop.services.commune import catalogue_dir, open_commune
from desktop.store import outbox
from desktop.store.complaints import ComplaintInput, create_complaint
from desktop.store.engine import sqlite3
from desktop.store.inspections import submit_inspection
from tests.builders import inspection_input, make_district, make_inspection, make_site, make_user
from tests.desktop.hub.helpers import Team, device, make_team, new_device, push

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# Two arrondissements side by side, as squares around the builders' point (-7.63, 33.59).
D1_SHAPE = {"type": "Polygon", "coordinates": [[[-7.70, 33.55], [-7.60, 33.55], [-7.60, 33.65], [-7.70, 33.65],
                                                [-7.70, 33.55]]]}
D2_SHAPE = {"type": "Polygon", "coordinates": [[[-7.60, 33.55], [-7.50, 33.55], [-7.50, 33.65], [-7.60, 33.65],
                                                [-7.60, 33.55]]]}


@pytest.fixture
def team(tmp_path, empty_commune_path, pg_url) -> Team:
    return make_team(tmp_path, empty_commune_path, pg_url)


@pytest.fixture
def tablet(team, tmp_path) -> Path:
    return new_device(team, tmp_path, "agent1")


def _forge(path: Path, edit: Callable[[list[dict]], str]) -> str:
    """What a hostile device does: its pending ops rewritten by ``edit``, the chain re-hashed (so
    that the hub's chain check passes), kept in its outbox; ``make_bundle`` signs them with the
    device's key."""
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER IF EXISTS sync_op_no_rewrite")
    ops = outbox.pending(con)
    forged = edit(ops)
    prev = outbox.chain_head_before(con, ops[0]["seq"])[1]
    for op in ops:
        op["prev_hash"] = prev
        op["hash"] = prev = op_hash(op)
        con.execute("UPDATE sync_op SET kind = ?, new = ?, old = ?, base_version = ?, actor = ?, prev_hash = ?,"
                    " hash = ? WHERE seq = ?", (op["kind"], canonical(op["new"]), canonical(op["old"]),
                                                op["base_version"], op["actor"], op["prev_hash"], op["hash"], op["seq"]))
    con.commit()
    con.close()
    return forged


def _set(table: str, **values) -> Callable[[list[dict]], str]:
    """An edit: the first pending op on ``table`` carries ``values`` (returns its id)."""
    def edit(ops: list[dict]) -> str:
        op = next(op for op in ops if op["tbl"] == table)
        op["new"].update(values)
        return op["op_id"]
    return edit


def _hub(pg_url: str, sql: str, params=()) -> list[dict]:
    with psycopg.connect(pg_url, row_factory=dict_row) as conn:
        return conn.execute(sql, params).fetchall()


def _live(pg_url: str, table: str) -> int:
    return _hub(pg_url, f'SELECT count(*) AS n FROM "{table}" WHERE deleted_at IS NULL')[0]["n"]


def _assert_refused(pg_url: str, path: Path, table: str, rule: str, field: str | None = None) -> None:
    """Pushed: the forged op (the first of its transaction the hub refuses) refused as ``invalid``
    for ``rule``, with its whole transaction; the refusal recorded at the hub and reported to the
    device in its receipt; nothing applied."""
    before = {t: _live(pg_url, t) for t in ("inspection", "finding", "attachment", "complaint", "site", "case_file")}
    with device(path) as c:
        pushed = [op["op_id"] for op in outbox.pending(c.store.conn)]
    summary = push(path, pg_url)
    assert summary["conflicts"] >= 1, summary
    conflicts = _hub(pg_url, "SELECT * FROM hub_conflict WHERE reason = 'invalid' AND op_id = ANY(%s)"
                             " ORDER BY conflict_id", (pushed,))
    assert conflicts, _hub(pg_url, "SELECT * FROM hub_conflict")
    refused = conflicts[0]
    assert (refused["tbl"], refused["kind"], refused["device_value"]["rule"]) == (table, "refused", rule), refused
    if field is not None:
        assert refused["device_value"]["field"] == field, refused
    assert {t: _live(pg_url, t) for t in before} == before  # nothing applied
    statuses = {r["status"] for r in _hub(pg_url, "SELECT status FROM hub_op WHERE op_id = ANY(%s)", (pushed,))}
    assert statuses == {"refused"}, statuses  # the op and those of its transaction
    with device(path) as c:
        assert sync.status(c)["pending"] == 0  # acknowledged: the device knows
        reported = {r["op_id"]: r["device_value"]["rule"] for r in sync.list_conflicts(c) if r["reason"] == "invalid"}
    assert reported[refused["op_id"]] == rule


def _inspect(path: Path, team: Team, catalogue, **fields) -> str:
    with device(path, "agent1") as c:
        return make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene", **fields)


def _inspect_new_site(path: Path, team: Team, catalogue, **fields) -> str:
    """An inspection of a site the officer records on the spot (the form's new site)."""
    with device(path, "agent1") as c:
        inp = inspection_input(c.store, [c.user], team.sites[0], **fields)
        inp.site_id, inp.new_site = None, SiteInput(name="Épicerie du coin", address="2 rue des Oliviers")
        return submit_inspection(c.store, c.user, inp, catalogue)


# -- valid ops of each kind still go in --------------------------------------------------------

def test_the_applications_own_writes_are_applied(team, tablet, pg_url, catalogue, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    with device(tablet, "agent1") as c:
        stored = c.store.attachments.put_photo(photo)
        inp = inspection_input(c.store, [c.user], team.sites[0], field_code="hygiene", findings=["HYG-01", "HYG-02"],
                               checklist={"HYG-C01": "no"}, origin_type="own_initiative", origin_ref="")
        inp.origin_reason = "Odeur signalée par les voisins"
        inp.photos = [PhotoRef(stored.sha256, "photo.png", stored.mime, stored.size)]
        first = submit_inspection(c.store, c.user, inp, catalogue)
    _inspect_new_site(tablet, team, catalogue, field_code="urbanism", findings=["URB-01"], origin_type="follow_up",
                      origin_ref=first)  # on a new site, following up the first
    with device(tablet, "agent1") as c:
        create_complaint(c.store, c.user, catalogue, ComplaintInput(
            channel="desk", received_on=date(2026, 6, 1),
            description="Bruit et fumée toute la nuit", field_code="hygiene", district_id=team.districts[0]))
    summary = push(tablet, pg_url)
    assert summary["conflicts"] == 0, _hub(pg_url, "SELECT * FROM hub_conflict")
    assert _hub(pg_url, "SELECT count(*) AS n FROM hub_conflict")[0]["n"] == 0
    assert (_live(pg_url, "inspection"), _live(pg_url, "finding"), _live(pg_url, "attachment"),
            _live(pg_url, "complaint"), _live(pg_url, "site")) == (2, 3, 1, 1, 3)


def test_a_coordinators_triage_and_a_site_correction_are_applied(team, tmp_path, pg_url, catalogue):
    officer = new_device(team, tmp_path, "agent1")
    with device(officer, "agent1") as c:
        create_complaint(c.store, c.user, catalogue, ComplaintInput(
            channel="phone", received_on=date(2026, 6, 2),
            description="Dépôt d'ordures sur le trottoir", district_id=team.districts[0]))
    push(officer, pg_url)
    coordinator = new_device(team, tmp_path, "coord")
    from desktop.store.complaints import accept
    from desktop.services.sites import edit_site, site_input
    from desktop.store.sites import get_site
    with device(coordinator, "coord") as c:
        accept(c.store, c.user, c.store.scalar("SELECT id FROM complaint"))
        site = site_input(get_site(c.store, team.sites[0]))
        site.name = "Café Anfa (nouveau nom)"
        edit_site(c, team.sites[0], site)
    summary = push(coordinator, pg_url)
    assert summary["conflicts"] == 0, _hub(pg_url, "SELECT * FROM hub_conflict")
    assert _hub(pg_url, "SELECT status FROM complaint")[0]["status"] == "accepted"
    assert _hub(pg_url, "SELECT name FROM site WHERE id = %s", (team.sites[0],))[0]["name"] == "Café Anfa (nouveau nom)"


# -- inspections -----------------------------------------------------------------------------

@pytest.mark.parametrize("values, rule, field", [
    ({"field_code": "astrology"}, "unknown_field", "field_code"),
    ({"inspected_at": "2099-01-01T10:00:00Z"}, "date_in_future", "inspected_at"),
    ({"inspected_at": "hier"}, "date_invalid", "inspected_at"),
    ({"checklist": "{not json"}, "checklist_invalid", "checklist"),
    ({"checklist": json.dumps({"URB-C01": "yes"})}, "unknown_checklist_item", "checklist"),
    ({"checklist": json.dumps({"HYG-C01": "maybe"})}, "answer_invalid", "checklist"),
    ({"lon": 500.0}, "coordinates_invalid", "location"),
    ({"outcome": "compliant"}, "compliant_with_findings", "outcome"),
    ({"outcome": "won"}, "outcome_invalid", "outcome"),
    ({"origin_type": "own_initiative", "origin_reason": "bof"}, "reason_too_short", "origin_reason"),
    ({"origin_type": "follow_up", "origin_ref": "no-such-inspection", "followup_of": "no-such-inspection"},
     "followup_unknown", "origin_ref"),
    ({"site_id": "no-such-site"}, "site_unknown", "site"),
    ({"second_officer_id": "no-such-user"}, "officer_unknown", "officers"),
    ({"notes": "ok\u202etxet"}, "text_hidden_characters", "notes"),
])
def test_an_inspection_the_form_would_refuse_is_refused(team, tablet, pg_url, catalogue, values, rule, field):
    _inspect(tablet, team, catalogue, findings=["HYG-01"])
    _forge(tablet, _set("inspection", **values))
    _assert_refused(pg_url, tablet, "inspection", rule, field)


def test_an_inspection_led_by_an_inactive_or_non_field_user_is_refused(team, tmp_path, pg_url, catalogue):
    tablet = new_device(team, tmp_path, "agent1")
    _inspect(tablet, team, catalogue)
    # agent2, an officer of the commune, leads: the application allows it (any officer may lead)...
    _forge(tablet, _set("inspection", lead_officer_id=team.users["agent2"], second_officer_id=team.users["agent1"]))
    assert push(tablet, pg_url)["conflicts"] == 0
    # ... but not once his account is deactivated, nor the administrator (not a field role)
    with psycopg.connect(pg_url) as conn:
        conn.execute('UPDATE "user" SET active = 0 WHERE id = %s', (team.users["agent2"],))
    _inspect(tablet, team, catalogue)
    _forge(tablet, _set("inspection", second_officer_id=team.users["agent2"]))
    _assert_refused(pg_url, tablet, "inspection", "officer_unknown", "officers")


def test_an_inspection_outside_the_commune_or_its_arrondissement_is_refused(tmp_path, empty_commune_path, pg_url,
                                                                            catalogue):
    seed = tmp_path / "seed.sqlite"
    seed.write_bytes(empty_commune_path.read_bytes())
    with open_commune(seed) as c:
        d1 = make_district(c.store, "D1", geometry=D1_SHAPE)
        d2 = make_district(c.store, "D2", geometry=D2_SHAPE)
        make_user(c.store, "officer", username="agent1", district_id=d1)
        make_user(c.store, "officer", username="agent2", district_id=d2)
        site = make_site(c.store, district_id=d1)
    init_hub(pg_url, seed)
    team = Team(seed, pg_url, (d1, d2), {}, (site, site))
    tablet = new_device(team, tmp_path, "agent1")
    _inspect(tablet, team, catalogue)
    _forge(tablet, _set("inspection", lon=-7.55))  # in D2, recorded in D1 (agent1's)
    _assert_refused(pg_url, tablet, "inspection", "district_not_at_point", "district")
    with psycopg.connect(pg_url) as conn:
        conn.execute("DELETE FROM hub_conflict")
    _inspect(tablet, team, catalogue)
    _forge(tablet, _set("inspection", lon=2.35, lat=48.85))  # Paris
    _assert_refused(pg_url, tablet, "inspection", "coordinates_outside_commune", "location")


# -- findings --------------------------------------------------------------------------------

@pytest.mark.parametrize("values, rule", [
    ({"violation_code": "URB-01"}, "unknown_violation"),   # a violation of another field
    ({"violation_code": "HYG-99"}, "unknown_violation"),   # absent from the catalogue
    ({"measure_value": -3.0}, "measure_invalid"),
    ({"inspection_id": "no-such-inspection"}, "inspection_unknown"),
])
def test_a_finding_the_catalogue_does_not_allow_is_refused(team, tablet, pg_url, catalogue, values, rule):
    _inspect(tablet, team, catalogue, findings=["HYG-01"])
    _forge(tablet, _set("finding", **values))
    _assert_refused(pg_url, tablet, "finding", rule)


def test_the_communes_catalogue_extension_is_the_hubs(tmp_path, empty_commune_path, pg_url, catalogue):
    """A field added by the commune's extension (catalogue.d beside its database) is known at the
    hub: its inspections go in; a code of no catalogue is refused."""
    extension = catalogue_dir(tmp_path / "seed.sqlite")
    extension.mkdir()
    (extension / "noise.json").write_text(json.dumps({"catalogue_version": 1, "fields": [{
        "code": "noise", "ar": "الضوضاء", "fr": "Bruit", "checklist": [],
        "violations": [{"code": "NOI-01", "ar": "ضوضاء", "fr": "Bruit excessif", "basis": [{"text": "L113-14"}],
                        "severity": "minor", "deadline_days": 8, "next_step": "formal_notice"}]}]}),
        encoding="utf-8")
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        make_inspection(c.store, c.user, c.catalogue, team.sites[0], field_code="noise", findings=["NOI-01"])
    assert push(tablet, pg_url)["conflicts"] == 0
    assert _live(pg_url, "finding") == 1
    _inspect(tablet, team, catalogue, findings=["HYG-01"])
    _forge(tablet, _set("finding", violation_code="NOI-02"))
    _assert_refused(pg_url, tablet, "finding", "unknown_violation")


# -- audit columns ---------------------------------------------------------------------------

@pytest.mark.parametrize("values, field", [
    ({"created_by": "someone-else"}, "created_by"),
    ({"updated_by": "someone-else"}, "updated_by"),
    ({"version": 7}, "version"),
    ({"device_id": "another-device"}, "device_id"),
    ({"updated_at": "2020-01-01T00:00:00Z"}, "created_at"),
])
def test_an_insert_with_forged_audit_columns_is_refused(team, tablet, pg_url, catalogue, values, field):
    _inspect(tablet, team, catalogue)
    _forge(tablet, _set("inspection", **values))
    _assert_refused(pg_url, tablet, "inspection", "audit", field)


def test_a_change_that_rewrites_who_created_a_row_is_refused(team, tmp_path, pg_url, catalogue):
    coordinator = new_device(team, tmp_path, "coord")
    from desktop.services.sites import edit_site, site_input
    from desktop.store.sites import get_site
    with device(coordinator, "coord") as c:
        site = site_input(get_site(c.store, team.sites[0]))
        site.activity = "Café"
        edit_site(c, team.sites[0], site)
    _forge(coordinator, _set("site", created_by=team.users["agent2"]))
    _assert_refused(pg_url, coordinator, "site", "audit", "created_by")


# -- sites, complaints, attachments ------------------------------------------------------------

@pytest.mark.parametrize("values, rule", [
    ({"kind": "castle"}, "site_kind_invalid"),
    ({"owner_id_kind": "passport"}, "owner_id_kind_invalid"),
    ({"owner_id_kind": "cin", "owner_id_number": ""}, "owner_id_number_required"),
    ({"name": "x" * 301}, "text_too_long"),
    ({"name": "  "}, "required"),
])
def test_a_site_the_registry_would_refuse_is_refused(team, tablet, pg_url, catalogue, values, rule):
    _inspect_new_site(tablet, team, catalogue, field_code="hygiene")
    _forge(tablet, _set("site", **values))
    _assert_refused(pg_url, tablet, "site", rule)


@pytest.mark.parametrize("values, rule", [
    ({"channel": "pigeon"}, "complaint_channel_invalid"),
    ({"received_on": "2099-01-01", "answer_due": "2099-03-02"}, "date_in_future"),
    ({"description": "court"}, "complaint_description_short"),
    ({"field_code": "astrology"}, "unknown_field"),
    ({"status": "answered"}, "complaint_triage_invalid"),
    ({"answer_due": "2030-01-01"}, "date_invalid"),
])
def test_a_complaint_the_application_would_refuse_is_refused(team, tablet, pg_url, catalogue, values, rule):
    with device(tablet, "agent1") as c:
        create_complaint(c.store, c.user, catalogue, ComplaintInput(
            channel="desk", received_on=date(2026, 6, 1),
            description="Bruit et fumée toute la nuit", district_id=team.districts[0]))
    _forge(tablet, _set("complaint", **values))
    _assert_refused(pg_url, tablet, "complaint", rule)


def test_a_triage_move_the_application_does_not_allow_is_refused(team, tmp_path, pg_url, catalogue):
    officer = new_device(team, tmp_path, "agent1")
    with device(officer, "agent1") as c:
        create_complaint(c.store, c.user, catalogue, ComplaintInput(
            channel="desk", received_on=date(2026, 6, 1),
            description="Bruit et fumée toute la nuit", district_id=team.districts[0]))
    push(officer, pg_url)
    coordinator = new_device(team, tmp_path, "coord")
    from desktop.store.complaints import accept
    with device(coordinator, "coord") as c:
        accept(c.store, c.user, c.store.scalar("SELECT id FROM complaint"))
    _forge(coordinator, _set("complaint", status="answered"))  # received → answered: no such move
    _assert_refused(pg_url, coordinator, "complaint", "complaint_triage_invalid", "status")
    assert _hub(pg_url, "SELECT status FROM complaint")[0]["status"] == "received"


@pytest.mark.parametrize("values, rule", [
    ({"size": -1}, "size_invalid"),
    ({"owner_type": "site"}, "owner_invalid"),
    ({"owner_id": "no-such-inspection"}, "owner_unknown"),
])
def test_an_attachment_the_application_would_not_record_is_refused(team, tablet, pg_url, catalogue, tmp_path,
                                                                   values, rule):
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    with device(tablet, "agent1") as c:
        stored = c.store.attachments.put_photo(photo)
        inp = inspection_input(c.store, [c.user], team.sites[0], field_code="hygiene")
        inp.photos = [PhotoRef(stored.sha256, "photo.png", stored.mime, stored.size)]
        submit_inspection(c.store, c.user, inp, catalogue)
    _forge(tablet, _set("attachment", **values))
    _assert_refused(pg_url, tablet, "attachment", rule)


def test_an_attachment_changed_to_a_name_that_is_no_hash_is_refused(team, tablet, pg_url, catalogue, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    with device(tablet, "agent1") as c:
        stored = c.store.attachments.put_photo(photo)
        inp = inspection_input(c.store, [c.user], team.sites[0], field_code="hygiene")
        inp.photos = [PhotoRef(stored.sha256, "photo.png", stored.mime, stored.size)]
        submit_inspection(c.store, c.user, inp, catalogue)
    assert push(tablet, pg_url)["conflicts"] == 0
    with device(tablet, "agent1") as c:  # a hostile amendment, built by hand in the device's outbox
        row = outbox.read_row(c.store.conn, "attachment", c.store.scalar("SELECT id FROM attachment"))
        with c.store.conn:
            outbox.capture(c.store.conn, device_id=c.store.device_id, actor=c.user.id, table="attachment",
                           row_id=row["id"], kind="update", before=row,
                           after={**row, "sha256": "../../etc/passwd", "version": row["version"] + 1,
                                  "updated_at": utc_now()}, tx="hostile")
    _assert_refused(pg_url, tablet, "attachment", "attachment_bad_hash", "sha256")
    assert _hub(pg_url, "SELECT sha256 FROM attachment")[0]["sha256"] == stored.sha256


def test_a_refused_insert_comes_back_to_the_device_tombstoned(team, tablet, pg_url, catalogue):
    inspection_id = _inspect(tablet, team, catalogue, findings=["HYG-01"])
    _forge(tablet, _set("finding", violation_code="DOM-01"))
    push(tablet, pg_url)
    with device(tablet) as c:
        sync.apply_pull(c, pull(pg_url, sync.status(c)["device_id"], sync.status(c)["cursor"]))
        assert c.store.scalar("SELECT deleted_at FROM inspection WHERE id = ?", (inspection_id,)) is not None


# -- the demo's data passes ------------------------------------------------------------------

@pytest.mark.slow
def test_the_demo_communes_rows_pass_the_hubs_rules(demo_path, pg_url, catalogue):
    """Every row the demo writes (3,000 inspections with their findings, sites, complaints, photos)
    is one the hub's rules accept, but those the application's own form refuses too: the hub is
    not stricter than the application. (The demo places a few visits some metres across their
    site's arrondissement border, with the site's arrondissement: the form says
    ``district_not_at_point`` to those as well.)"""
    from desktop.domain.complaints import device_code, reference_problem
    from desktop.domain.model import FindingInput
    from desktop.domain.validation import inspection_input as as_input, validate_inspection
    from desktop.hub import validate
    from desktop.hub.base import connect, schema
    from desktop.hub.state import BundleRows
    from desktop.store.districts import district_locator
    from desktop.store.inspections import validation_context
    init_hub(pg_url, demo_path)
    tables = ("site", "authorisation", "complaint", "inspection", "finding", "attachment")
    with connect(pg_url) as conn, conn.transaction():
        hub_schema = schema(conn)
        held = {t: conn.execute(f'SELECT * FROM "{t}" WHERE deleted_at IS NULL').fetchall() for t in tables}
        assert len(held["inspection"]) == 3000 and held["finding"] and held["complaint"] and held["attachment"]
        ops = [{"tbl": t, "row_id": r["id"], "kind": "insert", "device_id": r["device_id"],
                "new": {k: v for k, v in r.items() if k not in ("hub_seq", "scope_district")}}
               for t in tables for r in held[t]]
        rows = BundleRows(conn, hub_schema, ops)
        refused, numbered = [], 0
        for op in ops:
            row = {**op["new"], "status": "received"} if op["tbl"] == "complaint" else op["new"]
            found = validate._TABLES[op["tbl"]](rows, op, row)
            if found is not None and found["rule"] == "complaint_reference_series":
                # the demo is a standalone commune (PL-YYYY-NNNNN, a district president's own
                # number): an enrolled device's application refuses these references too, and the
                # rule is checked after every other rule of the complaint
                assert reference_problem(row["reference"], row["channel"], device_code(op["device_id"])), row
                numbered += 1
            elif found is not None:
                refused.append((op["tbl"], row, found))
    assert len(refused) < 10, refused[:3]
    assert 0 < numbered < len(held["complaint"])  # the Chikaya complaints keep the portal's numbers
    with open_commune(demo_path) as c:
        ctx = validation_context(c.store, district_locator(c.store))
        for table, row, found in refused:
            assert table == "inspection", (table, found)
            inp = as_input(row)
            inp.findings = [FindingInput(f["violation_code"], f["measure_value"]) for f in held["finding"]
                            if f["inspection_id"] == row["id"]]
            assert found["rule"] in {p.code for p in validate_inspection(inp, catalogue, ctx)}, (row, found)


def test_a_triage_on_a_state_moved_on_is_stale_not_invalid(team, tmp_path, pg_url, catalogue):
    """Two stations of the coordinator triage the same complaint: the second's move (received →
    forwarded) is one the application allows from what it saw; the hub refuses it as stale."""
    from desktop.store.complaints import accept, forward
    officer = new_device(team, tmp_path, "agent1")
    with device(officer, "agent1") as c:
        create_complaint(c.store, c.user, catalogue, ComplaintInput(
            channel="desk", received_on=date(2026, 6, 1), description="Bruit et fumée toute la nuit",
            district_id=team.districts[0]))
    push(officer, pg_url)
    first, second = (new_device(team, tmp_path, "coord", name) for name in ("station1", "station2"))
    with device(first, "coord") as c:
        accept(c.store, c.user, c.store.scalar("SELECT id FROM complaint"))
    with device(second, "coord") as c:
        forward(c.store, c.user, c.store.scalar("SELECT id FROM complaint"), "Agence urbaine")
    push(first, pg_url)
    push(second, pg_url)
    reasons = [r["reason"] for r in _hub(pg_url, "SELECT reason FROM hub_conflict ORDER BY conflict_id")]
    assert reasons == ["stale_state"]
    assert _hub(pg_url, "SELECT status FROM complaint")[0]["status"] == "accepted"
