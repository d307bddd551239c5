"""Attacks by a hostile officer's tablet (arrondissement D1) on the other arrondissement's data (D2):
hand-crafted ops signed with its own enrolled key, then pulls. The owner of D2's site has personal
data (name, CIN) that must never reach D1's tablet."""
import psycopg
import pytest

from desktop.domain import bundle, pullformat
from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now
from desktop.hub import ingest, pull
from desktop.services import sync
from desktop.store import outbox
from tests.builders import make_inspection
from tests.desktop.hub.attacker import Attacker, hub_rows, rechain
from tests.desktop.hub.helpers import device, make_team, new_device

CIN = "BK998877"  # the D2 site owner's identity card number


@pytest.fixture
def team(tmp_path, empty_commune_path, pg_url):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # D2's site: its owner's personal data
        conn.execute("UPDATE site SET owner_name = 'Fatima Zahra B.', owner_id_kind = 'cin', owner_id_number = %s"
                     " WHERE id = %s", (CIN, team.sites[1]))
    return team


@pytest.fixture
def attacker(team, tmp_path):
    return Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)


def _pulled(team, attacker, cursor=0) -> bytes:
    return pull(team.pg_url, attacker.device_id, cursor)


def _site_b(team) -> dict:
    return hub_rows(team.pg_url, "SELECT * FROM site WHERE id = %s", (team.sites[1],))[0]


def _rows(data: bytes) -> dict[str, list[dict]]:
    """The pulled rows of each table, as dictionaries (pull layout 2)."""
    return {table: t.dicts() for table, t in pullformat.tables(bundle.peek(data)).items()}


def _assert_no_d2_site(team, data: bytes) -> None:
    rows = _rows(data)
    assert team.sites[1] not in {r["id"] for r in rows.get("site", [])}
    assert CIN.encode() not in data


def test_the_officers_replica_starts_without_the_other_arrondissement(team, attacker):
    # the premise of the leak tests below: D2's site is outside D1's tablet's pull
    _assert_no_d2_site(team, _pulled(team, attacker))
    with device(attacker.tablet) as c:
        assert c.store.scalar("SELECT count(*) FROM site WHERE id = ?", (team.sites[1],)) == 0


def test_a_refused_op_on_another_arrondissements_row_does_not_bring_it_back(team, attacker):
    before = _site_b(team)
    op = attacker.op("site", team.sites[1], "update", {"name": "x", "updated_at": utc_now(), "version": 2},
                     old={"name": before["name"]}, base_version=before["version"])
    ingest(team.pg_url, attacker.bundle([op]))
    refused = hub_rows(team.pg_url, "SELECT status FROM hub_op WHERE op_id = %s", (op["op_id"],))
    assert refused == [{"status": "refused"}]
    after = _site_b(team)
    assert {k: after[k] for k in ("name", "version", "owner_name")} == \
        {k: before[k] for k in ("name", "version", "owner_name")}  # nothing written
    data = _pulled(team, attacker)
    with device(attacker.tablet) as c:
        sync.apply_pull(c, data)
        assert c.store.scalar("SELECT count(*) FROM site WHERE owner_id_number = ?", (CIN,)) == 0
    _assert_no_d2_site(team, data)


def test_an_inspection_pointing_at_another_arrondissements_site_does_not_leak_it(team, attacker, catalogue):
    with device(attacker.tablet, "agent1") as c:  # a genuine inspection, then re-pointed at D2's site
        make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene")
        genuine = outbox.pending(c.store.conn)
    ops = [op for op in genuine if op["tbl"] == "inspection"][:1]
    ops[0]["new"]["site_id"] = team.sites[1]
    ops = rechain(attacker, ops)
    ingest(team.pg_url, attacker.bundle(ops))
    data = _pulled(team, attacker)
    applied = hub_rows(team.pg_url, "SELECT status FROM hub_op WHERE op_id = %s", (ops[0]["op_id"],))
    assert applied == [{"status": "refused"}]  # it may not point at another arrondissement's row
    # its refused row comes back tombstoned, with the parent its foreign key needs, but that parent
    # carries none of the other arrondissement's personal data
    assert CIN.encode() not in data
    sites = {r["id"]: r for r in _rows(data).get("site", [])}
    assert sites.get(team.sites[1], {"owner_name": "", "owner_id_number": ""})["owner_id_number"] == ""
    assert sites.get(team.sites[1], {"owner_name": ""})["owner_name"] == ""


