"""The retention purge on the OTHER devices of a team (Law 09-08 art. 3.1(e)): a tablet or a
station that held an erased row learns of the erasure from the hub's signed pull (``erased``) and
scrubs what it keeps of that row: its own acknowledged ops that carried the values, its conflicts,
its copy before the pull, the pulled letters of an erased complaint; its ``check`` verifies each
redaction against the hub's signature kept with the erasure, and reports a forged one."""
import json
import sqlite3
from datetime import date

import pytest

from desktop.domain import bundle
from desktop.domain.errors import Refusal
from desktop.hub import pull
from desktop.hub.base import connect, hub_key
from desktop.hub.check import check_hub
from desktop.hub.pull import pull_body
from desktop.services import privacy, sync
from desktop.store.check import check_store
from desktop.store.db import open_store
from desktop.domain.model import SiteInput
from desktop.store.sites import create_site
from tests.builders import LAT, LON, make_site
from tests.desktop.hub.helpers import assert_check_ok, device, new_device, push, sync_device

CIN, CIN2, CIN3 = "BK771122", "BK771133", "BK771144"
OWNER = "Youssef Bennani"


def _on_disk(path, value: str) -> list[str]:
    """The files of this device's commune (the database, its WAL, the copies beside it) that hold ``value``."""
    return sorted(p.name for p in path.parent.glob(f"{path.stem}*") if p.is_file()
                  and value.encode("utf-8") in p.read_bytes())


def _edit(path, username: str, site: str, values: dict) -> None:
    with device(path, username) as c, c.store.transaction(c.user.id) as tx:
        tx.update("site", site, values)


def _tablet_made_and_edited_the_site(team, tmp_path):
    """The coordinator's tablet that created the site with its owner and edited it, a clash with
    the coordinator's other device on the owner's CIN (a conflict on the tablet showing both
    values), and the administrator's station holding the site: ``(tablet, station, site)``."""
    tablet, other = new_device(team, tmp_path, "coord"), new_device(team, tmp_path, "coord", "office")
    with device(tablet, "coord") as c, c.store.transaction(c.user.id) as tx:  # made by the tablet's own user
        site = create_site(tx, SiteInput(kind="establishment", name="Épicerie Bennani", address="4 rue des Orangers",
                                         owner_name=OWNER, owner_id_kind="cin", owner_id_number=CIN),
                           team.districts[0], LON, LAT)
    push(tablet, team.pg_url)
    _edit(tablet, "coord", site, {"owner_name": OWNER + " fils"})
    push(tablet, team.pg_url)
    sync_device(other, team.pg_url)
    _edit(other, "coord", site, {"owner_id_number": CIN2})
    push(other, team.pg_url)
    _edit(tablet, "coord", site, {"owner_id_number": CIN3})  # offline, on the old version: a clash
    assert push(tablet, team.pg_url)["conflicts"] == 1
    sync_device(tablet, team.pg_url)  # the hub's CIN2 overwrites CIN3: the copy before the pull holds both
    station = new_device(team, tmp_path, "admin")
    return tablet, station, site


def _purged_at_the_station(team, station) -> None:
    with device(station, "admin") as c:
        assert privacy.purge(c.store, c.user, date.today()).sites == 1
    assert push(station, team.pg_url)["conflicts"] == 0


