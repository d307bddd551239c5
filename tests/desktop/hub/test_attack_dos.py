"""Attacks on the hub's availability by a device (stolen, or revoked but still holding its key):
filling the quarantine, numbers PostgreSQL cannot hold."""
import importlib

import httpx
import pytest

from desktop.domain.errors import Refusal
from desktop.domain.bundle import peek
from desktop.domain.sync import BUNDLE_MAX_CONFLICTS
from desktop.hub import ingest, revoke
from desktop.hub.check import check_hub
from desktop.services import netsync
from desktop.services.hubwire import sign_request
from tests.builders import PASSWORD
from tests.desktop.hub.attacker import Attacker, hub_rows, relink
from tests.desktop.hub.helpers import new_device
from tests.desktop.hub.server import HubServer

hub_ingest = importlib.import_module("desktop.hub.ingest")  # the module (``desktop.hub.ingest`` is the function)


def test_a_revoked_device_cannot_fill_the_quarantine(team, tmp_path):
    attacker = Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)
    revoke(team.pg_url, attacker.device_id, "coord")
    padding = "x" * 200_000
    site = hub_rows(team.pg_url, "SELECT name, version FROM site WHERE id = %s", (team.sites[0],))[0]
    data = attacker.bundle([attacker.op("site", team.sites[0], "update", {"name": padding},
                                        old={"name": site["name"]}, base_version=site["version"])])
    for _ in range(20):
        with pytest.raises(Refusal) as refused:
            ingest(team.pg_url, data)
        assert refused.value.key == "sync.device_revoked"
    assert hub_rows(team.pg_url, "SELECT name FROM site WHERE id = %s", (team.sites[0],)) == [{"name": site["name"]}]
    kept = hub_rows(team.pg_url, "SELECT count(*) AS n, coalesce(sum(length(bundle)), 0) AS bytes"
                    " FROM hub_quarantine")[0]
    assert kept["n"] == 1, f"{kept['n']} copies, {kept['bytes']} bytes kept of one bundle"


def test_numbers_postgresql_cannot_hold_are_a_refusal_and_the_hub_stays_up(team, tmp_path):
    with HubServer(team.pg_url) as hub:
        tablet = tmp_path / "t.sqlite"
        device_id = netsync.enroll_device(tablet, hub.url, "agent1", PASSWORD).status["device_id"]
        key = netsync.device_key(tablet)
        for cursor in ("99999999999999999999999", "-1", "1e3", "0x10"):
            target = f"/v1/pull?cursor={cursor}"
            answer = httpx.get(hub.url + target, headers=sign_request(key, device_id, "GET", target, b""))
            assert answer.status_code in (200, 400), (cursor, answer.status_code)
            assert answer.status_code == 200 or answer.json()["code"] == "net.bad_request"
        assert httpx.get(hub.url + "/v1/status").status_code == 200


def test_one_bundle_of_junk_ops_cannot_flood_the_conflicts_queue(team, tmp_path):
    attacker = Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)
    junk = [attacker.op(f"t{i}", f"r{i}", "insert", {"x": i}) for i in range(3000)]
    try:
        receipt = peek(ingest(team.pg_url, attacker.bundle(junk)))
        # stopped between two transactions: the rest is not acknowledged (nor stored)
        assert receipt["through_seq"] < junk[-1]["seq"]
        assert hub_rows(team.pg_url, "SELECT max(seq) AS s FROM hub_op")[0]["s"] == receipt["through_seq"]
    except Refusal:
        pass  # refused as a whole: the safe answer
    flooded = hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_conflict")[0]["n"]
    assert flooded <= 1000, f"{flooded} conflicts queued for the coordinator by one bundle"
    assert check_hub(team.pg_url)[1] == []


def test_junk_in_one_transaction_is_refused_whole(team, tmp_path):
    """One device transaction that would queue more than the bound: the bundle is refused whole."""
    attacker = Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)
    junk = [attacker.op(f"t{i}", f"r{i}", "insert", {"x": i}) for i in range(BUNDLE_MAX_CONFLICTS + 1)]
    tx = junk[0]["tx"]
    with pytest.raises(Refusal) as refused:
        ingest(team.pg_url, attacker.bundle(relink(attacker, [{**op, "tx": tx} for op in junk])))
    assert refused.value.key == "sync.too_many_refusals"
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_conflict")[0]["n"] == 0


