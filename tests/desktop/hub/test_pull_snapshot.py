"""A pull holds the hub's lock only while it takes its cursor and snapshot, and only when it can
take it at once: with an ingest in flight (or waiting for the lock) it does not wait, and takes as
its cursor the safe bound the last writer published (``base.lock_writer``); a hub without that
bound yet waits for the ingest. An ingest that commits while the pull reads its rows is neither
held back nor skipped (its changes are numbered above the pull's cursor), and no interleaving of
writers and pulls skips a change."""
import importlib
import random
import threading
import time

import psycopg
import pytest

from desktop.domain import pullformat
from desktop.hub.base import LOCK, SAFE_SEQ, connect, ensure_safe_seq, lock_writer
from tests.desktop.hub.helpers import make_team, new_device

hub_pull = importlib.import_module("desktop.hub.pull")  # the package names its function ``pull``


def _station(team, tmp_path, pg_url) -> str:
    new_device(team, tmp_path, "coord")
    with psycopg.connect(pg_url) as conn:
        return conn.execute("SELECT device_id FROM hub_device WHERE user_id = %s",
                            (team.users["coord"],)).fetchone()[0]


def _pull(pg_url: str, device_id: str, cursor: int, out: list) -> None:
    with connect(pg_url) as conn:
        out.append(hub_pull.pull_body(conn, device_id, cursor))


def _change(conn, site_id: str, name: str) -> int:
    """What an ingest does: the exclusive lock (and the safe bound), then a change numbered."""
    lock_writer(conn)
    return conn.execute("UPDATE site SET name = %s, hub_seq = nextval('hub_change_seq') WHERE id = %s"
                        " RETURNING hub_seq", (name, site_id)).fetchone()[0]


def _site(body: dict, site_id: str) -> dict | None:
    site = pullformat.tables(body).get("site")
    return next((r for r in site.dicts() if r["id"] == site_id), None) if site else None


def test_a_pull_does_not_wait_for_an_ingest_in_flight_and_the_next_pull_has_it(tmp_path, empty_commune_path,
                                                                                pg_url):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    station = _station(team, tmp_path, pg_url)
    with psycopg.connect(pg_url) as earlier:  # a committed change, numbered before the bound
        done = _change(earlier, team.sites[1], "Café déjà là")
    out: list = []
    with psycopg.connect(pg_url, autocommit=True) as queued:
        with psycopg.connect(pg_url) as writer:  # (closed first: a failed check does not leave it waiting)
            seq = _change(writer, team.sites[0], "Café en cours")
            # an ingest waiting for the lock too: a shared request would queue behind it
            waiting = threading.Thread(target=queued.execute, args=("SELECT pg_advisory_lock(%s)", (LOCK,)))
            waiting.start()
            time.sleep(0.2)
            reader = threading.Thread(target=_pull, args=(pg_url, station, 1, out))
            reader.start()
            reader.join(5)
            assert not reader.is_alive() and out  # not held back
            first = out[0]
            assert done <= first["cursor"] < seq  # the committed change counted, the one in flight not
            assert _site(first, team.sites[1])["name"] == "Café déjà là"
            assert (_site(first, team.sites[0]) or {}).get("name") != "Café en cours"
            writer.commit()
        waiting.join(10)
        queued.execute("SELECT pg_advisory_unlock(%s)", (LOCK,))
    _pull(pg_url, station, first["cursor"], out)  # from the first pull's cursor: nothing skipped
    assert out[1]["cursor"] >= seq
    assert _site(out[1], team.sites[0])["name"] == "Café en cours"


def test_a_hub_without_the_safe_bound_waits_for_an_ingest_in_flight_and_sees_it(tmp_path, empty_commune_path,
                                                                                 pg_url):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    station = _station(team, tmp_path, pg_url)
    with psycopg.connect(pg_url) as conn:
        conn.execute(f"DROP SEQUENCE {SAFE_SEQ}")  # a hub made before it
    out: list = []
    with psycopg.connect(pg_url) as writer:
        seq = _change(writer, team.sites[0], "Café en cours")
        reader = threading.Thread(target=_pull, args=(pg_url, station, 1, out))
        reader.start()
        time.sleep(0.5)
        assert reader.is_alive() and not out  # held back: the change is numbered, not committed
        writer.commit()
    reader.join(10)
    assert out[0]["cursor"] >= seq
    assert _site(out[0], team.sites[0])["name"] == "Café en cours"
    with psycopg.connect(pg_url) as conn:  # ``hub serve``'s start-up, ``hub upgrade``: made again
        ensure_safe_seq(conn)
        assert conn.execute(f"SELECT pg_sequence_last_value('{SAFE_SEQ}')").fetchone()[0] is None  # none yet
        seq = _change(conn, team.sites[0], "Café suivant")
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(f"SELECT pg_sequence_last_value('{SAFE_SEQ}')").fetchone()[0] == seq - 1


