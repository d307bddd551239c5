"""SQLite storage (the standard sqlite3 module): schema, migrations, repositories, journal, attachments.

No Qt here. Every write happens inside ``Store.transaction(actor)``, which also appends to the
hash-chained journal before committing.
"""
from desktop.store.db import Store, open_store
from desktop.store.errors import StoreError

__all__ = ["Store", "StoreError", "open_store"]
