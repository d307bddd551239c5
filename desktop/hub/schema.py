"""The hub's PostgreSQL schema: the commune's tables mirrored from the SQLite schema (generated,
so that a migration's new column reaches the hub without code), plus the hub's own tables; and
``init_hub``, which seeds it from an existing commune with ``COPY``."""
from __future__ import annotations

import json
from pathlib import Path

import psycopg

from desktop.domain import bundle
from desktop.domain.catalogue import extension_files
from desktop.domain.errors import Refusal
from desktop.domain.ids import uuid7
from desktop.domain.sync import TABLES, table_order
from desktop.hub import numbers
from desktop.hub.base import HubConn, connect, journal_append, q
from desktop.services.commune import catalogue_dir
from desktop.store.db import open_store
from desktop.store.engine import sqlite3
from desktop.store.errors import StoreError
from desktop.store.migrations import LATEST

PG_TYPES = {"INTEGER": "bigint", "REAL": "double precision", "TEXT": "text"}

HUB_TABLES = """
CREATE TABLE hub_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE SEQUENCE hub_change_seq START 2;
CREATE SEQUENCE hub_safe_seq START 2;
CREATE TABLE hub_device (
    device_id text PRIMARY KEY, user_id text NOT NULL, username text NOT NULL, role text NOT NULL,
    public_key text NOT NULL, scope_district text, full_scope boolean NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    enrolled_at text NOT NULL, revoked_at text, revoked_by text,
    last_seq bigint NOT NULL DEFAULT 0, last_hash text NOT NULL, last_bundle_no bigint NOT NULL DEFAULT 0,
    cursor bigint NOT NULL DEFAULT 0, last_seen text);
CREATE TABLE hub_op (
    op_id text PRIMARY KEY, device_id text NOT NULL REFERENCES hub_device, seq bigint NOT NULL,
    tbl text NOT NULL, row_id text NOT NULL, kind text NOT NULL, actor text, hlc text NOT NULL,
    hash text NOT NULL, op json NOT NULL, status text NOT NULL, journal_seq bigint NOT NULL,
    UNIQUE (device_id, seq));
CREATE INDEX hub_op_row ON hub_op (device_id, tbl, row_id);
CREATE TABLE hub_journal (
    seq bigint PRIMARY KEY, at text NOT NULL, kind text NOT NULL, device_id text, detail text NOT NULL,
    prev_hash text NOT NULL, hash text NOT NULL);
CREATE TABLE hub_conflict (
    conflict_id text PRIMARY KEY, op_id text NOT NULL, device_id text NOT NULL, tbl text NOT NULL,
    row_id text NOT NULL, column_name text, kind text NOT NULL, reason text NOT NULL,
    base_value jsonb, device_value jsonb, hub_value jsonb, status text NOT NULL DEFAULT 'open',
    created_at text NOT NULL, resolved_by text, resolved_at text, choice text);
CREATE INDEX hub_conflict_status ON hub_conflict (status, created_at);
CREATE INDEX hub_conflict_op ON hub_conflict (op_id);
CREATE TABLE hub_receipt (device_id text NOT NULL, bundle_no bigint NOT NULL, receipt bytea NOT NULL,
    PRIMARY KEY (device_id, bundle_no));
CREATE TABLE hub_quarantine (id bigserial PRIMARY KEY, device_id text NOT NULL, received_at text NOT NULL,
    reason text NOT NULL, bundle bytea NOT NULL);
CREATE TABLE hub_blob (sha256 text PRIMARY KEY, size bigint NOT NULL, data bytea NOT NULL);
CREATE OR REPLACE FUNCTION hub_append_only() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'the hub journal is append-only'; END $$;
CREATE TRIGGER hub_journal_append_only BEFORE UPDATE OR DELETE ON hub_journal
    FOR EACH ROW EXECUTE FUNCTION hub_append_only();
"""


def describe(conn: sqlite3.Connection) -> dict:
    """The synced tables of a commune's SQLite schema: columns with their types, foreign keys."""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    columns, fks = {}, {}
    for table in table_order([t for t in TABLES if t in names]):
        columns[table] = {r[1]: (r[2] or "TEXT").upper() for r in conn.execute(f"PRAGMA table_info([{table}])")}
        fks[table] = {r[3]: r[2] for r in conn.execute(f"PRAGMA foreign_key_list([{table}])") if r[2] in TABLES}
    return {"version": LATEST, "columns": columns, "fks": fks}


