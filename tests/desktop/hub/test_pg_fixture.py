"""The PostgreSQL fixture: a database of one's own, empty, and gone after the test."""
import psycopg

from tests.pg import temporary_database, pg_available
import pytest


def test_a_database_of_ones_own(pg_url):
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (1)")
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 1


def test_the_database_is_dropped_after():
    if pg_available():
        pytest.skip(pg_available())
    with temporary_database() as url:
        name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres") as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()[0] == 0
