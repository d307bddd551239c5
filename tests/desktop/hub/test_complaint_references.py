"""Complaint references are unique across the team by construction: an enrolled device numbers in
its own series (PL-YYYY-CCCC-NNNNN, CCCC its code, which the hub gives no two devices), at intake,
offline; a standalone installation keeps PL-YYYY-NNNNN. The hub refuses a complaint whose reference
is not of the sending device's series, or is another complaint's (``validate._reference``), and
says why; a refused complaint kept tombstoned takes nobody's number; references two complaints
already shared at the hub stay as they are."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row

from desktop.domain.sync import GENESIS
from desktop.domain.complaints import ComplaintError, device_code, reference_problem
from desktop.hub import devices as hub_devices
from desktop.i18n import Translator
from desktop.services import sync
from desktop.store.complaints import ComplaintInput, accept, create_complaint, import_open311
from tests.desktop.hub.helpers import Team, assert_check_ok, device, new_device, push, sync_device
from tests.desktop.hub.test_validate import _assert_refused, _forge, _hub, _set

DAY = date(2026, 6, 1)
USER_DISTRICT = {"agent1": 0, "agent2": 1, "coord": 0}


def _complain(path: Path, team: Team, catalogue, username: str, reference: str = "", channel: str = "desk") -> str:
    with device(path, username) as c:
        complaint_id = create_complaint(c.store, c.user, catalogue, ComplaintInput(
            channel=channel, received_on=DAY, reference=reference, description="Bruit et fumée toute la nuit",
            district_id=team.districts[USER_DISTRICT[username]]))
        return c.store.scalar("SELECT reference FROM complaint WHERE id = ?", (complaint_id,))


def _own_code(path: Path) -> str:
    with device(path) as c:
        return device_code(c.store.device_id)


def _references(pg_url: str) -> list[str]:
    return [r["reference"] for r in _hub(pg_url, "SELECT reference FROM complaint WHERE deleted_at IS NULL")]


# -- on the device -------------------------------------------------------------------------------

def test_a_standalone_commune_keeps_its_numbering(empty_commune, catalogue):
    from tests.builders import make_district, make_user
    district = make_district(empty_commune, "D1")
    user = make_user(empty_commune, "coordinator")
    made = [create_complaint(empty_commune, user, catalogue, ComplaintInput(
        channel="desk", received_on=DAY, description="Bruit et fumée toute la nuit", district_id=district))
        for _ in range(2)]
    assert [empty_commune.scalar("SELECT reference FROM complaint WHERE id = ?", (i,)) for i in made] == \
        ["PL-2026-00001", "PL-2026-00002"]


def test_an_enrolled_device_numbers_in_its_own_series(team, tmp_path, catalogue):
    tablet = new_device(team, tmp_path, "agent1")
    code = _own_code(tablet)
    assert len(code) == 4 and code.isalnum() and code.isupper()
    assert [_complain(tablet, team, catalogue, "agent1") for _ in range(2)] == \
        [f"PL-2026-{code}-00001", f"PL-2026-{code}-00002"]
    # a Chikaya complaint keeps the portal's number
    assert _complain(tablet, team, catalogue, "agent1", "CHK-2026-W000123", "chikaya") == "CHK-2026-W000123"
    # the commune's numbering is the devices': another series, or a number typed in, is refused at once
    for reference, channel in (("PL-2026-00009", "desk"), ("PL-2026-ZZZZ-00001", "chikaya"), ("12/2026", "letter")):
        with pytest.raises(ComplaintError) as refused:
            _complain(tablet, team, catalogue, "agent1", reference, channel)
        assert refused.value.code == "complaint_reference_series"
        assert reference in Translator("fr")(f"c.{refused.value.code}", **refused.value.params)


def test_an_open311_import_on_an_enrolled_station_keeps_the_portals_ids(team, tmp_path, catalogue):
    station = new_device(team, tmp_path, "coord")
    requests = [{"service_request_id": "GR-77", "requested_datetime": "2026-06-01T09:00:00Z",
                 "description": "Dépôt sauvage derrière le marché"}]
    path = tmp_path / "open311.json"
    path.write_text(json.dumps(requests), encoding="utf-8")
    with device(station, "coord") as c:
        assert import_open311(c.store, c.user, catalogue, path) == 1
    path.write_text(json.dumps([{**requests[0], "service_request_id": f"PL-2026-{_own_code(station)}X-00001"},
                                {**requests[0], "service_request_id": "PL-2026-00001"}]), encoding="utf-8")
    with device(station, "coord") as c, pytest.raises(ComplaintError) as refused:
        import_open311(c.store, c.user, catalogue, path)
    assert [p[1] for p in refused.value.params["problems"]] == ["complaint_reference_series"] * 2
    sync_device(station, team.pg_url)
    assert _references(team.pg_url) == ["GR-77"]


def test_the_hub_gives_no_two_devices_one_code(team, tmp_path, monkeypatch):
    """A new device's id is drawn again while its code is an enrolled (or revoked) device's."""
    first = new_device(team, tmp_path, "agent1")
    with device(first) as c:
        taken = c.store.device_id
    twin = taken[:-12] + "000000" + taken[-6:]   # another id, the same last 20 bits
    assert twin != taken and device_code(twin) == device_code(taken)
    drawn = iter([twin, twin, "01890000-0000-7000-8000-0000000abcde"])
    monkeypatch.setattr(hub_devices, "uuid7", lambda: next(drawn))
    second = new_device(team, tmp_path, "agent1", "second")
    assert _own_code(second) == device_code("01890000-0000-7000-8000-0000000abcde") != device_code(taken)


def test_hub_check_names_devices_enrolled_before_with_one_code(team, tmp_path):
    """Devices enrolled before the hub drew codes apart may share one: ``hub check`` names them
    (re-enrolling one ends it); devices of distinct codes are not named."""
    from desktop.hub.check import check_hub
    first = new_device(team, tmp_path, "agent1")
    with device(first) as c:
        taken = c.store.device_id
    assert check_hub(team.pg_url)[1] == []
    twin = taken[:-12] + "000000" + taken[-6:]   # as an enrolment before this version could have drawn it
    with psycopg.connect(team.pg_url) as conn:
        conn.execute("INSERT INTO hub_device (device_id, user_id, username, role, public_key, full_scope,"
                     " enrolled_at, last_hash) SELECT %s, user_id, username, role, public_key, full_scope,"
                     " enrolled_at, %s FROM hub_device WHERE device_id = %s", (twin, GENESIS, taken))
    problems = check_hub(team.pg_url)[1]
    assert problems == [f"devices {', '.join(sorted([taken, twin]))}: one complaint series code"
                        f" ({device_code(taken)}); re-enrol all but one"]


# -- two devices offline the same day -------------------------------------------------------------

def test_two_tablets_offline_the_same_day_give_distinct_references(team, tmp_path, catalogue):
    """Two officers' tablets (one arrondissement each: neither sees the other's complaints) and a
    second tablet of the first officer, offline all day: each numbers from 00001; once synced,
    every reference is distinct, all applied, and every replica (the coordinator's holds them all,
    under its UNIQUE reference) takes the pull."""
    tablets = [new_device(team, tmp_path, user, name) for user, name in
               (("agent1", "t1"), ("agent2", "t2"), ("agent1", "t3"))]
    coordinator = new_device(team, tmp_path, "coord")
    made = {}
    for path, user in zip(tablets, ("agent1", "agent2", "agent1")):
        made[path] = [_complain(path, team, catalogue, user) for _ in range(3)]
        assert made[path][0].endswith("-00001")
    for path in tablets:
        assert push(path, team.pg_url)["conflicts"] == 0
    every = [r for refs in made.values() for r in refs]
    assert len(set(every)) == 9 and sorted(_references(team.pg_url)) == sorted(every)
    for path in (*tablets, coordinator):
        sync_device(path, team.pg_url)
        assert_check_ok(path)
    with device(coordinator) as c:
        assert sorted(r["reference"] for r in c.store.query("SELECT reference FROM complaint")) == sorted(every)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(plan=st.lists(st.tuples(st.sampled_from(["agent1", "agent2", "coord"]), st.integers(0, 3)),
                     min_size=2, max_size=4),
       order=st.randoms(use_true_random=False))
def test_property_devices_offline_never_share_a_reference(team, tmp_path_factory, catalogue, plan, order):
    """Any number of devices (new ones each time, at one hub), each making some complaints the
    same day offline, pushed in any order: no refusal, and every reference at the hub distinct."""
    root = tmp_path_factory.mktemp("devices")
    paths = [(new_device(team, root, user, f"d{n}"), user) for n, (user, _) in enumerate(plan)]
    for (path, user), (_, count) in zip(paths, plan):
        for _ in range(count):
            _complain(path, team, catalogue, user)
    order.shuffle(paths)
    for path, _ in paths:
        assert push(path, team.pg_url)["conflicts"] == 0
    references = _references(team.pg_url)
    assert len(references) == len(set(references))


# -- attacks: a device sending another's series, or a duplicate ----------------------------------

def test_another_devices_series_is_refused_and_takes_nothing(team, tmp_path, catalogue):
    """A hostile tablet sends a complaint numbered in another tablet's series: refused (and said
    why, with the reference), kept tombstoned under a marked reference; the other tablet's own
    complaint of that number then goes in, and the coordinator's replica takes both."""
    victim, attacker = new_device(team, tmp_path, "agent1", "victim"), new_device(team, tmp_path, "agent1", "attacker")
    stolen = f"PL-2026-{_own_code(victim)}-00001"
    _complain(attacker, team, catalogue, "agent1")
    _forge(attacker, _set("complaint", reference=stolen))
    _assert_refused(team.pg_url, attacker, "complaint", "complaint_reference_series", "reference")
    with device(attacker) as c:
        [conflict] = sync.list_conflicts(c)
    assert conflict["device_value"]["values"]["reference"] == stolen
    assert _complain(victim, team, catalogue, "agent1") == stolen
    assert push(victim, team.pg_url)["conflicts"] == 0
    assert _references(team.pg_url) == [stolen]
    buried = _hub(team.pg_url, "SELECT reference FROM complaint WHERE deleted_at IS NOT NULL")
    assert [r["reference"] for r in buried] == [f"{stolen}~{conflict['row_id']}"]
    coordinator = new_device(team, tmp_path, "coord")
    for path in (attacker, victim, coordinator):
        sync_device(path, team.pg_url)
        assert_check_ok(path)


