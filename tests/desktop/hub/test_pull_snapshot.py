"""A pull holds the hub's lock only while it takes its cursor and snapshot: an ingest in flight
holds it back until that ingest commits, and an ingest that commits while the pull reads its rows
is neither held back nor skipped (its changes are numbered above the pull's cursor)."""
import importlib
import threading
import time

import psycopg

from desktop.domain import pullformat
from desktop.hub.base import LOCK, connect
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
    """What an ingest does: the exclusive lock, then a change numbered."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
    return conn.execute("UPDATE site SET name = %s, hub_seq = nextval('hub_change_seq') WHERE id = %s"
                        " RETURNING hub_seq", (name, site_id)).fetchone()[0]


def _site(body: dict, site_id: str) -> dict | None:
    site = pullformat.tables(body).get("site")
    return next((r for r in site.dicts() if r["id"] == site_id), None) if site else None


def test_a_pull_waits_for_an_ingest_in_flight_and_sees_it(tmp_path, empty_commune_path, pg_url):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    station = _station(team, tmp_path, pg_url)
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
