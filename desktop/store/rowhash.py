"""Row hashes: what ties each row of the tables to the journal.

Every journaled write records the hash of the row it leaves behind (``_row`` in the entry's
changes: ``n`` columns covered, ``after``, and for updates the ``before`` hash). A write over many
rows at once (imports, the demo, re-deriving districts) ends its transaction with a *seal* of the
table: the count and one digest over every row of the table, sorted by key. ``check`` recomputes
both, so a row edited, inserted or deleted behind the application's back is found.

A row's hash covers its first ``n`` columns in table order (``PRAGMA table_info``): a later
migration that appends a column does not invalidate the rows written before it.
"""
from __future__ import annotations

import hashlib
import math
from typing import Iterable

from desktop.store.engine import sqlite3

SKIP_TABLES = {"journal"}


def key_column(table: str) -> str:
    return "key" if table == "meta" else "id"


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")]


def covered_tables(conn: sqlite3.Connection) -> list[str]:
    """Every table of user data (and ``meta``): ordinary tables with a key column."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")]
    return [t for t in names if t not in SKIP_TABLES and key_column(t) in columns(conn, t)]


def digest(values: Iterable) -> bytes:
    return hashlib.sha256(repr(tuple(values)).encode("utf-8", "surrogatepass")).digest()


def row_hash(conn: sqlite3.Connection, table: str, key: str) -> dict | None:
    """``{"n": columns covered, "h": hex hash}`` of one row as stored, or None when absent."""
    cols = columns(conn, table)
    select = ", ".join(f"[{c}]" for c in cols)
    row = conn.execute(f"SELECT {select} FROM [{table}] WHERE [{key_column(table)}] = ?", (key,)).fetchone()
    return None if row is None else {"n": len(cols), "h": digest(row).hex()}


def seal_digest(pairs: list[tuple[str, bytes]]) -> str:
    """One digest over (key, row hash) pairs, in key order."""
    pairs.sort(key=lambda p: p[0])
    # one update over the concatenation: the same digest as one update per pair, in a tenth of the time
    return hashlib.sha256(b"".join(str(key).encode("utf-8", "surrogatepass") + b"\x00" + h
                                   for key, h in pairs)).hexdigest()


def seal(conn: sqlite3.Connection, table: str) -> dict:
    """The seal of a whole table as it stands: ``{"n", "count", "rows_sha256"}``."""
    cols = columns(conn, table)
    key = cols.index(key_column(table))
    select = ", ".join(f"[{c}]" for c in cols)
    pairs = [(row[key], digest(row)) for row in conn.execute(f"SELECT {select} FROM [{table}]")]
    return {"n": len(cols), "count": len(pairs), "rows_sha256": seal_digest(pairs)}


def _affinity(declared: str) -> str:
    """SQLite's column affinity of a declared type (https://sqlite.org/datatype3.html, 3.1)."""
    kind = declared.upper()
    if "INT" in kind:
        return "INTEGER"
    if "CHAR" in kind or "CLOB" in kind or "TEXT" in kind:
        return "TEXT"
    if "BLOB" in kind or not kind:
        return "BLOB"
    if "REAL" in kind or "FLOA" in kind or "DOUB" in kind:
        return "REAL"
    return "NUMERIC"


def _stored_unchanged(affinity: str, values: Iterable) -> bool:
    """True when SQLite stores every one of ``values`` in a column of ``affinity`` as it is, so
    that it reads back equal and of the same type (same ``repr``): text in a TEXT column, integers
    in an INTEGER one, finite floats other than -0.0 in a REAL one (NaN would read back NULL and
    -0.0 as 0.0), and NULL anywhere. Anything else (a number in a TEXT column, 3.0 in an INTEGER
    one, a bool...) is converted, and not counted as unchanged."""
    kinds = set(map(type, values)) - {type(None)}
    if affinity == "TEXT":
        return kinds <= {str}
    if affinity == "INTEGER":
        return kinds <= {int}
    if affinity == "REAL":
        return kinds <= {float} and all(math.isfinite(v) and (v != 0.0 or math.copysign(1.0, v) > 0)
                                        for v in values if v is not None)
    return False


def seal_of_values(conn: sqlite3.Connection, table: str, columns: list[str], rows: list) -> dict | None:
    """The seal ``seal(conn, table)`` will find once ``rows`` (each the values of ``columns``) are
    all the table holds, computed from the values themselves, without reading them back; None
    when it cannot be known so (``columns`` not the table's, in its order, or a value SQLite would
    convert on the way in: the caller then reads the table back with ``seal``)."""
    info = list(conn.execute(f"PRAGMA table_info([{table}])"))
    if [r[1] for r in info] != list(columns) or any(len(r) != len(columns) for r in rows):
        return None
    by_column = list(zip(*rows)) if rows else [() for _ in columns]
    if not all(_stored_unchanged(_affinity(r[2] or ""), column) for r, column in zip(info, by_column)):
        return None
    key = list(columns).index(key_column(table))
    pairs = [(row[key], digest(row)) for row in rows]
    return {"n": len(columns), "count": len(pairs), "rows_sha256": seal_digest(pairs)}
