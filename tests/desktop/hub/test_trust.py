"""The hub trusts no device: forged or tampered bundles, revoked devices, replays, other schemas."""
import json

import psycopg
import pytest

from desktop.domain import bundle
from desktop.domain.errors import Refusal
from desktop.hub import ingest, revoke
from desktop.services import sync
from desktop.store.migrations import LATEST
from tests.builders import make_inspection
from tests.desktop.hub.helpers import device, make_team, new_device


def _hub_count(pg_url, sql):
    with psycopg.connect(pg_url) as conn:
        return conn.execute(sql).fetchone()[0]


@pytest.fixture
def team_and_tablet(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene", findings=["HYG-01"])
    return team, tablet


def _bundle(tablet) -> bytes:
    with device(tablet) as c:
        return sync.make_bundle(c)


def test_a_tampered_or_forged_bundle_is_refused(team_and_tablet, pg_url):
    team, tablet = team_and_tablet
    data = _bundle(tablet)
    outer = json.loads(data)
    body = json.loads(outer["body"])
    body["ops"][0]["new"]["notes"] = "ajouté après la signature"
    tampered = json.dumps({"body": json.dumps(body), "sig": outer["sig"]}).encode()
    with pytest.raises(Refusal) as refused:
        ingest(pg_url, tampered)
    assert refused.value.code == "sync.bad_signature"
    other_key, _ = bundle.new_key()  # signed, but not with the key the device enrolled with
    forged = bundle.seal({k: v for k, v in json.loads(outer["body"]).items() if k != "format"}, other_key)
    with pytest.raises(Refusal) as refused:
        ingest(pg_url, forged)
    assert refused.value.code == "sync.bad_signature"
    with pytest.raises(Refusal) as refused:
        ingest(pg_url, b"PK\x03\x04 not a bundle")
    assert refused.value.code == "sync.not_a_bundle"
    assert _hub_count(pg_url, "SELECT count(*) FROM hub_op") == 0
    ingest(pg_url, data)  # the genuine one still goes in
    assert _hub_count(pg_url, "SELECT count(*) FROM inspection") == 1


def test_a_broken_chain_and_another_schema_are_refused(team_and_tablet, pg_url):
    team, tablet = team_and_tablet
    key = sync.key_path(tablet).read_bytes()
    body = bundle.peek(_bundle(tablet))
    body.pop("format")
    assert len(body["ops"]) == 5  # the inspection, its finding, the case it opened, its step, the link
    skipped = {**body, "ops": body["ops"][1:]}  # signed by the device, but an op left out
    with pytest.raises(Refusal) as refused:
        ingest(pg_url, bundle.seal(skipped, key))
    assert refused.value.code == "sync.chain_broken"
    with pytest.raises(Refusal) as refused:
        ingest(pg_url, bundle.seal({**body, "schema": LATEST + 1}, key))
    assert refused.value.code == "sync.hub_older" and refused.value.params == {"device": LATEST + 1, "hub": LATEST}
    with pytest.raises(Refusal) as refused:
        ingest(pg_url, bundle.seal({**body, "schema": LATEST - 1}, key))
    assert refused.value.code == "sync.device_older" and refused.value.params == {"device": LATEST - 1, "hub": LATEST}
    with pytest.raises(Refusal) as refused:
        ingest(pg_url, bundle.seal({**body, "schema": "12"}, key))
    assert refused.value.code == "sync.schema_mismatch"
    assert _hub_count(pg_url, "SELECT count(*) FROM hub_op") == 0


def test_a_revoked_device_is_refused_and_its_ops_quarantined(team_and_tablet, pg_url):
    team, tablet = team_and_tablet
    with device(tablet) as c:
        device_id = sync.status(c)["device_id"]
    revoke(pg_url, device_id, "coord")
    data = _bundle(tablet)
    with pytest.raises(Refusal) as refused:
        ingest(pg_url, data)
    assert refused.value.code == "sync.device_revoked"
    assert _hub_count(pg_url, "SELECT count(*) FROM inspection") == 0
    with psycopg.connect(pg_url) as conn:
        kept = conn.execute("SELECT bundle FROM hub_quarantine WHERE device_id = %s", (device_id,)).fetchone()[0]
        assert bytes(kept) == data  # kept whole, for review
        assert conn.execute("SELECT kind FROM hub_journal ORDER BY seq DESC LIMIT 1").fetchone()[0] == "revoke"
    with device(tablet) as c:
        assert sync.status(c)["pending"] > 0  # nothing acknowledged: the device keeps its ops


def test_resending_is_idempotent_and_an_older_bundle_is_refused(team_and_tablet, pg_url, catalogue):
    team, tablet = team_and_tablet
    first = _bundle(tablet)
    with device(tablet, "agent1") as c:
        make_inspection(c.store, c.user, catalogue, team.sites[0], notes="deuxième")
    second = _bundle(tablet)  # holds the first bundle's ops too (none acknowledged yet)
    receipt = ingest(pg_url, second)
    ops = _hub_count(pg_url, "SELECT count(*) FROM hub_op")
    assert ingest(pg_url, second) == receipt  # the same receipt, nothing applied twice
    assert _hub_count(pg_url, "SELECT count(*) FROM hub_op") == ops
    assert _hub_count(pg_url, "SELECT count(*) FROM inspection") == 2
    with pytest.raises(Refusal) as refused:
        ingest(pg_url, first)
    assert refused.value.code == "sync.bundle_replayed"
    with device(tablet) as c:
        sync.apply_receipt(c, receipt)
        sync.apply_receipt(c, receipt)  # twice: no harm
        assert sync.status(c)["pending"] == 0
    assert _hub_count(pg_url, "SELECT count(*) FROM hub_journal WHERE kind = 'ingest'") == 1
