"""Keyset pagination: lists of any length read one page at a time, in a stable order.

A page is fetched with ``WHERE (sort keys) < (last row's keys) ORDER BY ... LIMIT n``, which an
index serves directly, instead of ``OFFSET``, which reads and throws away every skipped row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from desktop.store.db import Store
from desktop.store.engine import sqlite3
from desktop.store.errors import from_sqlite


@dataclass
class KeysetQuery:
    """``SELECT <columns> FROM <source> WHERE <where> ORDER BY <keys>`` read page by page.

    ``keys`` are SQL expressions that end with a unique one (rowid); the last ``len(keys)``
    values of each row are its keys, so ``columns`` is followed by them in every row fetched.
    """
    columns: Sequence[str]
    source: str
    keys: Sequence[str]
    descending: bool = True
    where: list[str] = field(default_factory=list)
    params: list = field(default_factory=list)

    def _where_sql(self, extra: str | None = None) -> str:
        parts = list(self.where) + ([extra] if extra else [])
        return (" WHERE " + " AND ".join(f"({p})" for p in parts)) if parts else ""

    def page_sql(self, after: Sequence | None, limit: int) -> tuple[str, list]:
        keys = ", ".join(self.keys)
        params = list(self.params)
        extra = None
        if after is not None:
            op = "<" if self.descending else ">"
            extra = f"({keys}) {op} ({', '.join('?' for _ in self.keys)})"
            params += list(after)
        direction = " DESC" if self.descending else ""
        order = ", ".join(f"{k}{direction}" for k in self.keys)
        sql = (f"SELECT {', '.join(self.columns)}, {keys} FROM {self.source}"
               f"{self._where_sql(extra)} ORDER BY {order} LIMIT {int(limit)}")
        return sql, params

    def page(self, store: Store, after: Sequence | None, limit: int) -> list[tuple]:
        """Rows after the row whose keys are ``after`` (None: from the start)."""
        sql, params = self.page_sql(after, limit)
        try:
            return store.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise from_sqlite(exc, str(store.path)) from exc

    def count(self, store: Store) -> int:
        return int(store.scalar(f"SELECT count(*) FROM {self.source}{self._where_sql()}", self.params))

    def key_of(self, row: Sequence) -> tuple:
        return tuple(row[len(row) - len(self.keys):])
