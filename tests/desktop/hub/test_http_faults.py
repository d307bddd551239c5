"""Faults over HTTP: the hub killed (-9) during a sync, HTTPS with the certificate pinned at
enrolment, plain HTTP refused off the loopback."""
import threading
import time

import psycopg
import pytest

from desktop.domain.errors import Refusal
from desktop.hub.serve import check_listen
from desktop.services import netsync, sync
from desktop.services.hubwire import check_url
from tests.builders import PASSWORD, make_inspection
from tests.desktop.hub.helpers import assert_check_ok, device
from tests.desktop.hub.server import HubServer, self_signed


def _many_inspections(path, site_id, n, catalogue):
    with device(path, "agent1") as c:
        for _ in range(n):
            make_inspection(c.store, c.user, catalogue, site_id, field_code="hygiene", findings=["HYG-01"])
        return c.store.scalar("SELECT count(*) FROM inspection"), sync.status(c)["pending"]


def _wait_for_ingest(pg_url: str, timeout: float = 20.0) -> None:
    name = pg_url.rsplit("/", 1)[1]
    deadline = time.monotonic() + timeout
    with psycopg.connect(pg_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        while time.monotonic() < deadline:
            busy = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
                                " AND backend_xid IS NOT NULL", (name,)).fetchone()[0]  # a transaction that wrote
            if busy:
                return
            time.sleep(0.005)
    raise AssertionError("the hub never started ingesting")


@pytest.mark.slow
def test_the_hub_killed_during_a_sync_then_a_retry_loses_and_doubles_nothing(team, tmp_path, catalogue):
    hub = HubServer(team.pg_url).start()
    try:
        tablet = tmp_path / "tablet.sqlite"
        netsync.enroll_device(tablet, hub.url, "agent1", PASSWORD)
        inspections, pending = _many_inspections(tablet, team.sites[0], 400, catalogue)
        outcome: dict = {}

        def run():
            try:
                outcome["result"] = netsync.sync_now(tablet)
            except Refusal as exc:
                outcome["refusal"] = exc
        worker = threading.Thread(target=run)
        worker.start()
        _wait_for_ingest(team.pg_url)   # the hub is writing the bundle into PostgreSQL
        hub.kill()                      # kill -9 then: no answer, no clean-up, its transaction cut
        worker.join(60)
        assert "refusal" in outcome, "the sync finished before the kill: make the day's work larger"
        assert outcome["refusal"].key in ("net.interrupted", "net.unreachable", "net.timeout")
        with device(tablet) as c:
            assert sync.status(c)["pending"] == pending  # nothing taken as sent without a receipt
            device_id = sync.status(c)["device_id"]
        with psycopg.connect(team.pg_url) as conn:  # the cut transaction left nothing half-applied
            for _ in range(200):
                if conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                " AND backend_xid IS NOT NULL").fetchone()[0] == 0:
                    break
                time.sleep(0.05)
            assert conn.execute("SELECT count(*) FROM hub_op WHERE device_id = %s", (device_id,)).fetchone()[0] == 0
            assert conn.execute("SELECT count(*) FROM inspection WHERE device_id = %s", (device_id,)).fetchone()[0] == 0
        hub.start()
        result = netsync.sync_now(tablet)
        assert result.status["pending"] == 0
        with psycopg.connect(team.pg_url) as conn:
            ops = conn.execute("SELECT count(*), count(DISTINCT seq) FROM hub_op WHERE device_id = %s",
                               (device_id,)).fetchone()
            at_hub = conn.execute("SELECT count(*) FROM inspection WHERE device_id = %s", (device_id,)).fetchone()[0]
        assert ops == (pending, pending)                       # each op once
        assert at_hub == inspections                           # every inspection, once
        assert_check_ok(tablet)
    finally:
        hub.stop()


def test_https_pins_the_hub_certificate_taken_at_enrolment(team, tmp_path):
    tls = self_signed(tmp_path, "hub")
    with HubServer(team.pg_url, tls=tls) as hub:
        pem, fingerprint = netsync.hub_fingerprint(hub.url)
        assert pem == tls[0].read_text() or "BEGIN CERTIFICATE" in pem
        assert len(fingerprint.split(":")) == 32
        tablet = tmp_path / "tablet.sqlite"
        netsync.enroll_device(tablet, hub.url, "agent1", PASSWORD, certificate=pem)
        assert netsync.sync_now(tablet).status["enrolled"]
        port = hub.port
    # the same address now presents another certificate (a machine in the middle, or a new server)
    with HubServer(team.pg_url, tls=self_signed(tmp_path, "impostor"), port=port):
        with pytest.raises(Refusal) as changed:
            netsync.sync_now(tablet)
        assert changed.value.key == "net.certificate_changed"


def test_plain_http_only_on_the_loopback():
    assert check_listen("127.0.0.1:8443", None, None) == ("127.0.0.1", 8443)
    for listen in ("0.0.0.0:8443", "192.168.1.10:8443"):
        with pytest.raises(Refusal) as refused:
            check_listen(listen, None, None)
        assert refused.value.key == "net.plain_http_listen"
    assert check_listen("0.0.0.0:8443", "c.pem", "k.pem") == ("0.0.0.0", 8443)
    with pytest.raises(Refusal):
        check_listen("0.0.0.0:8443", "c.pem", None)
    with pytest.raises(Refusal) as plain:
        check_url("http://hub.commune.ma:8443")
    assert plain.value.key == "net.plain_http"
    assert check_url("http://127.0.0.1:9000")[0] == "http"