@pytest.mark.parametrize("reference", ["PL-2026-0001", "pl-2026-{code}-00001", "PL-2026-{code}-1", "PL-26-00001"])
def test_a_reference_outside_the_series_is_refused(team, tmp_path, catalogue, reference):
    tablet = new_device(team, tmp_path, "agent1")
    _complain(tablet, team, catalogue, "agent1")
    _forge(tablet, _set("complaint", reference=reference.format(code=_own_code(tablet))))
    _assert_refused(team.pg_url, tablet, "complaint", "complaint_reference_series", "reference")


def test_a_complaint_numbered_before_the_update_still_reaches_the_record(team, tmp_path, catalogue):
    """A tablet updated with complaints still pending in the standalone numbering (PL-YYYY-NNNNN):
    the hub takes those that no other complaint holds and refuses, with its reason, one that
    another complaint already holds (the uniqueness the series now gives by construction)."""
    tablet = new_device(team, tmp_path, "agent1")
    _complain(tablet, team, catalogue, "agent1")
    _forge(tablet, _set("complaint", reference="PL-2026-00077"))
    assert push(tablet, team.pg_url)["conflicts"] == 0
    assert _references(team.pg_url) == ["PL-2026-00077"]
    other = new_device(team, tmp_path, "agent2", "other")
    _complain(other, team, catalogue, "agent2")
    _forge(other, _set("complaint", reference="PL-2026-00077"))
    _assert_refused(team.pg_url, other, "complaint", "complaint_duplicate_reference", "reference")


