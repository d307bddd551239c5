"""A hub seeded from the demo commune (3,000 inspections): the coordinator's station gets the
whole commune, an officer's tablet its arrondissement; both replicas pass ``check`` (foreign keys
included: rows outside the slice that the slice refers to come with it)."""
import psycopg
import pytest

from desktop.hub import enroll, init_hub, pull
from desktop.services import sync
from desktop.store.check import check_store
from tests.desktop.hub.helpers import device


def _replica(tmp_path, pg_url, username, password, name):
    path = tmp_path / f"{name}.sqlite"
    private, public = sync.generate_device_key()
    enrolment = enroll(pg_url, username, password, public)
    sync.enroll_local(path, {**enrolment, "device_key": private})
    with device(path) as c:
        sync.apply_pull(c, pull(pg_url, enrolment["device_id"], 0))
    return path, enrolment


@pytest.mark.slow
def test_replicas_of_the_demo_commune(tmp_path, demo_path, pg_url):
    result = init_hub(pg_url, demo_path)
    assert result["rows"]["inspection"] == 3000
    station, _ = _replica(tmp_path, pg_url, "coordinateur", "coord-demo", "station")
    tablet, enrolment = _replica(tmp_path, pg_url, "agent001", "agent-demo", "tablet")
    district = enrolment["scope"]["district_id"]
    assert district
    with device(station) as c:
        report = check_store(c.store)
        assert report.ok, report.problems
        assert c.store.scalar("SELECT count(*) FROM inspection") == 3000
    with psycopg.connect(pg_url) as conn:
        mine = conn.execute("SELECT count(*) FROM inspection WHERE scope_district = %s", (district,)).fetchone()[0]
    with device(tablet) as c:
        report = check_store(c.store)
        assert report.ok, report.problems
        held = c.store.scalar("SELECT count(*) FROM inspection")
        assert mine <= held < 3000  # its arrondissement, and the few others its rows refer to
        assert c.store.scalar("SELECT count(*) FROM inspection WHERE district_id = ?", (district,)) == mine