def mirror_ddl(desc: dict) -> list[str]:
    statements = []
    for table, cols in desc["columns"].items():
        defs = [f"{q(c)} {PG_TYPES.get(t, 'text')}{' PRIMARY KEY' if c == 'id' else ''}" for c, t in cols.items()]
        defs += ["hub_seq bigint NOT NULL DEFAULT 1", "scope_district text"]
        statements.append(f"CREATE TABLE {q(table)} ({', '.join(defs)})")
        statements.append(f"CREATE INDEX {q(table + '_hub_seq')} ON {q(table)} (hub_seq)")
        statements.append(f"CREATE INDEX {q(table + '_scope')} ON {q(table)} (scope_district, hub_seq)")
        for column in desc.get("fks", {}).get(table, {}):  # the rules' and the pull's reads by parent
            statements.append(f"CREATE INDEX {q(table + '_' + column)} ON {q(table)} ({q(column)})")
    return statements


def scope_sql(table: str) -> str | None:
    """The statement that derives every row's ``scope_district`` (its arrondissement)."""
    path = TABLES[table].scope
    if not path:
        return None
    if len(path) == 1:
        return f"UPDATE {q(table)} SET scope_district = {q(path[0])}"
    fk, parent = path
    return (f"UPDATE {q(table)} c SET scope_district = p.scope_district FROM {q(parent)} p"
            f" WHERE p.id = c.{q(fk)}")


def _seed_blobs(conn: HubConn, store) -> int:
    """The commune's photos and PDFs, by their hash (each checked before it goes in)."""
    n = 0
    for (sha,) in store.conn.execute("SELECT DISTINCT sha256 FROM attachment"):
        try:
            data = store.attachments.read(sha)  # decrypted and checked against its hash
        except StoreError:
            continue  # missing or damaged: `check` on the commune names it; the row still travels
        conn.execute("INSERT INTO hub_blob (sha256, size, data) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                     (sha, len(data), data))
        n += 1
    return n


def init_hub(pg_url: str, commune_db_path: str | Path) -> dict:
    """Create the hub's schema in an empty database and seed it from a commune, in one transaction.
    Returns ``{"hub_id", "rows": {table: count}, "blobs": files}``."""
    store = open_store(commune_db_path)  # migrated to the current schema if older (with its backup)
    try:
        desc = describe(store.conn)
        private, public = bundle.new_key()
        hub_id = uuid7()
        counts = {}
        with connect(pg_url) as conn:
            exists = conn.execute("SELECT to_regclass('hub_meta') IS NOT NULL AS e").fetchone()
            if exists and exists["e"]:
                raise Refusal("sync.hub_exists")
            with conn.transaction():
                conn.execute(HUB_TABLES)
                for statement in mirror_ddl(desc):
                    conn.execute(statement)
                for table, cols in desc["columns"].items():
                    names = list(cols)
                    with conn.cursor().copy(f"COPY {q(table)} ({', '.join(q(c) for c in names)}) FROM STDIN") as copy:
                        n = 0
                        for row in store.conn.execute(f"SELECT {', '.join(f'[{c}]' for c in names)} FROM [{table}]"):
                            copy.write_row(row)
                            n += 1
                    counts[table] = n
                blobs = _seed_blobs(conn, store)
                for table in desc["columns"]:  # parents first: children read their parent's scope
                    sql = scope_sql(table)
                    if sql:
                        conn.execute(sql)
                    # the seed is change 1; every later row takes the next change number itself
                    conn.execute(f"ALTER TABLE {q(table)} ALTER hub_seq SET DEFAULT nextval('hub_change_seq')")
                settings = {"hub_id": hub_id, "schema": json.dumps(desc), "private_key": private.decode(),
                            "public_key": public.decode(),
                            # the commune's catalogue extensions: the devices' ops are checked against them
                            "catalogue": json.dumps(extension_files(catalogue_dir(Path(commune_db_path))),
                                                    ensure_ascii=False),
                            "commune_name": store.scalar(
                                "SELECT name_fr FROM commune WHERE deleted_at IS NULL LIMIT 1") or ""}
                for key, value in settings.items():
                    conn.execute("INSERT INTO hub_meta (key, value) VALUES (%s, %s)", (key, value))
                journal_append(conn, "init", None, {"hub_id": hub_id, "rows": counts, "blobs": blobs, "schema": LATEST,
                                                    "from": str(Path(commune_db_path).name)})
        with psycopg.connect(pg_url, autocommit=True) as plain:  # the register, from the commune's signed documents
            numbers.ensure_schema(plain)
        return {"hub_id": hub_id, "rows": counts, "blobs": blobs}
    finally:
        store.close()