def test_a_portal_reference_in_the_communes_numbering_is_refused(team, tmp_path, catalogue):
    """A Chikaya number that is in fact a device's PL- number would take that device's number."""
    tablet, other = new_device(team, tmp_path, "agent1"), new_device(team, tmp_path, "agent1", "other")
    _complain(tablet, team, catalogue, "agent1", "CHK-2026-W1", "chikaya")
    _forge(tablet, _set("complaint", reference=f"PL-2026-{_own_code(other)}-00001"))
    _assert_refused(team.pg_url, tablet, "complaint", "complaint_reference_series", "reference")


def test_a_duplicate_reference_is_refused(team, tmp_path, catalogue):
    """The same Chikaya complaint entered on two tablets offline: the second is refused as a
    duplicate, with its reference, in the officer's language; every replica still takes the pull."""
    first, second = new_device(team, tmp_path, "agent1", "first"), new_device(team, tmp_path, "agent2", "second")
    for path, user in ((first, "agent1"), (second, "agent2")):
        _complain(path, team, catalogue, user, "CHK-2026-W42", "chikaya")
    push(first, team.pg_url)
    _assert_refused(team.pg_url, second, "complaint", "complaint_duplicate_reference", "reference")
    assert _references(team.pg_url) == ["CHK-2026-W42"]
    with device(second) as c:
        [conflict] = sync.list_conflicts(c)
    from desktop.ui.conflicts_page import rule_text  # the words the Conflits page shows
    for lang, words in (("fr", "La plainte n° \u2066CHK-2026-W42\u2069 est déjà enregistrée"),
                        ("ar", "رقم الشكاية \u2066CHK-2026-W42\u2069 مسجل مسبقا")):
        assert rule_text(Translator(lang), conflict) == words
    coordinator = new_device(team, tmp_path, "coord")
    for path in (first, second, coordinator):
        sync_device(path, team.pg_url)
        assert_check_ok(path)


