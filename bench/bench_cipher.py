"""Which engine encrypts the commune database: a micro-benchmark of the candidates on one workload.

Each engine builds the same table (200,000 inspection-like rows, three indexes) in a file of its
own, then, reopened each time so that SQLite's page cache starts empty (the OS cache is warm for
all of them):
- open: connect, give the key, read the schema (what start-up pays);
- filter: the list's query shape, an indexed range returning the first 200 rows (median of 40),
  on a fresh connection and again on one that stays open (warm page cache, as the list's);
- scan: a free-text search that reads every page (LIKE on two columns, median of 5);
- write: 2,000 single-row transactions (WAL, synchronous=FULL, as the store writes).
Ratios are to the same engine unencrypted and to the standard library's sqlite3.

    cd bench && ../.venv/bin/python bench_cipher.py [ROWS]
"""
from __future__ import annotations

import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import record

KEY = os.urandom(32)
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
SCHEMA = """CREATE TABLE IF NOT EXISTS inspection (id TEXT PRIMARY KEY, inspected_at TEXT, district TEXT,
 field TEXT, owner_name TEXT, owner_id TEXT, notes TEXT, outcome TEXT);
CREATE INDEX IF NOT EXISTS i_dfd ON inspection (district, field, inspected_at);
CREATE INDEX IF NOT EXISTS i_date ON inspection (inspected_at);
CREATE INDEX IF NOT EXISTS i_owner ON inspection (owner_id)"""
FILTER = ("SELECT id, inspected_at, owner_name, outcome FROM inspection WHERE district = ? AND field = ?"
          " AND inspected_at >= ? AND inspected_at < ? ORDER BY inspected_at DESC LIMIT 200")
SCAN = "SELECT count(*) FROM inspection WHERE owner_name LIKE ? OR notes LIKE ?"


def rows():
    rnd = random.Random(7)
    for n in range(ROWS):
        yield (f"{n:012d}", f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T10:00:00Z",
               f"D{rnd.randint(1, 16):02d}", rnd.choice(("hygiene", "urbanism", "public_domain")),
               f"Owner {rnd.randint(1, 50000)} El Idrissi", f"BE{rnd.randint(100000, 999999)}",
               "note " * rnd.randint(5, 40), rnd.choice(("compliant", "violation")))


class DbApi:
    """sqlite3 or sqlcipher3 (DB-API)."""

    def __init__(self, module, key: bytes | None, cache_kib: int = 0):
        self.module, self.key, self.cache_kib = module, key, cache_kib

    def connect(self, path: Path):
        conn = self.module.connect(str(path), isolation_level=None)
        if self.key:
            conn.execute(f"PRAGMA key = \"x'{self.key.hex()}'\"")
        if self.cache_kib:
            conn.execute(f"PRAGMA cache_size = -{self.cache_kib}")
        return conn

    def run(self, conn, sql, params=()):
        return conn.execute(sql, params).fetchall()

    def many(self, conn, sql, data):
        conn.executemany(sql, data)


class Apsw:
    """APSW with SQLite3 Multiple Ciphers (not DB-API)."""

    def __init__(self, cipher: str | None, key: bytes | None, kdf_iter: int = 0):
        import apsw
        self.apsw, self.cipher, self.key, self.kdf_iter = apsw, cipher, key, kdf_iter

    def connect(self, path: Path):
        conn = self.apsw.Connection(str(path))
        if self.key:
            conn.execute(f"PRAGMA cipher = '{self.cipher}'")
            if self.kdf_iter:  # the key is already 256 random bits: no need to stretch it
                conn.execute(f"PRAGMA kdf_iter = {self.kdf_iter}")
            conn.execute(f"PRAGMA hexkey = '{self.key.hex()}'")
        return conn

    def run(self, conn, sql, params=()):
        return conn.execute(sql, params).fetchall()

    def many(self, conn, sql, data):
        conn.executemany(sql, data)