def test_the_devices_that_held_the_erased_row_lose_its_values_at_their_next_pull(team, tmp_path):
    tablet, station, site = _tablet_made_and_edited_the_site(team, tmp_path)
    for value in (CIN, CIN2, CIN3, OWNER):
        assert _on_disk(tablet, value), value  # its outbox, its conflict, its copy before the pull
    _purged_at_the_station(team, station)
    sync_device(tablet, team.pg_url)
    for value in (CIN, CIN2, CIN3, OWNER):
        assert _on_disk(tablet, value) == [], value
    with device(tablet) as c:
        assert c.store.query("SELECT owner_name, owner_id_number, owner_id_kind FROM site WHERE id = ?", (site,)) \
            == [{"owner_name": "", "owner_id_number": "", "owner_id_kind": "none"}]
        erasure = c.store.query("SELECT op_id, tbl, row_id, columns FROM sync_erasure")
        assert [(e["tbl"], e["row_id"]) for e in erasure] == [("site", site)]
        marks = [json.loads(r["redacted"]) for r in c.store.query(
            "SELECT redacted FROM sync_op WHERE redacted IS NOT NULL ORDER BY seq")]
        assert len(marks) == 3 and {m["by"] for m in marks} == {erasure[0]["op_id"]}  # the hub's erasure named
        assert c.store.query("SELECT device_value, hub_value FROM sync_conflict") == \
            [{"device_value": '""', "hub_value": '""'}]
        journal = {r["op"] for r in c.store.query("SELECT op FROM journal WHERE entity = 'privacy'")}
        assert journal == {"hub_erasures", "outbox_redacted"}
    assert privacy.app_copies(tablet) == []
    assert_check_ok(tablet)
    sync_device(tablet, team.pg_url)  # listed again (the row is in the pull): nothing done twice
    with device(tablet, "coord") as c:
        assert c.store.scalar("SELECT count(*) FROM journal WHERE op = 'hub_erasures'") == 1
        with c.store.transaction(c.user.id) as tx:  # a new owner entered after the erasure is kept whole
            tx.update("site", site, {"owner_name": "Nouveau propriétaire"})
    sync_device(tablet, team.pg_url)
    assert _on_disk(tablet, "Nouveau propriétaire") == [tablet.name]
    assert_check_ok(tablet)
    assert check_hub(team.pg_url)[1] == []


def test_an_op_not_acknowledged_at_the_pull_is_scrubbed_at_its_receipt(team, tmp_path):
    tablet, station, site = _tablet_made_and_edited_the_site(team, tmp_path)
    _purged_at_the_station(team, station)
    _edit(tablet, "coord", site, {"owner_id_number": "BK771155"})  # made before it knows of the erasure
    with device(tablet) as c:  # pulled without pushing: the row is kept back, the erasure kept
        sync.apply_pull(c, pull(team.pg_url, sync.status(c)["device_id"], sync.status(c)["cursor"]))
        assert c.store.scalar("SELECT count(*) FROM sync_erasure") == 1
        pending = c.store.scalar("SELECT count(*) FROM sync_op WHERE acked_at IS NULL AND instr(new, 'BK771155')")
        assert pending == 1  # travels whole: the hub verifies its hash
    assert_check_ok(tablet)
    sync_device(tablet, team.pg_url)  # its receipt: the hub kept the erased value (a conflict), the op scrubbed
    for value in (CIN, CIN2, CIN3, OWNER, "BK771155"):
        assert _on_disk(tablet, value) == [], value
    assert_check_ok(tablet)


def test_a_pulled_letter_of_an_erased_complaint_is_removed(team, tmp_path, catalogue):
    from desktop.store.complaints import ComplaintInput, attach_file, create_complaint, reject
    station, coord = new_device(team, tmp_path, "admin"), new_device(team, tmp_path, "coord")
    letter = tmp_path / "lettre.pdf"
    letter.write_bytes(b"%PDF-1.4 Plainte de M. Youssef Bennani, 4 rue des Orangers")
    with device(station, "admin") as c:
        complaint = create_complaint(c.store, c.user, catalogue, ComplaintInput(
            channel="desk", received_on=date(2026, 1, 5), description="Bruit de chantier la nuit",
            field_code="hygiene", district_id=team.districts[0], complainant_name=OWNER,
            complainant_contact="0698765432"))
        attach_file(c.store, c.user, complaint, letter)
        reject(c.store, c.user, complaint, "Hors des compétences de la commune")
    push(station, team.pg_url)
    sync_device(coord, team.pg_url)
    with device(coord) as c:
        sha = c.store.scalar("SELECT sha256 FROM attachment WHERE owner_id = ?", (complaint,))
        stored = c.store.attachments.path_for(sha)
        assert stored.read_bytes() == letter.read_bytes()
    with device(station, "admin") as c:
        assert privacy.purge(c.store, c.user, date.today()).complaints == 1
    push(station, team.pg_url)
    sync_device(coord, team.pg_url)
    assert not stored.exists()
    for value in (OWNER, "0698765432", "Bruit de chantier"):
        assert _on_disk(coord, value) == [], value
    assert_check_ok(coord)


