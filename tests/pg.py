"""PostgreSQL for tests: a database with a unique name on 127.0.0.1:5432 (user ``postgres``, trust
auth), created for one test and dropped after it. Tests that need it skip, with the reason, when no
server answers (set ``COMMUNE_POLICE_TEST_PG`` to another server's base URL, without database)."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest

BASE_URL = os.environ.get("COMMUNE_POLICE_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def _admin_connect():
    import psycopg
    return psycopg.connect(f"{BASE_URL}/postgres", autocommit=True, connect_timeout=3)


def pg_available() -> str | None:
    """None when the server answers, else why not (the skip message)."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with _admin_connect():
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL unreachable at {BASE_URL}: {str(exc).strip().splitlines()[0]}"


@contextmanager
def temporary_database(prefix: str = "cp_test") -> Iterator[str]:
    """Create a database with a unique name, yield its URL, drop it (with its connections) after."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{BASE_URL}/{name}"
    finally:
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    reason = pg_available()
    if reason:
        pytest.skip(reason)
    with temporary_database() as url:
        yield url