def test_ops_in_another_users_or_devices_name_or_a_forked_chain_are_refused(team, attacker, tmp_path):
    other = Attacker(new_device(team, tmp_path, "agent2"), team.pg_url)
    site = hub_rows(team.pg_url, "SELECT * FROM site WHERE id = %s", (team.sites[0],))[0]
    as_agent2 = attacker.op("site", team.sites[0], "update", {"name": "renamed"}, old={"name": site["name"]},
                            base_version=site["version"], actor=team.users["agent2"])
    ingest(team.pg_url, attacker.bundle([as_agent2]))
    assert hub_rows(team.pg_url, "SELECT h.status, c.reason FROM hub_op h JOIN hub_conflict c USING (op_id)"
                    " WHERE op_id = %s", (as_agent2["op_id"],)) == [{"status": "refused", "reason": "actor"}]
    # an op claiming to be the other device's, inside a bundle signed by this one
    forged = attacker.op("site", team.sites[0], "update", {"name": "renamed"}, old={"name": site["name"]},
                         base_version=site["version"], device_id=other.device_id)
    with pytest.raises(Refusal) as refused:
        ingest(team.pg_url, attacker.bundle([forged]))
    assert refused.value.key == "sync.chain_broken"
    # a fork: an op 1 other than the one the hub holds
    attacker.seq, attacker.prev = 0, "0" * 64
    fork = attacker.op("site", team.sites[0], "update", {"name": "fork"}, old={"name": site["name"]},
                       base_version=site["version"])
    with pytest.raises(Refusal) as refused:
        ingest(team.pg_url, attacker.bundle([fork]))
    assert refused.value.key == "sync.chain_broken"
    assert _site_b(team)["owner_id_number"] == CIN
    assert hub_rows(team.pg_url, "SELECT name FROM site WHERE id = %s", (team.sites[0],)) == [{"name": site["name"]}]
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_op") == [{"n": 1}]


@pytest.mark.parametrize("tbl, new", [
    ('site" ; DROP TABLE hub_op; --', {"name": "x"}),
    ("hub_device", {"status": "active"}),
    ("site", {'name" = \'pwned\', "owner_id_number': "x"}),
    ("site", {"scope_district": "D1"}),
    ("site", {"hub_seq": 1}),
])
def test_sql_through_table_or_column_names_is_refused(team, attacker, tbl, new):
    before = hub_rows(team.pg_url, "SELECT id, name, owner_id_number, version, scope_district FROM site ORDER BY id")
    op = attacker.op(tbl, team.sites[1], "update", new, old={}, base_version=1)
    ingest(team.pg_url, attacker.bundle([op]))
    outcome = hub_rows(team.pg_url, "SELECT h.status, c.reason FROM hub_op h JOIN hub_conflict c USING (op_id)"
                       " WHERE op_id = %s", (op["op_id"],))
    assert outcome == [{"status": "refused",
                        "reason": "unknown_column" if tbl == "site" else "unknown_table"}]
    assert hub_rows(team.pg_url, "SELECT id, name, owner_id_number, version, scope_district FROM site"
                    " ORDER BY id") == before


def test_an_officers_replica_holds_no_one_elses_password_hash(team, attacker):
    users = {r["username"]: r for r in _rows(_pulled(team, attacker))["user"]}
    assert users["agent1"]["password_hash"]  # his own: he logs in offline
    assert {name: u["password_hash"] for name, u in users.items() if name != "agent1"} == \
        {name: "" for name in users if name != "agent1"}


def test_a_reviewers_replica_holds_no_one_elses_password_hash(team, tmp_path):
    with psycopg.connect(team.pg_url, autocommit=True) as conn:
        conn.execute('UPDATE "user" SET role = \'reviewer\', district_id = NULL WHERE username = \'agent2\'')
    reviewer = Attacker(new_device(team, tmp_path, "agent2"), team.pg_url)
    users = {r["username"]: r for r in _rows(_pulled(team, reviewer))["user"]}
    assert users["agent2"]["password_hash"]
    assert {name: u["password_hash"] for name, u in users.items() if name != "agent2"} == \
        {name: "" for name in users if name != "agent2"}
