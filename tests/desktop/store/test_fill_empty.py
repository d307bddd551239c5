"""``Transaction.fill_empty``: many rows into an empty table at once (a new replica's first pull),
sealed from the values themselves when SQLite stores them unchanged, else read back; ``check``
finds the rows covered either way, and a row changed behind the application's back afterwards."""
import json

import pytest

from desktop.domain.ids import uuid7
from desktop.store import rowhash
from desktop.store.check import check_rows
from desktop.store.db import open_store
from desktop.store.errors import DatabaseBug

COLUMNS = ["id", "code", "name_ar", "name_fr", "population", "households", "area_km2", "geometry", "created_at",
           "updated_at", "created_by", "updated_by", "device_id", "version", "deleted_at"]


def _district(n: int, **values) -> list:
    row = {"id": uuid7(), "code": f"D{n}", "name_ar": "أنفا", "name_fr": f"Anfa {n} \x00é", "population": 1000 + n,
           "households": None, "area_km2": 2.5 + n, "geometry": None, "created_at": "2026-01-01T00:00:00Z",
           "updated_at": "2026-01-01T00:00:00Z", "created_by": None, "updated_by": None, "device_id": "hub",
           "version": 1, "deleted_at": None, **values}
    return [row[c] for c in COLUMNS]


def _last_seal(store, table: str) -> dict:
    changes = store.scalar("SELECT changes FROM journal WHERE entity = ? AND op = 'seal' ORDER BY seq DESC LIMIT 1",
                           (table,))
    return json.loads(changes)["_seal"]


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "new.sqlite", create=True)
    yield s
    s.close()


def test_values_stored_unchanged_are_sealed_without_reading_them_back(store):
    rows = [_district(n) for n in range(50)]
    assert rowhash.seal_of_values(store.conn, "district", COLUMNS, rows) is not None
    with store.transaction(None) as tx:
        assert tx.fill_empty("district", COLUMNS, rows) == 50
    assert _last_seal(store, "district") == rowhash.seal(store.conn, "district")  # what check recomputes
    assert check_rows(store.conn)[1] == []
    store.conn.execute("UPDATE district SET population = 7 WHERE code = 'D3'")  # behind the application's back
    assert any("district" in p for p in check_rows(store.conn)[1])


@pytest.mark.parametrize("column, value", [
    ("population", "1200"),       # text in an INTEGER column: stored as the integer 1200
    ("population", 3.0),          # an integral float in an INTEGER column: stored as 3
    ("population", True),         # a bool: stored as 1
    ("area_km2", 4),              # an integer in a REAL column: read back 4.0
    ("area_km2", -0.0),           # read back 0.0
    ("area_km2", float("nan")),   # read back NULL
    ("code", 12),                 # a number in a TEXT column: read back "12"
])
def test_values_sqlite_converts_are_read_back_for_the_seal(store, column, value):
    rows = [_district(1), _district(2, **{column: value})]
    assert rowhash.seal_of_values(store.conn, "district", COLUMNS, rows) is None
    with store.transaction(None) as tx:
        tx.fill_empty("district", COLUMNS, rows)
    stored = rowhash.seal(store.conn, "district")
    assert _last_seal(store, "district") == stored
    naive = rowhash.seal_digest([(r[0], rowhash.digest(r)) for r in rows])  # the values as given
    assert naive != stored["rows_sha256"]  # SQLite did convert: a seal of the values would not hold
    assert check_rows(store.conn)[1] == []


def test_columns_not_the_tables_are_read_back(store):
    order = COLUMNS[1:] + COLUMNS[:1]
    rows = [[r[COLUMNS.index(c)] for c in order] for r in (_district(1), _district(2))]
    assert rowhash.seal_of_values(store.conn, "district", order, rows) is None
    with store.transaction(None) as tx:
        tx.fill_empty("district", order, rows)
    assert check_rows(store.conn)[1] == []


def test_a_table_that_holds_rows_is_refused(store):
    with store.transaction(None) as tx:
        tx.fill_empty("district", COLUMNS, [_district(1)])
    with pytest.raises(DatabaseBug):
        with store.transaction(None) as tx:
            tx.fill_empty("district", COLUMNS, [_district(2)])
    assert store.scalar("SELECT count(*) FROM district") == 1
