"""Forgery by a device whose user holds some rights: an officer taking over another account or
granting himself powers, a coordinator's station writing a signed act (a register number the hub
never reserved, a signature the president never gave)."""

from desktop.domain.ids import utc_now, uuid7
from desktop.hub import ingest
from tests.desktop.hub.attacker import Attacker, hub_rows
from tests.desktop.hub.helpers import new_device


def _outcome(team, op) -> list[dict]:
    return hub_rows(team.pg_url, "SELECT h.status, c.reason FROM hub_op h LEFT JOIN hub_conflict c USING (op_id)"
                    " WHERE op_id = %s", (op["op_id"],))


def _user(team, name) -> dict:
    return hub_rows(team.pg_url, 'SELECT * FROM "user" WHERE username = %s', (name,))[0]


def test_an_officer_cannot_take_over_an_account_or_grant_himself_powers(team, tmp_path):
    attacker = Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)
    me, coord = _user(team, "agent1"), _user(team, "coord")
    now = utc_now()
    takeover = attacker.op("user", coord["id"], "update", {"password_hash": me["password_hash"], "updated_at": now},
                           old={"password_hash": coord["password_hash"]}, base_version=coord["version"])
    promote = attacker.op("user", me["id"], "update", {"role": "coordinator", "district_id": None, "updated_at": now},
                          old={"role": "officer"}, base_version=me["version"])
    grant = uuid7()
    delegation = attacker.op("delegation", grant, "insert", {"id": grant, "delegate_id": me["id"], "created_at": now})
    for tx in ([takeover], [promote], [delegation]):
        ingest(team.pg_url, attacker.bundle(tx))
    assert _outcome(team, takeover) == [{"status": "refused", "reason": "permission"}]
    assert _outcome(team, promote) == [{"status": "refused", "reason": "permission"}]
    assert _outcome(team, delegation)[0]["status"] == "refused"
    assert _user(team, "coord")["password_hash"] == coord["password_hash"]
    assert (_user(team, "agent1")["role"], _user(team, "agent1")["district_id"]) == ("officer", me["district_id"])
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM delegation WHERE deleted_at IS NULL") == [{"n": 0}]
    own = attacker.op("user", me["id"], "update", {"password_hash": "new-hash", "updated_at": now,
                                                   "updated_by": me["id"], "version": me["version"] + 1},
                      old={"password_hash": me["password_hash"]}, base_version=me["version"])
    ingest(team.pg_url, attacker.bundle([own]))  # his own password: his to change (the guard's other side)
    assert _outcome(team, own) == [{"status": "applied", "reason": None}]


def test_a_coordinator_cannot_push_a_signed_act(team, tmp_path):
    attacker = Attacker(new_device(team, tmp_path, "coord"), team.pg_url)
    act_id = uuid7()
    act = attacker.op("decision", act_id, "insert", {
        "id": act_id, "kind": "closure", "field_code": "hygiene", "year": 2026, "number": 7, "status": "signed",
        "langs": "ar", "content": "Fermeture de l'établissement", "oversight_class": "none",
        "signed_on": "2026-12-01", "signed_by": team.users["coord"], "created_at": utc_now(),
        "created_by": team.users["coord"], "version": 1})
    ingest(team.pg_url, attacker.bundle([act]))
    assert _outcome(team, act)[0]["status"] == "refused"
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM decision WHERE status = 'signed'"
                    " AND deleted_at IS NULL") == [{"n": 0}]
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM register_number") == [{"n": 0}]
