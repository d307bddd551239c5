"""The retention purge on a team, on the device's side and in what the hub keeps for review (Law
09-08 art. 3.1(e)): once the hub has applied an erasure, the device's own outbox no longer holds the
erased values (its chain still verified by ``check``, a forged redaction reported), neither do the
copies of the database the application made beside it; a revoked device's old bundle sent after the
erasure does not bring them back into the hub's quarantine."""
import json
import sqlite3
from datetime import date

import pytest

from desktop.domain.errors import Refusal
from desktop.hub import ingest, revoke
from desktop.hub.check import check_hub
from desktop.hub.devices import quarantined
from desktop.services import privacy, sync
from desktop.store import db, outbox
from desktop.store.check import check_store
from desktop.store.db import open_store
from tests.builders import make_site
from tests.desktop.hub.attacker import hub_rows
from tests.desktop.hub.helpers import assert_check_ok, device, new_device, push, sync_device

CIN, CIN2 = "BK901234", "BK905678"
OWNER = "Khadija Erraji"


def _on_disk(path, value: str) -> list[str]:
    """The files of this commune (the database, its WAL, the copies beside it) that hold ``value``."""
    return sorted(p.name for p in path.parent.glob(f"{path.stem}*") if p.is_file()
                  and value.encode("utf-8") in p.read_bytes())


def _station_with_owner(team, tmp_path, *, pushed: bool):
    station = new_device(team, tmp_path, "admin")
    with device(station) as c:
        site = make_site(c.store, owner_name=OWNER, owner_id_kind="cin", owner_id_number=CIN,
                         district_id=team.districts[0])
    if pushed:
        push(station, team.pg_url)
    return station, site


@pytest.mark.parametrize("pushed", [True, False], ids=["acknowledged", "pending"])
def test_after_the_hubs_receipt_the_outbox_and_the_file_lose_the_erased_owner(team, tmp_path, pushed):
    station, site = _station_with_owner(team, tmp_path, pushed=pushed)
    with device(station, "admin") as c:
        assert privacy.purge(c.store, c.user, date.today()).sites >= 1
        if not pushed:  # an op not acknowledged yet travels whole: the hub verifies its hash
            held = c.store.scalar("SELECT count(*) FROM sync_op WHERE acked_at IS NULL AND instr(new, ?) > 0", (CIN,))
            assert held == 1
    assert _on_disk(station, CIN) == [station.name]  # the purge itself cannot touch the ops it has not sent
    assert push(station, team.pg_url)["conflicts"] == 0
    for value in (CIN, OWNER):
        assert _on_disk(station, value) == [], value
    with device(station) as c:
        marks = [json.loads(r["redacted"]) for r in c.store.query(
            "SELECT redacted FROM sync_op WHERE redacted IS NOT NULL")]
        assert [m["columns"] for m in marks] == [["owner_id_kind", "owner_id_number", "owner_name"]]
        erase = c.store.query("SELECT tbl, row_id, old, result FROM sync_op WHERE op_id = ?", (marks[0]["by"],))
        assert erase == [{"tbl": "site", "row_id": site, "old": "{}", "result": "applied"}]
        entry = c.store.query("SELECT changes FROM journal WHERE entity = 'privacy' AND op = 'outbox_redacted'")
        assert json.loads(entry[0]["changes"])["ops"] == 1  # recorded in the journal's chain
    assert_check_ok(station)
    assert check_hub(team.pg_url)[1] == []
    with device(station, "admin") as c:  # the device goes on: its next ops continue the chain
        make_site(c.store, name="Après la purge")
    push(station, team.pg_url)
    assert_check_ok(station)