def _raw(path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _problems(path) -> list[str]:
    with open_store(path) as store:
        return check_store(store).problems


def _forged(path, op_id: str, new: str, mark: str) -> list[str]:
    """Put ``new`` and the redaction ``mark`` on an op: refused by the outbox's trigger; then by
    someone with the file, the trigger dropped: what ``check`` reports."""
    conn = _raw(path)
    redact = "UPDATE sync_op SET new = ?, redacted = ? WHERE op_id = ?"
    with pytest.raises(sqlite3.IntegrityError, match="never rewritten"):
        conn.execute(redact, (new, mark, op_id))
    conn.execute("DROP TRIGGER sync_op_no_rewrite")
    conn.execute(redact, (new, mark, op_id))
    conn.close()
    return _problems(path)


def test_check_reports_a_forged_mark_naming_the_hubs_erasure(team, tmp_path):
    tablet, station, site = _tablet_made_and_edited_the_site(team, tmp_path)
    with device(tablet, "coord") as c:
        other = make_site(c.store, name="Café des Amis", district_id=team.districts[0])
    push(tablet, team.pg_url)
    _purged_at_the_station(team, station)
    sync_device(tablet, team.pg_url)
    assert_check_ok(tablet)
    conn = _raw(tablet)
    mark = conn.execute("SELECT redacted FROM sync_op WHERE redacted IS NOT NULL").fetchone()[0]
    row = conn.execute("SELECT op_id, new FROM sync_op WHERE row_id = ? AND kind = 'insert'", (other,)).fetchone()
    conn.close()
    problems = _forged(tablet, row[0], json.dumps({**json.loads(row[1]), "name": "Café renommé"}), mark)
    assert len(problems) == 1 and "redacted without an erasure of its row" in problems[0], problems


def test_check_reports_an_erasure_the_hub_did_not_sign(team, tmp_path):
    tablet, station, site = _tablet_made_and_edited_the_site(team, tmp_path)
    with device(tablet, "coord") as c:
        other = make_site(c.store, name="Café des Amis", owner_name="Sara", owner_id_kind="cin",
                          owner_id_number="BK000001", district_id=team.districts[0])
    push(tablet, team.pg_url)
    conn = _raw(tablet)  # an erasure of the other site put in by hand, its op's owner scrubbed by it
    conn.execute("INSERT INTO sync_erasure (op_id, tbl, row_id, columns, sig, through_seq, received_at) VALUES"
                 " ('forged', 'site', ?, '[\"owner_name\"]', 'ab', 1000, '2026-12-01')", (other,))
    row = conn.execute("SELECT op_id, new FROM sync_op WHERE row_id = ? AND kind = 'insert'", (other,)).fetchone()
    blank = json.dumps({**json.loads(row[1]), "owner_name": "", "owner_id_number": "", "owner_id_kind": "none"},
                       ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    conn.execute("UPDATE sync_op SET new = ?, redacted = ? WHERE op_id = ?",  # the trigger cannot verify a signature
                 (blank, json.dumps({"columns": ["owner_id_kind", "owner_id_number", "owner_name"], "by": "forged"}),
                  row[0]))
    with pytest.raises(sqlite3.IntegrityError, match="never rewritten"):  # kept as received
        conn.execute("UPDATE sync_erasure SET sig = 'cd'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM sync_erasure")
    conn.close()
    problems = _problems(tablet)
    assert len(problems) == 1 and "erasure forged: not signed by the hub" in problems[0], problems


def test_a_redaction_of_an_op_made_after_the_erasure_arrived_is_refused(team, tmp_path):
    tablet, station, site = _tablet_made_and_edited_the_site(team, tmp_path)
    _purged_at_the_station(team, station)
    sync_device(tablet, team.pg_url)
    _edit(tablet, "coord", site, {"owner_name": "Nouveau propriétaire"})
    push(tablet, team.pg_url)
    conn = _raw(tablet)
    by = conn.execute("SELECT op_id FROM sync_erasure").fetchone()[0]
    row = conn.execute("SELECT op_id, new FROM sync_op WHERE row_id = ? ORDER BY seq DESC", (site,)).fetchone()
    conn.close()
    problems = _forged(tablet, row[0], row[1].replace("Nouveau propriétaire", ""),
                       json.dumps({"columns": ["owner_name"], "by": by}))
    assert len(problems) == 1 and "redacted before the hub acknowledged it and its erasure" in problems[0], problems


def test_a_pull_whose_erasures_the_hub_did_not_sign_is_refused(team, tmp_path):
    tablet, station, site = _tablet_made_and_edited_the_site(team, tmp_path)
    _purged_at_the_station(team, station)
    push(tablet, team.pg_url)
    with device(tablet) as c:
        device_id, cursor = sync.status(c)["device_id"], sync.status(c)["cursor"]
    with connect(team.pg_url) as conn:
        body, key = pull_body(conn, device_id, cursor), hub_key(conn)
    assert [e["row_id"] for e in body["erased"]] == [site]
    outer = json.loads(pull(team.pg_url, device_id, cursor))
    tampered = outer["body"].replace(body["erased"][0]["op_id"], "0" * len(body["erased"][0]["op_id"]))
    other_key = bundle.new_key()[0]
    wrong_entry = {**body, "erased": [{**body["erased"][0], "row_id": team.sites[0]}]}  # another row, same sig
    for data, refusal in [
            (json.dumps({**outer, "body": tampered}).encode(), "sync.bad_signature"),  # changed in transit
            (bundle.seal({k: v for k, v in body.items() if k != "format"}, other_key), "sync.bad_signature"),
            (bundle.seal({k: v for k, v in wrong_entry.items() if k != "format"}, key), "sync.erasure_unsigned")]:
        with device(tablet) as c:
            with pytest.raises(Refusal) as refused:
                sync.apply_pull(c, data)
            assert refused.value.key == refusal
            assert c.store.scalar("SELECT count(*) FROM sync_erasure") == 0  # nothing applied
    assert _on_disk(tablet, CIN2)  # still there until a pull the hub signed
    sync_device(tablet, team.pg_url)
    assert _on_disk(tablet, CIN2) == []


def test_a_new_device_receives_the_erased_row_erased_without_its_erasure(team, tmp_path):
    _tablet, station, site = _tablet_made_and_edited_the_site(team, tmp_path)
    _purged_at_the_station(team, station)
    newcomer = new_device(team, tmp_path, "coord", "newcomer")  # its first pull, from cursor 0
    with device(newcomer) as c:
        assert c.store.query("SELECT owner_name, owner_id_number, owner_id_kind FROM site WHERE id = ?", (site,)) \
            == [{"owner_name": "", "owner_id_number": "", "owner_id_kind": "none"}]
        assert c.store.scalar("SELECT count(*) FROM sync_erasure") == 0  # nothing it could ever use
        device_id, cursor = sync.status(c)["device_id"], sync.status(c)["cursor"]
    with connect(team.pg_url) as conn:
        assert "erased" not in pull_body(conn, device_id, 0)
        assert "erased" not in pull_body(conn, device_id, cursor)  # the row not sent again: nothing to list
    for value in (CIN, CIN2, CIN3, OWNER):
        assert _on_disk(newcomer, value) == [], value
    assert_check_ok(newcomer)
