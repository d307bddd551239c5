"""The rows a bundle reads and writes at the hub, held in memory while its ops are decided, then
written at once (``flush``): one ``SELECT ... FOR UPDATE`` per table to start, one ``executemany``
per table of new rows at the end, instead of several round trips per op. A device transaction's
ops are decided against this view and undone together (``mark``/``undo``) when one is refused."""
from __future__ import annotations

import json
from collections import defaultdict
from operator import itemgetter

from desktop.domain.sync import TABLES
from desktop.hub.base import HubConn, HubSchema, q

_MISSING = object()
COPY_FROM = 100  # new rows of one table and shape: sent with COPY from this many
# ``IN (SELECT jsonb_array_elements_text(%s::jsonb))`` with ``json_ids(ids)``: a set of ids sent as
# one JSON text (encoded in C) rather than a text[] (psycopg builds arrays in Python: ~25 µs an id)
IN_IDS = "IN (SELECT jsonb_array_elements_text(%s::jsonb))"


def json_ids(ids) -> str:
    return json.dumps(sorted(ids))


class BundleRows:
    def __init__(self, conn: HubConn, schema: HubSchema, ops: list[dict]):
        self.conn, self.schema = conn, schema
        self.rows: dict[tuple[str, str], dict | None] = {}
        self.new: dict[tuple[str, str], dict] = {}        # rows to insert
        self.changed: dict[tuple[str, str], dict] = {}    # columns to update on existing rows
        self.touched: set[tuple[str, str]] = set()         # rows to re-send to the devices
        self._undo: list[tuple] = []
        wanted: dict[str, set[str]] = defaultdict(set)
        for op in ops:
            if op["tbl"] in schema.columns:
                wanted[op["tbl"]].add(op["row_id"])
        self._fetch(wanted, lock=True)
        parents: dict[str, set[str]] = defaultdict(set)
        for op in ops:
            path = TABLES[op["tbl"]].scope if op["tbl"] in TABLES else ()
            if len(path) == 2 and op["new"].get(path[0]) and path[1] in schema.columns:
                parents[path[1]].add(str(op["new"][path[0]]))
        self._fetch(parents, lock=False)

    def _fetch(self, wanted: dict[str, set[str]], lock: bool) -> None:
        for table, ids in wanted.items():
            ids = {i for i in ids if (table, i) not in self.rows}
            if not ids:
                continue
            for i in ids:
                self.rows[(table, i)] = None
            for row in self.conn.execute(f"SELECT * FROM {q(table)} WHERE id {IN_IDS}"
                                         f"{' FOR UPDATE' if lock else ''}", (json_ids(ids),)):
                self.rows[(table, row["id"])] = row

    # -- reading -----------------------------------------------------------------------------
    def get(self, table: str, row_id: str) -> dict | None:
        key = (table, str(row_id))
        if key not in self.rows:
            self._fetch({table: {key[1]}}, lock=True)
        return self.rows[key]

    def scope_of(self, table: str, values: dict) -> str | None:
        """The arrondissement a row belongs to (None: shared, or outside every arrondissement)."""
        path = TABLES[table].scope
        if not path:
            return None
        if len(path) == 1:
            return values.get(path[0])
        fk, parent = path
        if not values.get(fk):
            return None
        row = self.get(parent, values[fk])
        return row.get("scope_district") if row else None

    # -- writing -----------------------------------------------------------------------------
    def _save(self, key: tuple[str, str]) -> None:
        self._undo.append((key, self.rows.get(key, _MISSING), self.new.get(key, _MISSING),
                           self.changed.get(key, _MISSING), key in self.touched))

    def mark(self) -> int:
        return len(self._undo)

    def undo(self, mark: int) -> None:
        """Forget every write since ``mark`` (a device transaction refused as a whole)."""
        while len(self._undo) > mark:
            key, row, new, changed, touched = self._undo.pop()
            for store, value in ((self.rows, row), (self.new, new), (self.changed, changed)):
                if value is _MISSING:
                    store.pop(key, None)
                else:
                    store[key] = value
            (self.touched.add if touched else self.touched.discard)(key)

    def insert(self, table: str, values: dict) -> None:
        key = (table, str(values["id"]))
        self._save(key)
        row = {**values, "scope_district": None}
        row["scope_district"] = self.scope_of(table, row)
        self.rows[key] = row
        self.new[key] = row

    def update(self, table: str, row_id: str, values: dict) -> None:
        """Write ``values`` into the row (and re-derive its arrondissement); the row is re-sent."""
        key = (table, str(row_id))
        self._save(key)
        row = {**(self.rows[key] or {}), **values}
        row["scope_district"] = self.scope_of(table, row)
        self.rows[key] = row
        if key in self.new:
            self.new[key] = row
        else:
            self.changed[key] = {**self.changed.get(key, {}), **values, "scope_district": row["scope_district"]}
        self.touched.add(key)

    def touch(self, table: str, row_id: str) -> None:
        key = (table, str(row_id))
        if table in TABLES and self.rows.get(key) is not None:
            self._save(key)
            self.touched.add(key)

    def flush(self) -> None:
        """Write what the bundle decided: new rows, changed rows, rows only re-sent."""
        by_shape: dict[tuple[str, tuple[str, ...]], list[dict]] = defaultdict(list)
        for (table, _), row in self.new.items():
            cols = tuple(c for c in row if c not in ("hub_seq",))
            by_shape[(table, cols)].append(row)
        with self.conn.cursor() as cur:
            for (table, cols), rows in by_shape.items():
                if len(rows) >= COPY_FROM:  # hub_seq: its default, the next change number
                    pick = itemgetter(*cols)
                    with cur.copy(f"COPY {q(table)} ({', '.join(q(c) for c in cols)}) FROM STDIN") as copy:
                        for r in rows:
                            copy.write_row(pick(r))
                    continue
                cur.executemany(f"INSERT INTO {q(table)} ({', '.join(q(c) for c in cols)}, hub_seq)"
                                f" VALUES ({', '.join('%s' for _ in cols)}, nextval('hub_change_seq'))",
                                [tuple(r[c] for c in cols) for r in rows])
            for (table, row_id), values in self.changed.items():
                sets = ", ".join(f"{q(c)} = %s" for c in values)
                cur.execute(f"UPDATE {q(table)} SET {sets}, hub_seq = nextval('hub_change_seq') WHERE id = %s",
                            (*values.values(), row_id))
            only: dict[str, list[str]] = defaultdict(list)
            for table, row_id in self.touched:
                if (table, row_id) not in self.new and (table, row_id) not in self.changed:
                    only[table].append(row_id)
            for table, ids in only.items():
                cur.execute(f"UPDATE {q(table)} SET hub_seq = nextval('hub_change_seq') WHERE id {IN_IDS}",
                            (json_ids(ids),))
        self.new.clear()
        self.changed.clear()
        self.touched.clear()
        self._undo.clear()
