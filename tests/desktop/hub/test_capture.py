"""What the outbox captures, and only on an enrolled device; photos travel by content hash."""
import json
import shutil

import psycopg
import pytest

from desktop.domain import bundle
from desktop.domain.errors import Refusal
from desktop.domain.model import PhotoRef
from desktop.hub import ingest, init_hub
from desktop.services import sync
from desktop.services.commune import open_commune
from desktop.store.check import check_store
from desktop.store.inspections import submit_inspection
from tests.builders import inspection_input, make_inspection, make_user
from tests.desktop.hub.helpers import assert_check_ok, device, make_team, new_device, sync_device

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def test_a_standalone_commune_captures_nothing(empty_commune_path, catalogue):
    with open_commune(empty_commune_path) as c:
        officer = make_user(c.store, "officer")
        make_inspection(c.store, officer, catalogue, field_code="hygiene", findings=["HYG-01"])
        assert c.store.scalar("SELECT count(*) FROM sync_op") == 0
        assert sync.status(c)["enrolled"] is False
        with pytest.raises(Refusal) as refused:
            sync.make_bundle(c)
        assert refused.value.code == "sync.not_enrolled"
        with c.store.transaction(officer.id) as tx:  # set-based writes work as before
            tx.bulk_write("site", "UPDATE site SET activity = 'café' WHERE activity = ''")
        assert check_store(c.store).ok


def test_an_enrolled_device_captures_each_write_in_a_chain(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene", findings=["HYG-01"])
        ops = c.store.query("SELECT seq, tbl, kind, base_version, old, new, actor, prev_hash, hash, tx FROM sync_op"
                            " ORDER BY seq")
        assert [o["tbl"] for o in ops] == ["inspection", "finding", "case_file", "case_step", "case_finding"]
        assert {o["actor"] for o in ops} == {c.user.id} and len({o["tx"] for o in ops}) == 1
        assert all(b["prev_hash"] == a["hash"] for a, b in zip(ops, ops[1:]))
        inspection = json.loads(ops[0]["new"])
        with c.store.transaction(c.user.id) as tx:
            tx.update("inspection", inspection["id"], {"notes": "complété"})
        edit = c.store.query("SELECT kind, base_version, old, new FROM sync_op ORDER BY seq DESC LIMIT 1")[0]
        assert (edit["kind"], edit["base_version"]) == ("update", 1)
        assert json.loads(edit["old"])["notes"] == "" and json.loads(edit["new"])["notes"] == "complété"
        with pytest.raises(Refusal) as refused, c.store.transaction(c.user.id) as tx:
            tx.bulk_write("site", "UPDATE site SET activity = 'café'")
        assert refused.value.code == "sync.bulk_write_refused"
    assert_check_ok(tablet)
    with device(tablet) as c:  # an op rewritten behind the application's back is found by check
        c.store.conn.execute("DROP TRIGGER sync_op_no_rewrite")
        c.store.conn.execute("UPDATE sync_op SET new = '{}' WHERE seq = 2")
        assert any("outbox" in p for p in check_store(c.store).problems)


def test_a_photo_travels_by_its_hash(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet = new_device(team, tmp_path, "agent1")
    station = new_device(team, tmp_path, "coord")
    source = tmp_path / "facade.png"
    source.write_bytes(PNG)
    with device(tablet, "agent1") as c:
        stored = c.store.attachments.put_photo(source)
        inp = inspection_input(c.store, [c.user], team.sites[0], field_code="hygiene")
        inp.photos = [PhotoRef(stored.sha256, "facade.png", stored.mime, stored.size)]
        submit_inspection(c.store, c.user, inp, catalogue)
        data = sync.make_bundle(c)
    body = bundle.peek(data)
    assert list(body["blobs"]) == [stored.sha256]
    broken = dict(body, blobs={stored.sha256: "AAAA"})
    broken.pop("format")
    with pytest.raises(Refusal) as refused:
        ingest(pg_url, bundle.seal(broken, sync.key_path(tablet).read_bytes()))
    assert refused.value.code == "sync.blob_corrupt"
    sync_device(tablet, pg_url)
    with psycopg.connect(pg_url) as conn:
        assert bytes(conn.execute("SELECT data FROM hub_blob").fetchone()[0]) == PNG
    sync_device(station, pg_url)
    with device(station) as c:
        assert c.store.attachments.path_for(stored.sha256).read_bytes() == PNG
        assert c.store.scalar("SELECT count(*) FROM attachment") == 1
    assert_check_ok(station)


def test_a_hub_is_made_once(tmp_path, empty_commune_path, pg_url):
    seed = tmp_path / "seed.sqlite"
    shutil.copy(empty_commune_path, seed)
    init_hub(pg_url, seed)
    with pytest.raises(Refusal) as refused:
        init_hub(pg_url, seed)
    assert refused.value.code == "sync.hub_exists"


def test_bulk_insert_on_a_device_sends_one_op_per_row(tmp_path, empty_commune_path, pg_url):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    station = new_device(team, tmp_path, "coord")
    rows = [(f"0190a000-0000-7000-8000-00000000000{i}", f"Programme {i}", "weekly", "2026-06-01", "2026-06-07",
             "[]", "[]") for i in range(3)]
    with device(station, "coord") as c:
        with c.store.transaction(c.user.id) as tx:
            tx.bulk_insert("programme", ("id", "title", "kind", "starts_on", "ends_on", "districts", "fields"), rows)
        assert [o["row_id"] for o in c.store.query("SELECT row_id FROM sync_op ORDER BY seq")] == [r[0] for r in rows]
    sync_device(station, pg_url)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM programme").fetchone()[0] == 3
    assert_check_ok(station)
