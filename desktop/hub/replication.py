"""Province read access to commune hubs by PostgreSQL logical replication.

Each commune hub publishes its shared tables (``CREATE PUBLICATION``), with column lists that leave
out personal data (owners' names and ID numbers, complainants' contacts: PostgreSQL 15 column
lists); the province's database subscribes to each hub. The hub's server needs
``wal_level = logical`` (a restart), and the province's role must be able to log in to the hub
with the REPLICATION attribute. Nothing here writes at the hub except the publication itself and,
when the province lives on the same server, the replication slot (made beforehand, since a
subscription cannot create its slot on its own cluster). See docs/province-replication.md.
"""
from __future__ import annotations

import re
import time
import unicodedata
from typing import Any, Mapping, Sequence

# What a province reads, by table: the columns published. Left out: owners' names, ID numbers and
# addresses, sites' names and exact points, complainants' names and contacts, free-text notes and
# the documents' content (which names people); the signed PDFs are known by their hash. Tables or
# columns absent from a hub are skipped, so that one list serves hubs of different schema versions.
_ROW = ("version", "deleted_at")
PROVINCE_TABLES: dict[str, tuple[str, ...]] = {
    "commune": ("id", "name_ar", "name_fr", "wilaya_ar", "wilaya_fr", *_ROW),
    "district": ("id", "code", "name_ar", "name_fr", "population", "households", "area_km2", *_ROW),
    "site": ("id", "kind", "activity", "district_id", *_ROW),
    "inspection": ("id", "field_code", "site_id", "inspected_at", "district_id", "outcome", "origin_type",
                   "finding_count", "outside_district", "programme_id", "complaint_id", *_ROW),
    "finding": ("id", "inspection_id", "violation_code", "measure_value", *_ROW),
    "case_file": ("id", "site_id", "field_code", "status", "opened_on", "closed_on", *_ROW),
    "case_step": ("id", "case_id", "step", "status", "opened_on", "due_on", "done_on", *_ROW),
    "decision": ("id", "case_id", "kind", "field_code", "year", "number", "status", "content_sha256", "pdf_sha256",
                 "signed_on", "oversight_class", "delivered_on", "transmitted_on", "receipt_on",
                 "governor_observation", "appeal_on", *_ROW),
    "complaint": ("id", "reference", "channel", "received_on", "field_code", "district_id", "complainant_kind",
                  "status", "answer_due", "answered_on", *_ROW),
}
# Never published, whatever a caller asks: personal data.
PERSONAL = frozenset({"owner_name", "owner_id_kind", "owner_id_number", "complainant_name", "complainant_contact",
                      "password_hash", "owner_cin", "address", "notes", "content", "delivery_receiver"})

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def ident(name: str) -> str:
    """A safe lower-case SQL identifier (publication, slot, table, column), else ValueError."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


def publication_name(commune: str) -> str:
    """``hub_<commune>``: one publication (and one slot, one subscription) per commune hub."""
    ascii_name = unicodedata.normalize("NFKD", commune).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9_]+", "_", ascii_name).strip("_")[:50] or "commune"
    return ident(f"hub_{slug}")


def _columns(conn: Any, schema: str) -> dict[str, set[str]]:
    rows = conn.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s",
                        (schema,)).fetchall()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column)
    return out


def publish(conn: Any, name: str, tables: Mapping[str, Sequence[str]] | None = None,
            schema: str = "public") -> list[str]:
    """Create (or re-create) the hub's publication ``name`` over ``tables`` (table -> published
    columns, default PROVINCE_TABLES; PERSONAL columns never); returns the tables published. ``conn`` is a psycopg
    connection to the hub in autocommit mode."""
    wanted = dict(tables if tables is not None else PROVINCE_TABLES)
    present = _columns(conn, schema)
    parts, published = [], []
    for table, columns in sorted(wanted.items()):
        kept = [c for c in columns if c in present.get(table, ()) and c not in PERSONAL]
        if "id" not in kept:  # the replica identity (primary key) must be published
            continue
        cols = ", ".join(ident(c) for c in kept)
        parts.append(f"{ident(schema)}.{ident(table)} ({cols})")
        published.append(table)
    if not parts:
        raise ValueError("no published table exists in this hub")
    conn.execute(f"DROP PUBLICATION IF EXISTS {ident(name)}")
    conn.execute(f"CREATE PUBLICATION {ident(name)} FOR TABLE {', '.join(parts)}")
    return published


def published_columns(conn: Any, name: str) -> dict[str, list[tuple[str, str]]]:
    """The publication's tables, with (column, SQL type) in table order, read from the hub."""
    rows = conn.execute(
        "SELECT p.schemaname, p.tablename, a.attname, format_type(a.atttypid, a.atttypmod)"
        " FROM pg_publication_tables p"
        " JOIN pg_attribute a ON a.attrelid = (quote_ident(p.schemaname) || '.' || quote_ident(p.tablename))::regclass"
        " WHERE p.pubname = %s AND a.attname = ANY(p.attnames) ORDER BY p.tablename, a.attnum", (name,)).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for _schema, table, column, sql_type in rows:
        out.setdefault(table, []).append((column, sql_type))
    return out


