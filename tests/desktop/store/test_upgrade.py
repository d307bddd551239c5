"""Updating the application over a commune's data: copy first, then migrate; never downgrade."""
import sqlite3
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.store.db import open_store
from desktop.store.errors import StoreError
from desktop.store.migrations import LATEST, MIGRATIONS


def _older_database(path: Path) -> int:
    """A commune database as the previous schema left it, with one commune in it."""
    previous = MIGRATIONS[-2][0]
    conn = sqlite3.connect(path, isolation_level=None)
    for number, script in MIGRATIONS[:-1]:
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.execute("INSERT INTO meta (key, value) VALUES ('device_id', 'dev-old')")
    conn.execute("INSERT INTO commune (id, name_ar, name_fr, created_at, updated_at, device_id)"
                 " VALUES ('c1', 'جماعة', 'Commune', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',"
                 " 'dev-old')")
    conn.close()
    return previous


def _version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_older_database_is_copied_then_migrated(tmp_path):
    db = tmp_path / "commune.sqlite"
    previous = _older_database(db)
    with open_store(db) as store:
        assert store.scalar("PRAGMA user_version") == LATEST
        assert store.scalar("SELECT name_fr FROM commune") == "Commune"
        backup = store.backup
    assert backup is not None and backup.parent == tmp_path
    assert backup.name.startswith(f"commune.backup-v{previous}-") and backup.suffix == ".sqlite"
    assert _version(backup) == previous  # the copy is the database as it was
    conn = sqlite3.connect(backup)
    assert conn.execute("SELECT name_fr FROM commune").fetchone() == ("Commune",)
    conn.close()
    with pytest.raises(StoreError) as err:  # the copy is left as it was: read-only asks first
        open_store(backup, readonly=True)
    assert err.value.code == "needs_upgrade"


def test_backup_is_a_complete_commune_database(tmp_path):
    db = tmp_path / "commune.sqlite"
    _older_database(db)
    open_store(db).close()
    backup = next(tmp_path.glob("commune.backup-v*.sqlite"))
    restored = tmp_path / "restored.sqlite"
    backup.rename(restored)
    with open_store(restored) as store:  # reopening the copy migrates it the same way
        assert store.scalar("PRAGMA user_version") == LATEST
        assert store.meta("device_id") == "dev-old"


def test_current_database_is_not_copied(tmp_path):
    demo_path = tmp_path / "commune.sqlite"
    open_store(demo_path, create=True).close()
    before = set(demo_path.parent.iterdir())
    with open_store(demo_path) as store:
        assert store.backup is None
    assert {p for p in demo_path.parent.iterdir() if ".backup-" in p.name} == set()
    assert before <= set(demo_path.parent.iterdir())


def test_no_migration_without_a_backup(tmp_path, monkeypatch):
    db = tmp_path / "commune.sqlite"
    previous = _older_database(db)
    before = _dump(db)
    # The copy cannot be written (its folder is missing, as on a full or unplugged disk).
    monkeypatch.setattr("desktop.store.db.backup_path",
                        lambda path, version: tmp_path / "gone" / "copy.sqlite")
    with pytest.raises(StoreError) as err:
        open_store(db)
    assert err.value.code == "backup_failed"
    assert _version(db) == previous and _dump(db) == before  # (only switched to WAL mode)


def test_newer_database_is_refused_with_a_clear_message(tmp_path, capsys):
    """A downgrade (an older application over data a newer one wrote) changes nothing."""
    demo_path = tmp_path / "commune.sqlite"
    open_store(demo_path, create=True).close()
    conn = sqlite3.connect(demo_path)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.commit()
    conn.close()
    before = demo_path.read_bytes()
    assert main(["--lang", "fr", "check", "--db", str(demo_path)]) == 2
    message = capsys.readouterr().err
    assert "version plus récente" in message and f"schéma {LATEST + 1}" in message
    assert "Mettez l'application à jour" in message
    assert main(["--lang", "ar", "check", "--db", str(demo_path)]) == 2
    assert "بإصدار أحدث" in capsys.readouterr().err
    assert demo_path.read_bytes() == before
    assert not list(demo_path.parent.glob("*.backup-*"))


def test_an_encrypted_database_is_copied_encrypted_before_it_is_migrated(tmp_path):
    """The copy kept before a migration is encrypted with the same key, its key file beside it
    (no clear copy of personal data left behind by an update)."""
    from desktop.store import keys
    from desktop.store.engine import sqlite3 as engine
    clear = tmp_path / "clear.sqlite"
    previous = _older_database(clear)
    path = tmp_path / "commune.sqlite"
    key = keys.new_data_key()
    conn = engine.connect(str(clear), isolation_level=None)
    conn.execute(f"ATTACH DATABASE '{path}' AS enc KEY {keys.sqlcipher_key(key)}")
    conn.execute("SELECT sqlcipher_export('enc')")
    conn.execute(f"PRAGMA enc.user_version = {previous}")
    conn.execute("DETACH DATABASE enc")
    conn.close()
    keys.create_keys(path, key, {"admin": keys.wrap(key, "admin", "admin-secret-1")})
    keys.unlock(path, "admin", "admin-secret-1")
    try:
        with open_store(path) as store:
            backup = store.backup
            assert backup is not None and store.scalar("PRAGMA user_version") == LATEST
        assert not backup.read_bytes().startswith(b"SQLite format 3") and b"Commune" not in backup.read_bytes()
        assert keys.sidecar(backup).exists()
        old = engine.connect(str(backup))
        old.execute(f"PRAGMA key = {keys.sqlcipher_key(key)}")
        assert old.execute("PRAGMA user_version").fetchone()[0] == previous
        assert old.execute("SELECT name_fr FROM commune").fetchone()[0] == "Commune"
        old.close()
    finally:
        keys.forget(path)
