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
# ``= ANY(ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)))`` with ``json_ids(ids)``: a set of ids
# sent as one JSON text (encoded in C) rather than a text[] (psycopg builds arrays in Python: 10,000
# ids cost ~17 ms as a text[], ~3 ms as JSON). The array is made once (an InitPlan), so the table is
# read by its index; ``IN (SELECT jsonb_array_elements_text(...))`` was planned as a hash join over a
# scan of the whole table (PostgreSQL guesses 100 ids), under the ingest lock: 2.7 ms for 40
# findings among 2,000, and growing with the table.
IN_IDS = "= ANY(ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)))"
# ``= ANY(%s::text[])`` with ``sorted(ids)``: where the plan may scan the table rather than look the
# ids up (``hub_op`` by table and row, whose index leads with the device; statistics taken before a
# purge's ops), PostgreSQL tests each row against a text[] by a hash and against ``IN_IDS``'s array
# one id after another (a purge of 10,000 rows: 1.2 s against 0.2 s). Rare paths (erasures), where
# the ~1.7 µs an id of building the array does not count.
ANY_TEXT = "= ANY(%s::text[])"


def json_ids(ids) -> str:
    return json.dumps(sorted(ids))


_SCALARS = (str, int, float, type(None))


def _as_json(rows: list[dict]) -> str | None:
    """Rows as one JSON array of objects (encoded in C) for ``_records``, or None when a value
    would not come back from JSON as the same value (not a string, integer, float or null; NaN,
    infinity): those rows are then sent as parameters, as before."""
    if any(type(v) not in _SCALARS for row in rows for v in row.values()):
        return None
    try:
        return json.dumps(rows, allow_nan=False)
    except ValueError:
        return None


def _records(table: str) -> str:
    """``FROM`` the JSON parameter of ``_as_json``: its objects as rows ``v`` of ``table``'s type,
    each value read as its column's type (a value that is not one fails the statement, as a
    parameter would)."""
    return f"json_populate_recordset(NULL::{q(table)}, %s::json) AS v"


def _scoped_fks(schema: HubSchema, table: str) -> list[tuple[str, str]]:
    """``table``'s foreign keys to a table with an arrondissement: (column, parent)."""
    path = TABLES[table].scope if table in TABLES else ()
    found = [(path[0], path[1])] if len(path) == 2 and path[1] in schema.columns else []
    return found + [(column, parent) for column, parent in schema.fks.get(table, {}).items()
                    if parent in schema.columns and parent in TABLES and TABLES[parent].scope]


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
        # the parents the scope checks read (an arrondissement's rows an op names), read at once:
        # one query per table rather than one per parent (every writer of these tables holds the
        # ingest lock, as this bundle does); all of them sent together (one round trip)
        parents: dict[str, set[str]] = defaultdict(set)
        for op in ops:
            for column, parent in _scoped_fks(schema, op["tbl"]):
                if op["new"].get(column):
                    parents[parent].add(str(op["new"][column]))
        with conn.pipeline():
            pending = self._send(wanted, lock=True) + self._send(parents, lock=False)
            self._receive(pending)

    def _send(self, wanted: dict[str, set[str]], lock: bool) -> list:
        """Ask for the rows ``wanted`` not read yet (marked missing until their answer arrives)."""
        pending = []
        for table, ids in wanted.items():
            ids = {i for i in ids if (table, i) not in self.rows}
            if not ids:
                continue
            for i in ids:
                self.rows[(table, i)] = None
            pending.append((table, self.conn.execute(f"SELECT * FROM {q(table)} WHERE id {IN_IDS}"
                                                     f"{' FOR UPDATE' if lock else ''}", (json_ids(ids),))))
        return pending

    def _receive(self, pending: list) -> None:
        for table, cur in pending:
            for row in cur.fetchall():
                self.rows[(table, row["id"])] = row

    def _fetch(self, wanted: dict[str, set[str]], lock: bool) -> None:
        self._receive(self._send(wanted, lock))

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

    def _shapes(self) -> dict[tuple[str, tuple[str, ...]], list[dict]]:
        """The new rows by table and columns."""
        by_shape: dict[tuple[str, tuple[str, ...]], list[dict]] = defaultdict(list)
        for (table, _), row in self.new.items():
            by_shape[(table, tuple(c for c in row if c != "hub_seq"))].append(row)
        return by_shape

    def copies(self) -> bool:
        """Whether ``flush`` sends new rows with ``COPY`` (which a pipeline cannot carry)."""
        return any(len(rows) >= COPY_FROM for rows in self._shapes().values())

    def flush(self) -> None:
        """Write what the bundle decided: new rows, changed rows, rows only re-sent; one statement
        per table (and shape) rather than one per row."""
        with self.conn.cursor() as cur:
            for (table, cols), rows in self._shapes().items():
                names = ", ".join(q(c) for c in cols)
                if len(rows) >= COPY_FROM:  # hub_seq: its default, the next change number
                    pick = itemgetter(*cols)
                    with cur.copy(f"COPY {q(table)} ({names}) FROM STDIN") as copy:
                        for r in rows:
                            copy.write_row(pick(r))
                    continue
                inserted = _as_json([{c: r[c] for c in cols} for r in rows])
                if inserted is not None:
                    cur.execute(f"INSERT INTO {q(table)} ({names}, hub_seq) SELECT {names},"
                                f" nextval('hub_change_seq') FROM {_records(table)}", (inserted,))
                    continue
                cur.executemany(f"INSERT INTO {q(table)} ({names}, hub_seq)"
                                f" VALUES ({', '.join('%s' for _ in cols)}, nextval('hub_change_seq'))",
                                [tuple(r[c] for c in cols) for r in rows])
            changes: dict[tuple[str, tuple[str, ...]], list[tuple[str, dict]]] = defaultdict(list)
            for (table, row_id), values in self.changed.items():
                changes[(table, tuple(values))].append((row_id, values))
            for (table, cols), updates in changes.items():
                data = _as_json([{**values, "id": row_id} for row_id, values in updates]) \
                    if len(updates) > 1 and "id" not in cols else None
                if data is not None:
                    sets = ", ".join(f"{q(c)} = v.{q(c)}" for c in cols)
                    cur.execute(f"UPDATE {q(table)} t SET {sets}, hub_seq = nextval('hub_change_seq')"
                                f" FROM {_records(table)} WHERE t.id = v.id", (data,))
                    continue
                for row_id, values in updates:
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