def test_a_bundle_over_the_bound_is_refused_whole(team, tmp_path, monkeypatch):
    attacker = Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)
    monkeypatch.setattr(hub_ingest, "BUNDLE_MAX_OPS", 5)
    junk = [attacker.op(f"t{i}", f"r{i}", "insert", {"x": i}) for i in range(6)]
    with pytest.raises(Refusal) as refused:
        ingest(team.pg_url, attacker.bundle(junk))
    assert refused.value.key == "sync.bundle_too_large" and refused.value.params["most"] == 5
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_op")[0]["n"] == 0


@pytest.mark.parametrize("where", ["new", "old", "row_id", "key"])
def test_a_nul_character_is_a_refusal_and_the_hub_keeps_nothing_of_it(team, tmp_path, where):
    """PostgreSQL's JSON cannot hold U+0000: an op carrying one (in a value, an old value, an id,
    a column's name) is refused with a reason, never a database error that would leave the hub
    answering 500 to that device forever; a text that merely shows «\\u0000» is not one."""
    attacker = Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)
    values = {"new": ({"name": "Café\u0000"}, {}, "s1"), "old": ({"name": "Café"}, {"name": "x\u0000"}, "s1"),
              "row_id": ({"name": "Café"}, {}, "s1\u0000"), "key": ({"na\u0000me": "Café"}, {}, "s1")}[where]
    new, old, row_id = values
    with pytest.raises(Refusal) as refused:
        ingest(team.pg_url, attacker.bundle([attacker.op("site", row_id, "update", new, old=old, base_version=1)]))
    assert refused.value.key == "sync.bad_text"
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_op WHERE device_id = %s",
                    (attacker.device_id,))[0]["n"] == 0
    shown = Attacker(new_device(team, tmp_path, "agent2"), team.pg_url)  # six characters typed: no NUL
    receipt = peek(ingest(team.pg_url, shown.bundle([shown.op("nowhere", "r1", "insert", {"x": "a\\u0000b"})])))
    assert len(receipt["results"]) == 1


@pytest.mark.parametrize("values", [{"lat": "abc"}, {"lat": 1.0, "lon": "east"}, {"version": 2 ** 70},
                                    {"version": "one"}, {"id": None}, {"id": "another-row"}])
def test_a_refused_insert_with_values_its_columns_cannot_hold_is_a_refusal_not_a_database_error(
        team, tmp_path, values):
    """A refused insert is kept at the hub tombstoned (``rules.bury``); a value its column cannot
    hold (a text in a number column, an integer past 64 bits) must not make every retry of that
    device's bundle fail on a database error: the op is refused with its reason, the row kept with
    nothing in that column, the op as sent kept whole in ``hub_op``; the device's next bundle goes in."""
    attacker = Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)
    new = {"id": "s-junk", "kind": "establishment", "name": "Café", "district_id": "nowhere", **values}
    new = {k: v for k, v in new.items() if v is not None}
    receipt = peek(ingest(team.pg_url, attacker.bundle([attacker.op("site", "s-junk", "insert", new)])))
    assert receipt["through_seq"] == attacker.seq and len(receipt["conflicts"]) == 1
    [buried] = hub_rows(team.pg_url, "SELECT * FROM site WHERE id = 's-junk'")
    assert buried["deleted_at"] is not None
    assert all(buried[c] is None for c in values if c != "id" and not isinstance(values[c], float))
    [kept] = hub_rows(team.pg_url, "SELECT op FROM hub_op WHERE row_id = 's-junk'")
    assert kept["op"]["new"] == new
    follow = attacker.op("site", "s-junk2", "insert", {"id": "s-junk2", "kind": "establishment", "name": "Café 2"})
    assert peek(ingest(team.pg_url, attacker.bundle([follow])))["through_seq"] == attacker.seq
    assert check_hub(team.pg_url)[1] == []


@pytest.mark.parametrize("user", ["agent1", "coord"])
@pytest.mark.parametrize("values", [{"lat": "abc"}, {"lon": "east"}, {"version": 2 ** 70}, {"updated_at": 5}])
def test_an_update_with_values_its_columns_cannot_hold_never_makes_a_database_error(team, tmp_path, user, values):
    """The same for an update of a shared register (a site), by a user who may edit it and one who
    may not: an answer (applied or refused with its reason), never a database error at each retry."""
    attacker = Attacker(new_device(team, tmp_path, user), team.pg_url)
    site = hub_rows(team.pg_url, "SELECT lat, lon, version, updated_at FROM site WHERE id = %s", (team.sites[0],))[0]
    old = {c: site[c] for c in values}
    op = attacker.op("site", team.sites[0], "update", values, old=old, base_version=site["version"])
    receipt = peek(ingest(team.pg_url, attacker.bundle([op])))
    assert receipt["through_seq"] == attacker.seq
    assert check_hub(team.pg_url)[1] == []