def test_an_ingest_commits_while_a_pull_reads_and_the_next_pull_has_it(tmp_path, empty_commune_path, pg_url,
                                                                      monkeypatch):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    station = _station(team, tmp_path, pg_url)
    reading, ingested = threading.Event(), threading.Event()
    changed = hub_pull._changed

    def slow_changed(*args):
        reading.set()
        assert ingested.wait(10)
        return changed(*args)
    monkeypatch.setattr(hub_pull, "_changed", slow_changed)
    out: list = []
    reader = threading.Thread(target=_pull, args=(pg_url, station, 1, out))
    reader.start()
    assert reading.wait(10)
    with psycopg.connect(pg_url) as writer:
        writer.execute("SET lock_timeout = '5s'")  # the pull reading its rows does not hold the lock
        seq = _change(writer, team.sites[0], "Café renommé")
    ingested.set()
    reader.join(10)
    first = out[0]
    assert first["cursor"] < seq  # the pull's snapshot: the rename is not in it, nor counted
    assert (_site(first, team.sites[0]) or {}).get("name") != "Café renommé"
    monkeypatch.setattr(hub_pull, "_changed", changed)
    _pull(pg_url, station, first["cursor"], out)
    assert _site(out[1], team.sites[0])["name"] == "Café renommé"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_writers_and_pulls_interleaved_never_skip_a_change(tmp_path, empty_commune_path, pg_url, seed):
    """Writers (each change under the lock, held a random while, committed or rolled back, some
    without publishing the bound) and pulls run together; every change committed with a number
    up to a pull's cursor (and above its ``since``) is in that pull, at that version or a later one,
    and the pulls' replicas end as the hub's rows."""
    team = make_team(tmp_path, empty_commune_path, pg_url)
    station = _station(team, tmp_path, pg_url)
    rng = random.Random(seed)
    committed: list[tuple[str, int]] = []  # (site, change number) of every committed change
    pulls: list[tuple[int, dict]] = []      # (since, body)
    stop = threading.Event()

    def writer(n: int, rng: random.Random) -> None:
        with psycopg.connect(pg_url) as conn:
            for k in range(12):
                site = rng.choice(team.sites)
                if rng.random() < 0.2:  # a writer that does not publish the bound: only later bounds
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
                    seq = conn.execute("UPDATE site SET name = %s, hub_seq = nextval('hub_change_seq')"
                                       " WHERE id = %s RETURNING hub_seq", (f"w{n}-{k}", site)).fetchone()[0]
                else:
                    seq = _change(conn, site, f"w{n}-{k}")
                time.sleep(rng.random() * 0.02)
                if rng.random() < 0.2:
                    conn.rollback()
                else:
                    conn.commit()
                    committed.append((site, seq))

    def reader(rng: random.Random, replica: dict) -> None:
        cursor = 0
        while True:
            last = stop.is_set()  # one more pull after the writers are done
            out: list = []
            _pull(pg_url, station, cursor, out)
            pulls.append((cursor, out[0]))
            site = pullformat.tables(out[0]).get("site")
            replica.update({r["id"]: r["name"] for r in site.dicts()} if site else {})
            cursor = out[0]["cursor"]
            if last:
                return
            time.sleep(rng.random() * 0.01)

    writers = [threading.Thread(target=writer, args=(n, random.Random(rng.random()))) for n in range(3)]
    replicas: list[dict] = [{}, {}]
    readers = [threading.Thread(target=reader, args=(random.Random(rng.random()), r)) for r in replicas]
    for t in writers + readers:
        t.start()
    for t in writers:
        t.join(60)
    stop.set()
    for t in readers:
        t.join(60)
    assert committed and len(pulls) > 10
    for since, body in pulls:
        site = pullformat.tables(body).get("site")
        got = {r[0]["id"]: r[1] for r in zip(site.dicts(), site.seqs())} if site else {}
        for row_id, seq in committed:
            if since < seq <= body["cursor"]:
                assert got.get(row_id, 0) >= seq, (since, body["cursor"], row_id, seq)
    with psycopg.connect(pg_url) as conn:  # each reader's pulls, applied in order: the hub's rows
        hub = dict(conn.execute("SELECT id, name FROM site").fetchall())
    assert replicas == [hub, hub]
