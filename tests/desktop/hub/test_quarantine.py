"""A revoked tablet's later bundle: refused, kept in quarantine, and readable for review (who,
when, signed by its key, each op) from ``hub quarantine``; nothing of it applied."""
import psycopg
import pytest

from desktop.domain.errors import Refusal
from desktop.hub import ingest, revoke
from desktop.hub.devices import quarantined
from desktop.services import sync
from tests.builders import make_inspection
from tests.desktop.hub.helpers import device, make_team, new_device
from tests.desktop.hub.test_files_and_kill import cli


def test_a_revoked_tablets_bundle_is_kept_for_review_never_applied(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        inspection = make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene",
                                     findings=["HYG-01"])
        device_id = sync.status(c)["device_id"]
        revoke(pg_url, device_id, team.users["coord"])
        with pytest.raises(Refusal) as refused:
            ingest(pg_url, sync.make_bundle(c))
    assert refused.value.key == "sync.device_revoked"
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM inspection WHERE id = %s", (inspection,)).fetchone()[0] == 0
    [item] = quarantined(pg_url)
    assert item["device_id"] == device_id and item["username"] == "agent1" and item["signed"]
    assert item["reason"] == "revoked"
    assert ("inspection", "insert", inspection) in {(o["tbl"], o["kind"], o["row_id"]) for o in item["ops"]}
    assert quarantined(pg_url, "another-device") == []

    done = cli("hub", "quarantine", "--pg", pg_url)
    assert f"agent1  appareil {device_id[:8].upper()}" in done.stdout and "Rien n'en a été appliqué" in done.stdout
    assert inspection in done.stdout and "signées par la clé de l'appareil" in done.stdout
    assert inspection in cli("hub", "quarantine", "--pg", pg_url, "--device", device_id, "--json").stdout
