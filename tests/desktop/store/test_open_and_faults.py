"""Opening bad files and failing writes: a clear StoreError, and nothing saved is lost."""
import sqlite3

from desktop.store.engine import sqlite3 as engine

import pytest

from desktop.store.db import open_store
from desktop.store.errors import StoreError
from desktop.store.inspections import submit_inspection
from desktop.store.users import authenticate
from tests.builders import PASSWORD, inspection_input, make_site, make_user


@pytest.fixture
def officer(empty_commune):
    return make_user(empty_commune, "officer")


@pytest.fixture
def valid_input(empty_commune, officer):
    """A valid inspection of a site of the empty commune."""
    return inspection_input(empty_commune, [officer], make_site(empty_commune), field_code="hygiene",
                            findings=["HYG-02"])


def _error(path, **kw) -> StoreError:
    with pytest.raises(StoreError) as err:
        open_store(path, **kw)
    return err.value


def test_missing_file_is_not_created_silently(tmp_path):
    assert _error(tmp_path / "none.sqlite").code == "not_found"
    assert not (tmp_path / "none.sqlite").exists()


def test_text_file_is_not_a_database(tmp_path):
    p = tmp_path / "notes.sqlite"
    p.write_text("procès-verbal du 3 mars")
    assert _error(p).code == "not_sqlite"
    assert p.read_text() == "procès-verbal du 3 mars"  # untouched


def test_foreign_sqlite_file_is_refused(tmp_path):
    p = tmp_path / "other.sqlite"
    sqlite3.connect(p).execute("CREATE TABLE t (x)").connection.commit()
    assert _error(p).code == "not_commune_db"


def test_newer_schema_is_refused_not_downgraded(empty_commune_path):
    conn = sqlite3.connect(empty_commune_path)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    err = _error(empty_commune_path)
    assert err.code == "newer_schema" and err.params["found"] == 99


def test_corrupt_database_is_reported(demo_path, tmp_path):
    data = bytearray(demo_path.read_bytes())
    # Keep the header, scramble the pages after the first ones.
    for i in range(8192, min(len(data), 8192 + 400_000)):
        data[i] = (data[i] * 7 + 13) % 256
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(bytes(data))
    with pytest.raises(StoreError) as err:
        with open_store(bad, readonly=True) as s:
            s.query("SELECT count(*) FROM inspection WHERE notes LIKE '%x%'")
            from desktop.store.check import check_store
            assert not check_store(s).ok
            raise AssertionError("corruption went unnoticed")
    assert err.value.code == "corrupt"


def test_read_only_database_refuses_writes_clearly(empty_commune, empty_commune_path, officer, valid_input,
                                                   catalogue):
    before = empty_commune.scalar("SELECT count(*) FROM journal")
    with open_store(empty_commune_path, readonly=True) as s:
        user = authenticate(s, officer.username, PASSWORD)
        with pytest.raises(StoreError) as err:
            submit_inspection(s, user, valid_input, catalogue)
        assert err.value.code == "read_only"
    assert empty_commune.scalar("SELECT count(*) FROM journal") == before


def test_disk_full_keeps_everything_already_saved(empty_commune, officer, valid_input, catalogue):
    store = empty_commune
    before = store.scalar("SELECT count(*) FROM inspection")
    first = submit_inspection(store, officer, valid_input, catalogue)
    pages = store.scalar("PRAGMA page_count")
    store.conn.execute(f"PRAGMA max_page_count = {pages}")  # the "disk" is now full
    big = valid_input
    big.notes = "x" * 200_000
    with pytest.raises(StoreError) as err:
        submit_inspection(store, officer, big, catalogue)
    assert err.value.code == "disk_full"
    assert store.scalar("SELECT count(*) FROM inspection") == before + 1
    assert store.scalar("SELECT 1 FROM inspection WHERE id = ?", (first,)) == 1
    from desktop.store.check import check_store
    assert check_store(store).ok


def test_user_data_cannot_be_deleted_and_journal_cannot_change(empty_commune):
    store = empty_commune
    site = make_site(store)
    with pytest.raises(engine.IntegrityError, match="never deleted"):
        store.conn.execute("DELETE FROM site WHERE id = ?", (site,))
    with pytest.raises(engine.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE journal SET actor = 'x' WHERE seq = 1")
    with pytest.raises(engine.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM journal")


def test_directory_is_not_a_database(tmp_path):
    assert _error(tmp_path).code == "not_a_file"


def test_fresh_database_gets_latest_schema(tmp_path):
    with open_store(tmp_path / "new.sqlite", create=True) as s:
        from desktop.store.migrations import LATEST
        assert s.scalar("PRAGMA user_version") == LATEST
        assert s.scalar("PRAGMA journal_mode") == "wal"
        assert s.scalar("PRAGMA foreign_keys") == 1
        assert len(s.device_id) == 36