def measure(name: str, engine, folder: Path) -> dict:
    path = folder / f"{name}.db"
    conn = engine.connect(path)
    engine.run(conn, "PRAGMA journal_mode = WAL")
    for stmt in SCHEMA.split(";"):
        engine.run(conn, stmt)
    t = time.perf_counter()
    engine.run(conn, "BEGIN")
    engine.many(conn, "INSERT INTO inspection VALUES (?,?,?,?,?,?,?,?)", rows())
    engine.run(conn, "COMMIT")
    build = time.perf_counter() - t
    engine.run(conn, "PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    opens, filters, scans = [], [], []
    rnd = random.Random(3)
    for _ in range(40):
        t = time.perf_counter()
        conn = engine.connect(path)
        engine.run(conn, "SELECT count(*) FROM sqlite_master")
        opens.append(time.perf_counter() - t)
        m = rnd.randint(1, 11)
        params = (f"D{rnd.randint(1, 16):02d}", "hygiene", f"2026-{m:02d}-01", f"2026-{m + 1:02d}-01")
        t = time.perf_counter()
        engine.run(conn, FILTER, params)
        filters.append(time.perf_counter() - t)
        conn.close()
    for _ in range(5):
        conn = engine.connect(path)
        t = time.perf_counter()
        engine.run(conn, SCAN, ("%Owner 4242 %", "%BE4242%"))
        scans.append(time.perf_counter() - t)
        conn.close()
    conn = engine.connect(path)
    warm = []
    for _ in range(3):  # the list's connection stays open: its page cache is warm after a pass
        for n in range(40):
            m = n % 11 + 1
            params = (f"D{n % 16 + 1:02d}", "hygiene", f"2026-{m:02d}-01", f"2026-{m + 1:02d}-01")
            t = time.perf_counter()
            engine.run(conn, FILTER, params)
            warm.append(time.perf_counter() - t)
    warm = warm[80:]
    engine.run(conn, "PRAGMA synchronous = FULL")
    t = time.perf_counter()
    for n in range(2000):
        engine.run(conn, "BEGIN IMMEDIATE")
        engine.run(conn, "UPDATE inspection SET notes = ? WHERE id = ?", (f"edited {n}", f"{n * 7:012d}"))
        engine.run(conn, "COMMIT")
    write = time.perf_counter() - t
    conn.close()
    return {"build_s": round(build, 3), "open_ms": round(statistics.median(opens) * 1000, 3),
            "filter_ms": round(statistics.median(filters) * 1000, 3),
            "filter_warm_ms": round(statistics.median(warm) * 1000, 3),
            "scan_ms": round(statistics.median(scans) * 1000, 1), "write_2000_s": round(write, 3),
            "size_mb": round(path.stat().st_size / 2**20, 1)}


def main() -> None:
    from sqlcipher3 import dbapi2 as sqlcipher
    engines = {
        "sqlite3 (stdlib)": DbApi(sqlite3, None),
        "sqlcipher3 plain": DbApi(sqlcipher, None),
        "sqlcipher3 encrypted (AES-256-CBC + HMAC-SHA512, raw key)": DbApi(sqlcipher, KEY),
        "sqlcipher3 encrypted, 64 MB page cache (the store's setting)": DbApi(sqlcipher, KEY, 65536),
        "apsw-sqlite3mc plain": Apsw(None, None),
        "apsw-sqlite3mc chacha20 (default)": Apsw("chacha20", KEY),
        "apsw-sqlite3mc chacha20, kdf_iter=1": Apsw("chacha20", KEY, 1),
        "apsw-sqlite3mc sqlcipher scheme": Apsw("sqlcipher", KEY),
    }
    results = {}
    with tempfile.TemporaryDirectory(dir=Path(__file__).parent) as tmp:
        for n, (name, engine) in enumerate(engines.items()):
            results[name] = measure(f"e{n}", engine, Path(tmp))
            print(name, results[name], flush=True)
    for enc, plain in (("sqlcipher3 encrypted (AES-256-CBC + HMAC-SHA512, raw key)", "sqlcipher3 plain"),
                       ("sqlcipher3 encrypted, 64 MB page cache (the store's setting)", "sqlcipher3 plain"),
                       ("apsw-sqlite3mc chacha20 (default)", "apsw-sqlite3mc plain"),
                       ("apsw-sqlite3mc chacha20, kdf_iter=1", "apsw-sqlite3mc plain"),
                       ("apsw-sqlite3mc sqlcipher scheme", "apsw-sqlite3mc plain")):
        results[enc]["ratio_to_plain"] = {k: round(results[enc][k] / results[plain][k], 2)
                                          for k in ("open_ms", "filter_ms", "filter_warm_ms", "scan_ms", "write_2000_s")}
    record("cipher_engines", {"rows": ROWS, **results})


if __name__ == "__main__":
    main()