def test_a_duplicate_within_one_bundle_is_refused(team, tmp_path, catalogue):
    """Two complaints of one bundle, the second forged to the first's reference."""
    tablet = new_device(team, tmp_path, "agent1")
    first = _complain(tablet, team, catalogue, "agent1")
    _complain(tablet, team, catalogue, "agent1")

    def second_takes_the_first(ops: list[dict]) -> str:
        op = [op for op in ops if op["tbl"] == "complaint"][1]
        op["new"]["reference"] = first
        return op["op_id"]
    _forge(tablet, second_takes_the_first)
    push(tablet, team.pg_url)
    assert _references(team.pg_url) == [first]
    refused = _hub(team.pg_url, "SELECT device_value FROM hub_conflict WHERE reason = 'invalid'")
    assert [r["device_value"]["rule"] for r in refused] == ["complaint_duplicate_reference"]


def test_a_reference_is_never_rewritten(team, tmp_path, catalogue):
    tablet = new_device(team, tmp_path, "agent1")
    reference = _complain(tablet, team, catalogue, "agent1")
    push(tablet, team.pg_url)
    coordinator = new_device(team, tmp_path, "coord")
    with device(coordinator, "coord") as c:
        accept(c.store, c.user, c.store.scalar("SELECT id FROM complaint"))
    _forge(coordinator, _set("complaint", reference="CHK-2026-W9"))
    _assert_refused(team.pg_url, coordinator, "complaint", "complaint_reference_fixed", "reference")
    assert _references(team.pg_url) == [reference]


def test_a_duplicate_the_hub_already_held_is_left_as_it_is(team, tmp_path, catalogue):
    """Two complaints the hub holds under one reference (synced so before this rule): both stay,
    and are triaged like any other (only a new complaint's reference is checked)."""
    tablet = new_device(team, tmp_path, "agent1")
    reference = _complain(tablet, team, catalogue, "agent1")
    push(tablet, team.pg_url)
    coordinator = new_device(team, tmp_path, "coord")
    with psycopg.connect(team.pg_url, row_factory=dict_row) as conn:
        row = conn.execute("SELECT * FROM complaint").fetchone()
        row = {**row, "id": "0189aaaa-0000-7000-8000-000000000001", "reference": reference}
        conn.execute(f"INSERT INTO complaint ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})",
                     list(row.values()))
    with device(coordinator, "coord") as c:
        accept(c.store, c.user, c.store.scalar("SELECT id FROM complaint"))
    assert push(coordinator, team.pg_url)["conflicts"] == 0
    assert sorted((r["reference"], r["status"]) for r in _hub(team.pg_url, "SELECT reference, status FROM complaint")) \
        == [(reference, "accepted"), (reference, "received")]


def test_the_check_is_the_domains():
    """``reference_problem`` in brief: own series; portal references as given, outside PL-."""
    assert reference_problem("PL-2026-7KQ3-00001", "desk", "7KQ3") is None
    assert reference_problem("PL-2026-7KQ3-00001", "desk", "7KQ4") == "complaint_reference_series"
    assert reference_problem("CHK-2026-W1", "chikaya", "7KQ3") is None
    assert reference_problem("GR-77", "open311", "7KQ3") is None
    assert reference_problem("GR-77", "desk", "7KQ3") == "complaint_reference_series"
    assert reference_problem("", "chikaya", "7KQ3") == "complaint_reference_series"
    # the standalone numbering: made by no enrolled device any more, taken at the hub (unique)
    assert reference_problem("PL-2026-00001", "desk", "7KQ3") == "complaint_reference_series"
    assert reference_problem("PL-2026-00001", "desk", "7KQ3", at_hub=True) is None
    assert device_code("01890000-0000-7000-8000-000000000000") == "0000"
    assert device_code("01890000-0000-7000-8000-0000000fffff") == "ZZZZ"
