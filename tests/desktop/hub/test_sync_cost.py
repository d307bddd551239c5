"""What one sync costs the hub, where a cost was found and cut (h-p95): the rows a bundle names
read by their index, not by a scan of the table; a pooled connection lent without a round trip
when it has nothing to say (one ended by the server still replaced, ``test_pool``); a serving
worker's rules' context (catalogue, district shapes, the geo engine) made at start-up, not by its
first ingest under the ingest lock."""
from __future__ import annotations

import asyncio
import json
import time

import psycopg

from desktop.hub import init_hub, validate
from desktop.hub.app import create_app
from desktop.hub.base import close_pools, connect, open_pool
from desktop.hub.state import IN_IDS, json_ids
from desktop.services.commune import open_commune
from tests.builders import make_district
from tests.desktop.hub.test_validate import D1_SHAPE, D2_SHAPE


def test_the_rows_a_bundle_names_are_read_by_their_index(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE finding_like (id text PRIMARY KEY, note text)")
        conn.execute("INSERT INTO finding_like SELECT 'f' || n, repeat('x', 200) FROM generate_series(1, 5000) n")
        conn.execute("ANALYZE finding_like")
        ids = json_ids(f"f{n}" for n in range(100, 140))
        plan = "\n".join(r[0] for r in conn.execute(f"EXPLAIN SELECT * FROM finding_like WHERE id {IN_IDS}", (ids,)))
        assert "finding_like_pkey" in plan and "Seq Scan on finding_like" not in plan, plan
        found = {r[0] for r in conn.execute(f"SELECT id FROM finding_like WHERE id {IN_IDS}",
                                            (json.dumps(["f100", "f101", "f100", "nope"]),))}
        assert found == {"f100", "f101"}  # each row once, an unknown id none
        assert not conn.execute(f"SELECT id FROM finding_like WHERE id {IN_IDS}", ("[]",)).fetchall()


def _last_query(pg_url: str, pid: int) -> str:
    with psycopg.connect(pg_url, autocommit=True) as admin:
        return admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0]


def test_an_idle_healthy_connection_is_lent_without_a_query(pg_url):
    open_pool(pg_url, min_size=1, max_size=1)
    try:
        with connect(pg_url) as conn:
            pid = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
        time.sleep(0.1)  # given back: reset (its advisory locks released) by the pool
        before = _last_query(pg_url, pid)
        assert "pg_advisory_unlock_all" in before
        with connect(pg_url) as conn:
            assert _last_query(pg_url, pid) == before  # lent as it was: no empty query sent to check it
            assert conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"] == pid
    finally:
        close_pools()


def test_a_serving_worker_makes_the_rules_context_at_start_up(tmp_path, empty_commune_path, pg_url):
    seed = tmp_path / "seed.sqlite"
    seed.write_bytes(empty_commune_path.read_bytes())
    with open_commune(seed) as c:
        make_district(c.store, "D1", geometry=D1_SHAPE)
        make_district(c.store, "D2", geometry=D2_SHAPE)
    init_hub(pg_url, seed)
    validate._locators.clear()
    validate._catalogue.cache_clear()
    app = create_app(pg_url)

    async def serving() -> None:
        async with app.router.lifespan_context(app):  # a worker's start-up: its pool, then the context
            assert validate._catalogue.cache_info().currsize == 1
            [locator] = validate._locators.values()
            assert locator is not None and len(locator.ids) == 2
            with connect(pg_url) as conn:  # the first bundle's context: the one made, not made again
                assert validate._read_context(conn)[1] is locator
    asyncio.run(serving())
