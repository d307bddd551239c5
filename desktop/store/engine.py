"""The one DB-API the store speaks: ``sqlcipher3`` (the standard sqlite3 module's API over SQLite
with SQLCipher), for every commune database, encrypted or not.

Measured against SQLite3 Multiple Ciphers through APSW (bench/bench_cipher.py, bench/RESULTS.md):
SQLCipher opens with a raw key in under a millisecond (no passphrase derivation: the key is
unwrapped once at login), its writes cost 1.2x, and it is a drop-in for the sqlite3 module the
store was written for (Connection, execute, executescript, backup, in_transaction, isolation
levels, the same exceptions). Its SQLite (3.5x) has the JSON functions, WAL and RETURNING.
"""
from __future__ import annotations

from sqlcipher3 import dbapi2 as sqlite3

__all__ = ["sqlite3"]
