"""``hub upgrade``: the hub's mirrored tables brought to a newer application's schema.

When the commune installs a version of the application whose migrations add tables or columns,
the devices that upgraded send bundles of the new schema version, which the hub refuses
(``sync.hub_older``: the device sees which side to update) until it is upgraded too. ``upgrade_hub`` reads the new schema from a
commune database of that version (the coordinator's or president's station, which holds the
whole commune, migrated when the new version opened it) and, in one transaction under the hub's
exclusive lock:

- creates the new tables and fills them from that database (a migration may seed rows);
- adds the new columns and fills them from that database by row id (a migration may compute
  them; those rows are re-sent to the devices), the column's default for rows it does not hold;
- records the new schema and journals the upgrade;
- brings the hub's own tables to this version's (``hub_op.op`` kept as ``json``, the text it was
  sent as, no longer parsed into ``jsonb``: ``_hub_tables``), journaled too.

A change the hub cannot follow by adding (a column removed, a type changed, a table gone) is
refused with its list, before anything is written; so is a hub newer than the application.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from desktop.domain.errors import Refusal
from desktop.hub.base import HubConn, connect, ensure_safe_seq, journal_append, lock_writer, meta, q
from desktop.hub.schema import PG_TYPES, describe, mirror_ddl, scope_sql
from desktop.store.db import open_store

_LITERAL = re.compile(r"^(?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?|NULL)$", re.IGNORECASE)


def plan(old: dict, new: dict) -> tuple[list[str], dict[str, list[str]]]:
    """(new tables, {table: new columns}); a change that is not an addition is refused."""
    problems = [f"{t} (table removed)" for t in old["columns"] if t not in new["columns"]]
    for table, cols in old["columns"].items():
        for column, kind in cols.items():
            now = new["columns"].get(table, {}).get(column)
            if table in new["columns"] and now is None:
                problems.append(f"{table}.{column} (column removed)")
            elif now is not None and now != kind:
                problems.append(f"{table}.{column} ({kind} → {now})")
    if problems:
        raise Refusal("sync.hub_upgrade_unsupported", detail=", ".join(problems))
    tables = [t for t in new["columns"] if t not in old["columns"]]
    columns = {t: [c for c in cols if c not in old["columns"][t]]
               for t, cols in new["columns"].items() if t in old["columns"]}
    return tables, {t: c for t, c in columns.items() if c}


def upgrade_hub(pg_url: str, commune_db_path: str | Path) -> dict:
    """Upgrade the hub at ``pg_url`` to the schema of ``commune_db_path``. Returns
    ``{"from", "to", "tables": [...], "columns": {table: [...]}}`` (nothing to do: both empty)."""
    store = open_store(commune_db_path)  # migrated to this application's schema if older
    try:
        new = describe(store.conn)
        with connect(pg_url) as conn, conn.transaction():
            lock_writer(conn)
            ensure_safe_seq(conn)
            old = json.loads(meta(conn, "schema") or "{}")
            if int(old["version"]) > int(new["version"]):
                raise Refusal("sync.hub_newer", hub=old["version"], app=new["version"])
            tables, columns = plan(old, new)
            hub_tables = _hub_tables(conn)
            for table in tables:
                _create(conn, store, table, new)
            for table, names in columns.items():
                _add_columns(conn, store, table, names, new["columns"][table])
            conn.execute("UPDATE hub_meta SET value = %s WHERE key = 'schema'", (json.dumps(new),))
            if tables or columns or hub_tables or int(old["version"]) != int(new["version"]):
                journal_append(conn, "upgrade", None, {"from": old["version"], "to": new["version"],
                                                       "tables": tables, "columns": columns,
                                                       **({"hub_tables": hub_tables} if hub_tables else {})})
        return {"from": int(old["version"]), "to": int(new["version"]), "tables": tables, "columns": columns,
                **({"hub_tables": hub_tables} if hub_tables else {})}
    finally:
        store.close()


def _hub_tables(conn: HubConn) -> list[str]:
    """A hub made before ``hub_op.op`` was ``json``: its ops' column converted (each op's values
    as they were; the ingest and every reader take either type meanwhile)."""
    kind = conn.execute("SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema()"
                        " AND table_name = 'hub_op' AND column_name = 'op'").fetchone()
    if kind is None or kind["data_type"] != "jsonb":
        return []
    conn.execute("ALTER TABLE hub_op ALTER op TYPE json USING op::json")
    return ["hub_op.op json"]


def _rows(store, table: str, names: list[str]):
    return store.conn.execute(f"SELECT {', '.join(f'[{c}]' for c in names)} FROM [{table}]")


def _create(conn: HubConn, store, table: str, desc: dict) -> None:
    for statement in mirror_ddl({"columns": {table: desc["columns"][table]}, "fks": {table: desc["fks"].get(table, {})}}):
        conn.execute(statement)
    names = list(desc["columns"][table])
    with conn.cursor().copy(f"COPY {q(table)} ({', '.join(q(c) for c in names)}) FROM STDIN") as copy:
        for row in _rows(store, table, names):
            copy.write_row(row)
    sql = scope_sql(table)
    if sql:
        conn.execute(sql)
    conn.execute(f"UPDATE {q(table)} SET hub_seq = nextval('hub_change_seq')")  # new to every device
    conn.execute(f"ALTER TABLE {q(table)} ALTER hub_seq SET DEFAULT nextval('hub_change_seq')")


def _add_columns(conn: HubConn, store, table: str, names: list[str], types: dict[str, str]) -> None:
    defaults = {r[1]: r[4] for r in store.conn.execute(f"PRAGMA table_info([{table}])")}
    for column in names:
        default = defaults.get(column)
        clause = f" DEFAULT {default}" if default is not None and _LITERAL.match(str(default)) else ""
        conn.execute(f"ALTER TABLE {q(table)} ADD COLUMN {q(column)} {PG_TYPES.get(types[column], 'text')}{clause}")
    staging = f"upgrade_{table}"
    conn.execute(f"CREATE TEMP TABLE {q(staging)} (id text PRIMARY KEY, "
                 + ", ".join(f"{q(c)} {PG_TYPES.get(types[c], 'text')}" for c in names) + ") ON COMMIT DROP")
    with conn.cursor().copy(f"COPY {q(staging)} (id, {', '.join(q(c) for c in names)}) FROM STDIN") as copy:
        for row in _rows(store, table, ["id", *names]):
            copy.write_row(row)
    sets = ", ".join(f"{q(c)} = s.{q(c)}" for c in names)
    # re-sent to every device: one whose migration computed another value converges on the hub's
    conn.execute(f"UPDATE {q(table)} t SET {sets}, hub_seq = nextval('hub_change_seq') FROM {q(staging)} s"
                 " WHERE s.id = t.id")
