"""Attacks on the hub's photos and PDFs (``hub_blob``) and on a hub already in use: lying hashes,
odd names, another arrondissement's photo fetched by its hash, ``hub init`` over a live hub."""
import base64
import hashlib

import httpx
import pytest

from desktop.domain.errors import Refusal
from desktop.hub import ingest, init_hub
from desktop.services import netsync
from desktop.services.hubwire import sign_request
from tests.builders import PASSWORD
from tests.desktop.hub.attacker import Attacker, hub_rows
from tests.desktop.hub.helpers import new_device
from tests.desktop.hub.server import HubServer

PHOTO = b"\xff\xd8\xff\xe0 D2: the shop front, the owner's face"


def test_a_blob_whose_hash_lies_is_refused_with_its_whole_bundle(team, tmp_path):
    attacker = Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)
    site = hub_rows(team.pg_url, "SELECT name, version FROM site WHERE id = %s", (team.sites[0],))[0]
    op = attacker.op("site", team.sites[0], "update", {"name": "renamed"}, old={"name": site["name"]},
                     base_version=site["version"])
    lying = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(Refusal) as refused:
        ingest(team.pg_url, attacker.bundle([op], blobs={lying: base64.b64encode(PHOTO).decode()}))
    assert refused.value.key == "sync.blob_corrupt"
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_blob") == [{"n": 0}]
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_op") == [{"n": 0}]
    assert hub_rows(team.pg_url, "SELECT name FROM site WHERE id = %s", (team.sites[0],)) == [{"name": site["name"]}]


def test_blob_names_are_hashes_only(team, tmp_path):
    with HubServer(team.pg_url) as hub:
        tablet = tmp_path / "t.sqlite"
        device_id = netsync.enroll_device(tablet, hub.url, "agent1", PASSWORD).status["device_id"]
        key = netsync.device_key(tablet)
        for name in ("..%2F..%2Fetc%2Fpasswd", "ABCDEF" + "0" * 58, "0" * 63, "' OR '1'='1"):
            target = f"/v1/blobs/{name}"
            for method, body in (("GET", b""), ("PUT", b"x")):
                headers = sign_request(key, device_id, method, httpx.URL(hub.url + target).path, body)
                answer = httpx.request(method, hub.url + target, content=body, headers=headers)
                assert answer.status_code in (400, 404, 405, 422), (name, method, answer.status_code)
        assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_blob") == [{"n": 0}]


def test_an_officer_cannot_fetch_another_arrondissements_photo_by_its_hash(team, tmp_path):
    sha = hashlib.sha256(PHOTO).hexdigest()
    with HubServer(team.pg_url) as hub:
        theirs, mine = tmp_path / "agent2.sqlite", tmp_path / "agent1.sqlite"
        netsync.enroll_device(theirs, hub.url, "agent2", PASSWORD)
        netsync.enroll_device(mine, hub.url, "agent1", PASSWORD)
        with netsync.client_for(theirs) as client:
            client.put_blob(sha, PHOTO)
        with netsync.client_for(mine) as client:
            with pytest.raises(Refusal) as refused:
                client.get_blob(sha)
    assert refused.value.key in ("net.blob_unknown", "net.blob_forbidden")


def test_init_over_a_hub_in_use_is_refused_and_changes_nothing(team):
    before = hub_rows(team.pg_url, "SELECT key, value FROM hub_meta ORDER BY key")
    with pytest.raises(Refusal) as refused:
        init_hub(team.pg_url, team.seed)
    assert refused.value.key == "sync.hub_exists"
    assert hub_rows(team.pg_url, "SELECT key, value FROM hub_meta ORDER BY key") == before
