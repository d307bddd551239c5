"""``make_bundle`` writes the body without parsing and re-writing each op's stored values: the text
it signs must be, byte for byte, the canonical JSON of the pending ops as ``outbox.pending`` reads
them (what it signed before), whatever the values (accents, quotes, floats, nulls, updates)."""
import json

from desktop.domain import bundle
from desktop.domain.sync import FORMAT, canonical
from desktop.hub import ingest
from desktop.services import sync
from desktop.store import outbox
from tests.builders import make_inspection
from tests.desktop.hub.helpers import device, make_team, new_device


def test_the_bundle_is_the_canonical_json_of_the_pending_ops(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene", findings=["HYG-01"])
        iid = c.store.scalar("SELECT id FROM inspection ORDER BY created_at DESC LIMIT 1")
        with c.store.transaction(c.user.id) as tx:
            tx.update("inspection", iid, {"notes": 'complété « "guillemets" » \\ \n\t مخالفة', "lat": 33.123456789,
                                          "lon": -7.5})
        with c.store.transaction(c.user.id) as tx:
            tx.update("inspection", iid, {"notes": "", "second_officer_id": None, "lat": 1e-7})
        pending = outbox.pending(c.store.conn)
        data = sync.make_bundle(c)
        outer = json.loads(data)
        body = json.loads(outer["body"])
        assert body["ops"] == pending and len(pending) >= 7
        assert outer["body"] == canonical({"format": FORMAT, **{k: v for k, v in body.items() if k != "format"}})
        assert any('"guillemets"' in str(op["new"].get("notes")) for op in body["ops"])
        receipt = bundle.peek(ingest(team.pg_url, data))  # the hub verifies every op's hash
        assert set(receipt["results"].values()) == {"applied"} and receipt["through_seq"] == pending[-1]["seq"]