def _primary_key(conn: Any, table: str, schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
        " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
        (f"{schema}.{table}",)).fetchall()
    return [r[0] for r in rows]


def prepare_province(province: Any, hub: Any, name: str, schema: str = "public") -> list[str]:
    """Create at the province the tables the publication carries (same names, the published columns
    only, the same primary key) if they do not exist yet; returns their names."""
    province.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
    made = []
    for table, columns in published_columns(hub, name).items():
        names = {c for c, _ in columns}
        key = [k for k in _primary_key(hub, table, schema) if k in names]
        body = [f"{ident(c)} {t}" for c, t in columns]
        if key:
            body.append(f"PRIMARY KEY ({', '.join(ident(k) for k in key)})")
        province.execute(f"CREATE TABLE IF NOT EXISTS {ident(schema)}.{ident(table)} ({', '.join(body)})")
        made.append(table)
    return made


def subscribe(province: Any, hub: Any, name: str, hub_conninfo: str, schema: str = "public") -> None:
    """Subscribe the province (autocommit connection) to the hub's publication ``name``: tables
    prepared, the slot created at the hub first (required when both live on one server), then the
    subscription, which copies the existing rows and follows every change after."""
    prepare_province(province, hub, name, schema)
    hub.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (ident(name),))
    try:
        province.execute(
            f"CREATE SUBSCRIPTION {ident(name)} CONNECTION '{_quote(hub_conninfo)}' PUBLICATION {ident(name)}"
            f" WITH (create_slot = false, slot_name = '{ident(name)}', copy_data = true)")
    except Exception:
        hub.execute("SELECT pg_drop_replication_slot(%s)", (name,))
        raise


def _quote(text: str) -> str:
    return text.replace("'", "''")


def wait_ready(province: Any, name: str, timeout: float = 30.0) -> None:
    """Wait until the subscription's initial copy is done for every table (state ``r``)."""
    deadline = time.monotonic() + timeout
    while True:
        states = province.execute(
            "SELECT r.srsubstate FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid"
            " WHERE s.subname = %s", (name,)).fetchall()
        if states and all(s[0] == "r" for s in states):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"subscription {name} not ready: {sorted(s[0] for s in states)}")
        time.sleep(0.1)


def wait_caught_up(hub: Any, name: str, timeout: float = 30.0) -> None:
    """Wait until the province has confirmed every change the hub has written so far."""
    target = hub.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    deadline = time.monotonic() + timeout
    while True:
        row = hub.execute("SELECT confirmed_flush_lsn >= %s::pg_lsn FROM pg_replication_slots WHERE slot_name = %s",
                          (target, name)).fetchone()
        if row and row[0]:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"subscription {name} behind the hub")
        time.sleep(0.1)


def unsubscribe(province: Any, hub: Any, name: str) -> None:
    """Remove the subscription and its slot at the hub (a forgotten slot keeps the hub's WAL forever)."""
    exists = province.execute("SELECT 1 FROM pg_subscription WHERE subname = %s", (name,)).fetchone()
    if exists:
        province.execute(f"ALTER SUBSCRIPTION {ident(name)} DISABLE")
        province.execute(f"ALTER SUBSCRIPTION {ident(name)} SET (slot_name = NONE)")
        province.execute(f"DROP SUBSCRIPTION {ident(name)}")
    deadline = time.monotonic() + 10
    while hub.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (name,)).fetchone() == (True,):
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if hub.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (name,)).fetchone():
        hub.execute("SELECT pg_drop_replication_slot(%s)", (name,))
