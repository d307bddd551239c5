"""The hub's connection pool and worker processes (``hub serve --workers N``): connections kept
open between requests but one killed by PostgreSQL replaced, no advisory lock left behind by a
request, a server that is down still refused clearly, a revocation effective on the very next
request whichever worker answers it, and a real sync through two workers."""
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from desktop.domain.errors import Refusal
from desktop.hub import revoke
from desktop.hub.base import LOCK, POOL_MAX, close_pools, connect, lock_writer, open_pool
from desktop.services import netsync, sync
from desktop.services.hubwire import sign_request
from tests.builders import PASSWORD, make_inspection
from tests.desktop.hub.helpers import device
from tests.desktop.hub.server import ROOT, HubServer, free_port


@pytest.fixture
def pooled(pg_url):
    open_pool(pg_url, min_size=1, max_size=1)  # one connection: the same one each time
    try:
        yield pg_url
    finally:
        close_pools()


def _backend(pg_url: str) -> int:
    with connect(pg_url) as conn:
        return int(conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"])


def _hub_backends(pg_url: str) -> list[int]:
    """The server processes of the connections to the hub's database (the pools' connections)."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                                           " AND pid <> pg_backend_pid()")]


def test_a_pooled_connection_is_lent_again_and_one_killed_meanwhile_replaced(pooled):
    first = _backend(pooled)
    assert _backend(pooled) == first  # the same connection, not a new one
    with psycopg.connect(pooled, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (first,)).fetchone()[0]
    time.sleep(0.2)
    second = _backend(pooled)  # checked when lent: the dead one is not handed out
    assert second != first
    assert _backend(pooled) == second


def test_a_lock_a_request_left_behind_is_released_when_its_connection_returns(pooled):
    with connect(pooled) as conn:  # as a pull failing between its lock and its unlock
        conn.execute("SELECT pg_advisory_lock_shared(%s)", (LOCK,))
    # an ingest's exclusive lock is free as soon as the pool has reset the connection (its worker
    # thread does it once the connection is back): an ingest waiting on it gets it, not a timeout
    with psycopg.connect(pooled, autocommit=True) as other:
        other.execute("SET lock_timeout = '10s'")
        other.execute("SELECT pg_advisory_lock(%s)", (LOCK,))
        assert other.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                             " AND pid = pg_backend_pid()").fetchone()[0] == 1


def test_a_pool_whose_server_is_down_refuses_clearly_and_soon():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"postgresql://postgres@127.0.0.1:{s.getsockname()[1]}/hub"
    open_pool(url)
    try:
        start = time.monotonic()
        with pytest.raises(Refusal) as down, connect(url):
            pass
        assert down.value.key == "sync.hub_unreachable" and "refused" in str(down.value.params["detail"]).lower()
        assert time.monotonic() - start < 8
    finally:
        close_pools()


def _fresh_get(url: str, headers: dict) -> httpx.Response:
    with httpx.Client() as client:  # a new TCP connection: either worker may take it
        return client.get(url, headers=headers)


def test_the_hub_survives_its_database_connections_killed_between_syncs(team, tmp_path, catalogue):
    with HubServer(team.pg_url) as hub:
        tablet = tmp_path / "agent1-device.sqlite"
        netsync.enroll_device(tablet, hub.url, "agent1", PASSWORD)
        killed = _hub_backends(team.pg_url)
        assert killed  # the server keeps its connections between requests
        with psycopg.connect(team.pg_url, autocommit=True) as admin:
            for pid in killed:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.2)
        with device(tablet, "agent1") as c:
            make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene")
            pending = sync.status(c)["pending"]
        result = netsync.sync_now(tablet)
        assert result.receipt["acknowledged"] == pending and result.status["pending"] == 0
        assert not set(_hub_backends(team.pg_url)) & set(killed)


def test_a_revoked_device_is_refused_on_its_next_request_by_every_worker(team, tmp_path):
    with HubServer(team.pg_url, workers=2) as hub:
        tablet = tmp_path / "agent1-device.sqlite"
        device_id = netsync.enroll_device(tablet, hub.url, "agent1", PASSWORD).status["device_id"]
        key = netsync.device_key(tablet)

        def pull() -> httpx.Response:
            return _fresh_get(f"{hub.url}/v1/pull?cursor=0",
                              sign_request(key, device_id, "GET", "/v1/pull?cursor=0", b""))
        assert all(pull().status_code == 200 for _ in range(6))  # both workers' pools warm
        revoke(team.pg_url, device_id, "admin")
        answers = [pull() for _ in range(6)]
        assert all(a.status_code == 403 and a.json()["code"] == "net.device_revoked" for a in answers)


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return out


def test_hub_serve_with_two_workers_serves_a_real_sync(team, tmp_path, catalogue):
    with HubServer(team.pg_url, workers=2) as hub:
        assert hub.proc is not None
        workers = [p for p in _children(hub.proc.pid)
                   if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert len(workers) == 2
        tablet, station = tmp_path / "agent1.sqlite", tmp_path / "coord.sqlite"
        netsync.enroll_device(tablet, hub.url, "agent1", PASSWORD)
        netsync.enroll_device(station, hub.url, "coord", PASSWORD)
        with device(tablet, "agent1") as c:
            inspection = make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene",
                                         findings=["HYG-01"])
            pending = sync.status(c)["pending"]
        assert netsync.sync_now(tablet).receipt["acknowledged"] == pending
        assert netsync.sync_now(station).pull["rows"] >= 2
        with device(station) as c:
            assert c.store.scalar("SELECT count(*) FROM inspection WHERE id = ?", (inspection,)) == 1
    assert hub.proc.returncode is not None and not any(os.path.exists(f"/proc/{p}") for p in workers)


def test_hub_serve_refuses_no_worker(pg_url):
    done = subprocess.run([sys.executable, "-m", "desktop", "hub", "serve", "--pg", pg_url, "--listen",
                           f"127.0.0.1:{free_port()}", "--workers", "0"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode != 0 and "Traceback" not in done.stderr and ": 0 (" in done.stderr  # the message, in French or Arabic


def test_pulls_are_answered_while_more_ingests_than_the_pool_wait_for_the_lock(team, tmp_path, catalogue):
    """Ingests waiting for the hub's lock hold at most half the worker's pool (``app.INGESTS_AT_ONCE``):
    a pull meanwhile gets a connection, and answers without waiting for them (the safe bound)."""
    with HubServer(team.pg_url) as hub:
        tablet = tmp_path / "agent1.sqlite"
        netsync.enroll_device(tablet, hub.url, "agent1", PASSWORD)
        with device(tablet, "agent1") as c:
            make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene")
            bundle = sync.make_bundle(c)
        with netsync.client_for(tablet) as client:
            receipt = client.push(bundle)  # ingested: sent again, its receipt, read under the lock
        answers: list = []

        def push() -> None:
            with netsync.client_for(tablet) as client:
                answers.append(client.push(bundle))
        with psycopg.connect(team.pg_url) as writer:
            lock_writer(writer)  # an ingest holding the lock
            pushes = [threading.Thread(target=push) for _ in range(POOL_MAX + 2)]
            for t in pushes:
                t.start()
            time.sleep(1.5)
            pulled: list = []
            start = time.monotonic()
            def pull() -> None:
                with netsync.client_for(tablet) as client:
                    pulled.append(client.pull(0))
            reader = threading.Thread(target=pull)
            reader.start()
            reader.join(8)
            assert pulled and time.monotonic() - start < 8 and not answers  # the ingests still wait
            writer.rollback()
        for t in pushes:
            t.join(60)
        assert answers == [receipt] * (POOL_MAX + 2)