def test_a_refused_erasure_redacts_nothing_until_the_purge_runs_again(team, tmp_path):
    station, site = _station_with_owner(team, tmp_path, pushed=True)
    coord = new_device(team, tmp_path, "coord")
    with device(coord, "coord") as c, c.store.transaction(c.user.id) as tx:
        tx.update("site", site, {"owner_id_number": CIN2})
    push(coord, team.pg_url)
    with device(station, "admin") as c:
        privacy.purge(c.store, c.user, date.today())
    assert push(station, team.pg_url)["conflicts"] == 1  # stale: the hub keeps CIN2 and the ops of CIN
    with device(station) as c:
        assert c.store.scalar("SELECT count(*) FROM sync_op WHERE redacted IS NOT NULL") == 0
    sync_device(station, team.pg_url)
    with device(station, "admin") as c:
        assert privacy.purge(c.store, c.user, date.today()).sites == 1
    push(station, team.pg_url)
    for value in (CIN, CIN2, OWNER):
        assert _on_disk(station, value) == [], value
    assert_check_ok(station)


def _raw(path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_the_outbox_lets_only_an_acknowledged_erasures_redaction_through(team, tmp_path):
    station, site = _station_with_owner(team, tmp_path, pushed=True)
    other = make_site_and_push(team, station)
    with device(station, "admin") as c:
        privacy.purge(c.store, c.user, date.today())
    conn = _raw(station)
    insert, erase = conn.execute("SELECT op_id, new FROM sync_op WHERE row_id = ? ORDER BY seq", (site,)).fetchall()[:2]
    blank = json.dumps({**json.loads(insert[1]), "owner_name": "", "owner_id_number": "", "owner_id_kind": "none"},
                       ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    mark = json.dumps({"columns": ["owner_id_kind", "owner_id_number", "owner_name"], "by": erase[0]})
    redact = "UPDATE sync_op SET new = ?, redacted = ? WHERE op_id = ?"
    with pytest.raises(sqlite3.IntegrityError, match="never rewritten"):  # the erasure is not acknowledged yet
        conn.execute(redact, (blank, mark, insert[0]))
    conn.close()
    push(station, team.pg_url)  # acknowledged, applied: the device redacted it itself
    conn = _raw(station)
    other_insert = conn.execute("SELECT op_id, new FROM sync_op WHERE row_id = ?", (other,)).fetchone()
    for sql, args in [  # none of these is a redaction the trigger lets through
        (redact, (other_insert[1].replace("Café", "Bar"), mark, other_insert[0])),  # another row's op
        ("UPDATE sync_op SET redacted = NULL WHERE op_id = ?", (insert[0],)),  # un-marked
        ("UPDATE sync_op SET new = '{}' WHERE op_id = ?", (erase[0],)),
        ("UPDATE sync_op SET hash = 'x' WHERE op_id = ?", (insert[0],)),
    ]:
        with pytest.raises(sqlite3.IntegrityError, match="never rewritten"):
            conn.execute(sql, args)
    conn.close()


def make_site_and_push(team, station) -> str:
    with device(station) as c:
        site = make_site(c.store, name="Café du Port", district_id=team.districts[0])  # no owner: not erased
    push(station, team.pg_url)
    return site


def test_check_reports_a_forged_redaction_mark(team, tmp_path):
    station, site = _station_with_owner(team, tmp_path, pushed=True)
    other = make_site_and_push(team, station)
    with device(station, "admin") as c:
        privacy.purge(c.store, c.user, date.today())
    push(station, team.pg_url)
    assert_check_ok(station)
    conn = _raw(station)  # someone with the file, the trigger dropped, hides a change behind a mark
    erase = conn.execute("SELECT redacted FROM sync_op WHERE redacted IS NOT NULL").fetchone()[0]
    conn.execute("DROP TRIGGER sync_op_no_rewrite")
    row = conn.execute("SELECT op_id, new FROM sync_op WHERE row_id = ? AND kind = 'insert'", (other,)).fetchone()
    forged = json.dumps({**json.loads(row[1]), "name": "Café renommé"})
    conn.execute("UPDATE sync_op SET new = ?, redacted = ? WHERE op_id = ?", (forged, erase, row[0]))
    conn.close()
    with open_store(station) as store:
        problems = check_store(store).problems
    assert len(problems) == 1 and "redacted without an erasure of its row" in problems[0], problems


def test_the_purge_removes_the_copies_the_application_made_beside_the_database(team, tmp_path):
    station, site = _station_with_owner(team, tmp_path, pushed=True)
    coord = new_device(team, tmp_path, "coord")
    with device(coord, "coord") as c, c.store.transaction(c.user.id) as tx:
        tx.update("site", team.sites[0], {"name": "Café Anfa (rénové)"})
    push(coord, team.pg_url)
    sync_device(station, team.pg_url)  # a pull that overwrites a row: the copy before it is made
    with device(station) as c:
        db.backup_before_migrate(c.store.conn, station, 10)  # and the copy an upgrade makes
    before = _on_disk(station, CIN)
    assert station.name + ".before-pull" in before and any(".backup-v10-" in n for n in before)
    with device(station, "admin") as c:
        counts = privacy.purge(c.store, c.user, date.today(), dry_run=True)
        assert counts.copies == 2 and _on_disk(station, CIN) == before
        assert privacy.purge(c.store, c.user, date.today()).copies == 2
    push(station, team.pg_url)
    assert _on_disk(station, CIN) == [] and _on_disk(station, OWNER) == []
    assert privacy.app_copies(station) == []


def test_a_revoked_devices_old_bundle_sent_after_the_erasure_is_kept_without_the_values(team, tmp_path):
    station, site = _station_with_owner(team, tmp_path, pushed=True)
    coord = new_device(team, tmp_path, "coord")
    with device(coord, "coord") as c:
        with c.store.transaction(c.user.id) as tx:
            tx.update("site", site, {"owner_id_number": CIN2, "name": "Épicerie Erraji"})
        coord_id = sync.status(c)["device_id"]
        old_bundle = sync.make_bundle(c)  # made before the erasure, kept on the stolen tablet
    with device(station, "admin") as c:
        privacy.purge(c.store, c.user, date.today())
    push(station, team.pg_url)
    revoke(team.pg_url, coord_id, "admin")
    for _ in range(2):  # sent after the erasure (twice: kept once)
        with pytest.raises(Refusal):
            ingest(team.pg_url, old_bundle)
    kept = hub_rows(team.pg_url, "SELECT bundle FROM hub_quarantine")
    assert len(kept) == 1
    for value in (CIN, CIN2, OWNER):
        assert value.encode() not in bytes(kept[0]["bundle"]), value
    review = quarantined(team.pg_url)[0]  # what a reviewer needs is still there
    op = [o for o in review["ops"] if o["row_id"] == site][0]
    assert not review["signed"] and op["kind"] == "update" and op["actor"] == team.users["coord"]
    assert op["new"]["owner_id_number"] == "" and op["new"]["name"] == "Épicerie Erraji"
    assert json.loads(bytes(kept[0]["bundle"]))["redacted"]
    assert check_hub(team.pg_url)[1] == []


def test_a_revoked_devices_bundle_on_rows_never_erased_is_kept_as_sent(team, tmp_path):
    coord = new_device(team, tmp_path, "coord")
    with device(coord, "coord") as c:
        make_site(c.store, owner_name=OWNER, owner_id_kind="cin", owner_id_number=CIN)
        coord_id = sync.status(c)["device_id"]
        data = sync.make_bundle(c)
    revoke(team.pg_url, coord_id, "admin")
    with pytest.raises(Refusal):
        ingest(team.pg_url, data)
    assert bytes(hub_rows(team.pg_url, "SELECT bundle FROM hub_quarantine")[0]["bundle"]) == data
    assert quarantined(team.pg_url)[0]["signed"]


def test_redacted_through_advances_only_over_acknowledged_ops(team, tmp_path):
    station, _ = _station_with_owner(team, tmp_path, pushed=True)
    with device(station) as c:
        acked = c.store.scalar("SELECT max(seq) FROM sync_op WHERE acked_at IS NOT NULL")
        assert outbox.get_state(c.store.conn, "redacted_through") == str(acked)


def test_the_conflicts_the_hub_reported_on_the_erased_row_lose_its_values(team, tmp_path):
    station, site = _station_with_owner(team, tmp_path, pushed=True)
    coord = new_device(team, tmp_path, "coord")
    for path, user, number in ((coord, "coord", CIN2), (station, "admin", "BK000333")):
        with device(path, user) as c, c.store.transaction(c.user.id) as tx:
            tx.update("site", site, {"owner_id_number": number})
    push(coord, team.pg_url)
    assert push(station, team.pg_url)["conflicts"] == 1  # the hub's value stands, the station told
    with device(station) as c:
        assert c.store.scalar("SELECT count(*) FROM sync_conflict WHERE instr(hub_value, ?) > 0", (CIN2,)) == 1
    sync_device(station, team.pg_url)
    with device(station, "admin") as c:
        assert privacy.purge(c.store, c.user, date.today()).sites == 1
    push(station, team.pg_url)
    for value in (CIN, CIN2, "BK000333", OWNER):
        assert _on_disk(station, value) == [], value
    with device(station) as c:
        assert c.store.query("SELECT device_value, hub_value FROM sync_conflict") == \
            [{"device_value": '""', "hub_value": '""'}]
    assert_check_ok(station)


def test_hub_check_finds_a_value_put_back_under_a_redaction_mark(team, tmp_path):
    import psycopg
    from psycopg.types.json import Jsonb
    station, site = _station_with_owner(team, tmp_path, pushed=True)
    with device(station, "admin") as c:
        privacy.purge(c.store, c.user, date.today())
    push(station, team.pg_url)
    assert check_hub(team.pg_url)[1] == []
    with psycopg.connect(team.pg_url) as conn:  # the mark stands (a real erasure), the value does not
        op_id, op = conn.execute("SELECT op_id, op FROM hub_op WHERE op::jsonb ? 'redacted'").fetchone()
        conn.execute("UPDATE hub_op SET op = %s WHERE op_id = %s",
                     (Jsonb({**op, "new": {**op["new"], "owner_name": "Quelqu'un"}}), op_id))
    problems = check_hub(team.pg_url)[1]
    assert len(problems) == 1 and "redacted columns still hold a value" in problems[0], problems


def test_a_revoked_devices_malformed_bundle_after_an_erasure_is_quarantined_not_a_crash(team, tmp_path):
    from tests.desktop.hub.attacker import Attacker
    station, site = _station_with_owner(team, tmp_path, pushed=True)
    with device(station, "admin") as c:
        privacy.purge(c.store, c.user, date.today())
    push(station, team.pg_url)
    attacker = Attacker(new_device(team, tmp_path, "coord"), team.pg_url)
    revoke(team.pg_url, attacker.device_id, "admin")
    ops = [attacker.op("site", site, "update", {"owner_id_number": CIN2}, old={"owner_id_number": CIN}),
           attacker.op("site", ["not", "an", "id"], "update", {"owner_name": OWNER}),  # type: ignore[arg-type]
           attacker.op("attachment", "a1", "insert", {"owner_type": "complaint", "owner_id": ["x"], "sha256": 5}),
           attacker.op("site", site, "update", "not a dict")]  # type: ignore[arg-type]
    outer = json.loads(attacker.bundle(ops, blobs=[1, 2]))
    data = json.dumps({**outer, "redacted": 5}).encode()
    with pytest.raises(Refusal) as refused:
        ingest(team.pg_url, data)
    assert refused.value.key == "sync.device_revoked"
    kept = bytes(hub_rows(team.pg_url, "SELECT bundle FROM hub_quarantine")[0]["bundle"])
    assert CIN.encode() not in kept and CIN2.encode() not in kept
    review = quarantined(team.pg_url)[0]
    assert [op["seq"] for op in review["ops"]] == [op["seq"] for op in ops]  # every op still listed
