"""The one DB-API the store speaks: ``sqlcipher3`` (the standard sqlite3 module's API over SQLite
with SQLCipher), for every commune database, encrypted or not.

Measured against SQLite3 Multiple Ciphers through APSW (bench/bench_cipher.py, bench/RESULTS.md):
SQLCipher opens with a raw key in under a millisecond (no passphrase derivation: the key is
unwrapped once at login), its writes cost 1.2x, and it is a drop-in for the sqlite3 module the
store was written for (Connection, execute, executescript, backup, in_transaction, isolation
levels, the same exceptions). Its SQLite (3.5x) has the JSON functions, WAL and RETURNING.
"""
from __future__ import annotations

import math
from typing import Callable

from sqlcipher3 import dbapi2 as sqlite3

__all__ = ["ENCRYPTED_CACHE_KIB", "add_math_functions", "sqlite3"]

# Pages of an encrypted database are decrypted when SQLite reads them into its cache: a larger
# cache keeps what the list shows decrypted once (bench/RESULTS.md, encryption at rest).
ENCRYPTED_CACHE_KIB = 65536

# SQLite's math functions, which the SQLCipher build leaves out (SQLITE_ENABLE_MATH_FUNCTIONS)
_MATH: dict[str, Callable] = {"floor": math.floor, "ceil": math.ceil, "ceiling": math.ceil, "sqrt": math.sqrt}


def _null_safe(fn: Callable) -> Callable:
    def call(x):
        return None if x is None else fn(x)
    return call


def add_math_functions(conn) -> None:
    for name, fn in _MATH.items():
        conn.create_function(name, 1, _null_safe(fn), deterministic=True)
