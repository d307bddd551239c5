"""The hub over HTTP: a real ``hub serve`` subprocess on the loopback, real PostgreSQL, devices
enrolled and synced with ``desktop.services.netsync`` (what ``device enroll`` and ``sync`` run)."""
import json

import httpx
import psycopg
import pytest

from desktop.domain.errors import Refusal
from desktop.hub import revoke
from desktop.services import netsync, sync
from desktop.services.hubclient import HubClient
from desktop.services.hubwire import sign_request
from tests.builders import PASSWORD, make_inspection
from tests.desktop.hub.helpers import assert_check_ok, device


def enrol(hub, tmp_path, username, district=None):
    path = tmp_path / f"{username}-device.sqlite"
    result = netsync.enroll_device(path, hub.url, username, PASSWORD, district)
    return path, result


def test_enrol_sync_and_pull_over_http(hub, team, tmp_path, catalogue):
    tablet, first = enrol(hub, tmp_path, "agent1")
    station, _ = enrol(hub, tmp_path, "coord")
    assert first.pull["rows"] > 0 and first.status["enrolled"] and first.status["pending"] == 0
    with device(tablet, "agent1") as c:
        assert c.store.scalar("SELECT count(*) FROM site") == 1  # its arrondissement's slice
        inspection = make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene",
                                     findings=["HYG-01"])
        pending = sync.status(c)["pending"]
    result = netsync.sync_now(tablet)
    assert result.receipt["acknowledged"] == pending and result.receipt["conflicts"] == 0
    assert result.status["pending"] == 0 and result.status["last_receipt_at"]
    again = netsync.sync_now(station)
    assert again.pull["rows"] >= 2
    with device(station) as c:
        assert c.store.scalar("SELECT count(*) FROM inspection WHERE id = ?", (inspection,)) == 1
    for path in (tablet, station):
        assert_check_ok(path)


def test_an_officer_cannot_enrol_with_a_wrong_password_or_twice_into_one_file(hub, tmp_path):
    with pytest.raises(Refusal) as wrong:
        netsync.enroll_device(tmp_path / "x.sqlite", hub.url, "agent1", "not-the-password")
    assert wrong.value.key == "sync.enroll_refused"
    assert not (tmp_path / "x.sqlite").exists()
    path, _ = enrol(hub, tmp_path, "agent1")
    with pytest.raises(Refusal) as exists:
        netsync.enroll_device(path, hub.url, "agent1", PASSWORD)
    assert exists.value.key == "net.db_exists"


def test_requests_must_be_signed_by_an_enrolled_unrevoked_device(hub, team, tmp_path, catalogue):
    tablet, result = enrol(hub, tmp_path, "agent1")
    device_id = result.status["device_id"]
    key = netsync.device_key(tablet)
    with HubClient(hub.url) as anonymous:  # no key: no pull
        with pytest.raises(Refusal) as unsigned:
            anonymous._call("GET", "/pull", signed=False, params={"cursor": 0})
    assert unsigned.value.key == "net.unknown_device"
    headers = sign_request(key, device_id, "GET", "/v1/pull?cursor=0", b"")
    headers["x-cp-signature"] = "00" * 64  # forged
    answer = httpx.get(f"{hub.url}/v1/pull?cursor=0", headers=headers)
    assert answer.status_code == 401 and answer.json()["code"] == "net.bad_signature"
    stale = sign_request(key, device_id, "GET", "/v1/pull?cursor=0", b"", now=1_000_000)  # 1970: replayed
    assert httpx.get(f"{hub.url}/v1/pull?cursor=0", headers=stale).json()["code"] == "net.clock_skew"

    with device(tablet, "agent1") as c:
        make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene")
    revoke(team.pg_url, device_id, "admin")
    with pytest.raises(Refusal) as refused:
        netsync.sync_now(tablet)
    assert refused.value.key == "sync.device_revoked"
    with device(tablet) as c:
        assert sync.status(c)["pending"] > 0  # nothing marked sent
    with psycopg.connect(team.pg_url) as conn:  # the stolen tablet's work waits for review, not applied
        assert conn.execute("SELECT count(*) FROM hub_quarantine WHERE device_id = %s", (device_id,)).fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM inspection WHERE device_id = %s", (device_id,)).fetchone()[0] == 0
    with pytest.raises(Refusal) as pulled, netsync.client_for(tablet) as client:
        client.pull(0)
    assert pulled.value.key == "net.device_revoked"


def test_an_unreachable_hub_loses_nothing(hub, team, tmp_path, catalogue):
    tablet, _ = enrol(hub, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene")
        pending = sync.status(c)["pending"]
    hub.stop()
    with pytest.raises(Refusal) as down:
        netsync.sync_now(tablet)
    assert down.value.key == "net.unreachable"
    with device(tablet) as c:
        assert sync.status(c)["pending"] == pending
    hub.start()
    assert netsync.sync_now(tablet).receipt["acknowledged"] == pending


def test_blobs_by_content_hash(hub, tmp_path):
    tablet, _ = enrol(hub, tmp_path, "agent1")
    photo = b"\xff\xd8\xff photo bytes"
    import hashlib
    sha = hashlib.sha256(photo).hexdigest()
    with netsync.client_for(tablet) as client:
        assert client.missing_blobs([sha]) == [sha]
        with pytest.raises(Refusal) as bad:
            client.put_blob(sha, photo + b"tampered")
        assert bad.value.key == "net.blob_mismatch"
        client.put_blob(sha, photo)
        assert client.missing_blobs([sha]) == []
        with pytest.raises(Refusal) as unreferenced:  # a tablet fetches only what a row of its replica names
            client.get_blob(sha)
        assert unreferenced.value.key == "net.blob_unknown"
    coordinator, _ = enrol(hub, tmp_path, "coord")
    with netsync.client_for(coordinator) as client:  # the whole commune's station
        assert client.get_blob(sha) == photo
        with pytest.raises(Refusal) as unknown:
            client.get_blob("0" * 64)
        assert unknown.value.key == "net.blob_unknown"


def test_errors_are_json_with_a_code(hub):
    answer = httpx.post(f"{hub.url}/v1/enroll", content=b"not json")
    assert answer.status_code == 400 and answer.json() == {"code": "net.bad_request", "params": {}}
    status = httpx.get(f"{hub.url}/v1/status").json()
    assert status["hub_id"] and status["schema"]
    assert json.loads(httpx.get(f"{hub.url}/v1/pull").text)["code"] == "net.unknown_device"
