"""What the hub's modules share: the connection, the hub's settings and key, its schema
description, and its own hash-chained journal (one entry per ingested bundle, enrolment,
revocation, resolution)."""
from __future__ import annotations

import hashlib
import json
import os
import select
import threading
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator, cast

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now
from desktop.domain.sync import GENESIS, canonical

HUB_COLUMNS = ("hub_seq", "scope_district")  # the hub's own columns on every mirrored table
HubConn = psycopg.Connection[DictRow]  # rows as dictionaries
LOCK = 0x636F6D6D  # advisory lock: ingests exclusive, pulls shared (a pull's cursor never skips a change)
# The change number below which every change is committed, as of the last time a writer took the
# lock (``lock_writer``): a pull that cannot take the shared lock at once (an ingest holds or awaits
# the exclusive one) takes it as its cursor instead of queueing behind every waiting ingest.
SAFE_SEQ = "hub_safe_seq"
SAFE_SEQ_DDL = f"CREATE SEQUENCE IF NOT EXISTS {SAFE_SEQ} START 2"


def q(name: str) -> str:
    """A quoted identifier (``user`` is a reserved word in PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


def _open(pg_url: str) -> HubConn:
    try:
        return psycopg.connect(pg_url, autocommit=True, row_factory=dict_row, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise Refusal("sync.hub_unreachable", detail=str(exc).strip().splitlines()[0] if str(exc) else "") from None


def connect(pg_url: str) -> AbstractContextManager[HubConn]:
    """A connection in autocommit mode (``with connect(url) as conn:``); every write runs in an
    explicit ``conn.transaction()``. In a process that opened a pool for ``pg_url`` (``hub serve``'s
    workers, ``open_pool``) the connection is lent by the pool and given back at the end of the
    ``with``; elsewhere (the CLI, the tests) it is a new one, closed at the end."""
    pool = _POOLS.get(pg_url) if _POOLS_PID == os.getpid() else None  # a forked child opens its own
    return _lent(pool, pg_url) if pool is not None else _open(pg_url)


# The pool of the server process: a few connections kept open (a new PostgreSQL connection costs a
# backend fork, ~5-9 ms), each checked when lent (``_check``: one killed or dropped by the server
# meanwhile is replaced, not handed out) and reset when given back (session advisory locks
# released, dictionary rows). Requests beyond POOL_MAX wait for one: PostgreSQL's own work does not
# go faster with more connections on a small machine, and its max_connections is shared.
POOL_MIN, POOL_MAX = 2, 8
PROBE_S, WAIT_S = 2.0, 120.0  # a lend slower than PROBE_S checks that the server is up at all
_POOLS: dict[str, ConnectionPool[HubConn]] = {}
_POOLS_PID = os.getpid()
_POOLS_LOCK = threading.Lock()


def _check(conn: HubConn) -> None:
    """A connection fit to lend: one whose server ended it (``pg_terminate_backend``, a restart:
    the server says so and closes the socket, which makes it readable) is found by the empty query
    the pool's own check sends, and replaced; an idle connection with nothing to read is lent as
    it is, without that round trip (two per request before: ~0.2 ms of the hub's CPU and
    PostgreSQL's each, four per sync)."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    if select.select([conn.fileno()], [], [], 0)[0]:  # something to read on an idle connection: check it
        ConnectionPool.check_connection(conn)


def _reset(conn: HubConn) -> None:
    conn.row_factory = dict_row  # a caller may have asked for tuples
    conn.execute("SELECT pg_advisory_unlock_all()")  # never a lock left behind by a failed request


def open_pool(pg_url: str, min_size: int = POOL_MIN, max_size: int = POOL_MAX) -> None:
    """Open this process's pool for ``pg_url`` (its connections made in the background: a server
    that is down now does not stop it from starting). Call ``close_pools`` at shutdown."""
    global _POOLS_PID
    with _POOLS_LOCK:
        if _POOLS_PID != os.getpid():  # pools inherited through fork belong to the parent
            _POOLS.clear()
            _POOLS_PID = os.getpid()
        if pg_url in _POOLS:
            return
        pool: ConnectionPool[HubConn] = ConnectionPool(
            pg_url, connection_class=cast("type[HubConn]", psycopg.Connection), kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": 10},
            min_size=min_size, max_size=max_size, check=_check, reset=_reset,
            timeout=WAIT_S, name="hub", open=False)
        pool.open(wait=False)
        _POOLS[pg_url] = pool


def close_pools() -> None:
    """Close this process's pools (their connections closed)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values()) if _POOLS_PID == os.getpid() else []
        _POOLS.clear()
    for pool in pools:
        pool.close()


@contextmanager
def _lent(pool: ConnectionPool[HubConn], pg_url: str) -> Iterator[HubConn]:
    try:
        conn = pool.getconn(timeout=PROBE_S)
    except PoolTimeout:
        _open(pg_url).close()  # the server down: its refusal now, as without a pool; else busy, wait
        try:
            conn = pool.getconn(timeout=WAIT_S)
        except PoolTimeout as exc:
            raise Refusal("sync.hub_unreachable", detail=str(exc)) from None
    try:
        with conn:  # a pool's connection is not closed by its ``with``
            yield conn
    finally:
        pool.putconn(conn)


def lock_writer(conn: HubConn) -> None:
    """Take the hub's exclusive lock for the caller's transaction: every writer that numbers a
    change (``nextval('hub_change_seq')``, a mirrored table's ``hub_seq`` default) holds it from
    before its first number until its commit. Then publish the safe bound: every change numbered
    so far was made by an earlier holder, which committed (and was visible) before giving the lock
    back, so every change up to ``hub_change_seq``'s value now is committed. ``setval`` is not
    transactional: the bound is seen by every session at once and stays if this transaction rolls
    back (its own numbers are above it). A hub without the sequence yet (made before it; created by
    ``ensure_safe_seq``) only skips the bound (``to_regclass``: null, ``setval`` not called), and
    its pulls then wait for the shared lock as before. Sent without waiting for an answer (in a
    pipeline: one round trip with what follows)."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
    conn.execute(f"SELECT setval(to_regclass('{SAFE_SEQ}'), last_value, is_called) FROM hub_change_seq")


def ensure_safe_seq(conn: psycopg.Connection[Any]) -> None:
    """Create the safe bound's sequence on a hub made before it (``hub serve`` start-up, ``hub
    upgrade``); its first value (none yet) makes pulls wait for the lock until a writer sets it."""
    conn.execute(SAFE_SEQ_DDL)


def meta(conn: HubConn, key: str) -> str | None:
    try:
        row = conn.execute("SELECT value FROM hub_meta WHERE key = %s", (key,)).fetchone()
    except psycopg.errors.UndefinedTable:
        raise Refusal("sync.hub_not_initialised") from None
    return row["value"] if row else None


@dataclass(frozen=True)
class HubSchema:
    """The mirrored tables: their columns (name → SQLite type) and foreign keys (column → parent)."""
    version: int
    columns: dict[str, dict[str, str]]
    fks: dict[str, dict[str, str]]
    casts: dict[str, dict[str, type | None]]  # the Python type of each column's values at the hub


_CASTS = {"TEXT": str, "INTEGER": int, "REAL": float}


@lru_cache(maxsize=32)
def _parse_schema(text: str) -> HubSchema:
    data = json.loads(text)
    casts = {t: {c: _CASTS.get(kind) for c, kind in cols.items()} for t, cols in data["columns"].items()}
    return HubSchema(int(data["version"]), data["columns"], data["fks"], casts)


def schema(conn: HubConn) -> HubSchema:
    return _parse_schema(meta(conn, "schema") or "")


def hub_key(conn: HubConn) -> bytes:
    return (meta(conn, "private_key") or "").encode()


@dataclass(frozen=True)
class Settings:
    """What a sync reads of ``hub_meta``, in one round trip (``settings``)."""
    schema: HubSchema
    hub_id: str | None
    key: bytes  # the hub's private key (PEM)
    catalogue_seq: int = 0  # the change number of the catalogue extensions' last change (``hub.catalogue``)


def settings(conn: HubConn) -> Settings:
    try:
        found = {r["key"]: r["value"] for r in conn.execute(
            "SELECT key, value FROM hub_meta WHERE key IN ('schema', 'hub_id', 'private_key', 'catalogue_seq')")}
    except psycopg.errors.UndefinedTable:
        raise Refusal("sync.hub_not_initialised") from None
    return Settings(_parse_schema(found.get("schema") or ""), found.get("hub_id"),
                    (found.get("private_key") or "").encode(), int(found.get("catalogue_seq") or 0))


def journal_append(conn: HubConn, kind: str, device_id: str | None, detail: dict) -> tuple[int, str]:
    """Append one entry to the hub's chain (inside the caller's transaction, under its lock)."""
    last = conn.execute("SELECT seq, hash FROM hub_journal ORDER BY seq DESC LIMIT 1 FOR UPDATE").fetchone()
    seq, prev = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS)
    at, text = utc_now(), canonical(detail)
    digest = hashlib.sha256(canonical([seq, at, kind, device_id, text, prev]).encode()).hexdigest()
    conn.execute("INSERT INTO hub_journal (seq, at, kind, device_id, detail, prev_hash, hash)"
                 " VALUES (%s, %s, %s, %s, %s, %s, %s)", (seq, at, kind, device_id, text, prev, digest))
    return seq, digest


def verify_journal(conn: HubConn) -> list[str]:
    """The hub's chain, whole: problems found (none when intact)."""
    prev, expected, problems = GENESIS, 1, []
    for row in conn.execute("SELECT seq, at, kind, device_id, detail, prev_hash, hash FROM hub_journal ORDER BY seq"):
        digest = hashlib.sha256(canonical([row["seq"], row["at"], row["kind"], row["device_id"], row["detail"],
                                           row["prev_hash"]]).encode()).hexdigest()
        if row["seq"] != expected or row["prev_hash"] != prev or digest != row["hash"]:
            problems.append(f"hub journal entry {row['seq']}: broken")
        prev, expected = row["hash"], row["seq"] + 1
    return problems
