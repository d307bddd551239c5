"""Where the data live and what the first start creates (Qt-free part)."""
import sys
from pathlib import Path

import pytest

from desktop.services import first_start
from desktop.cli import main
from desktop.store.db import open_store
from desktop.store.errors import StoreError
from desktop.store.users import authenticate


@pytest.fixture
def user_data(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    return folder / "commune-police"


def _commune(**changes) -> first_start.NewCommune:
    values = dict(name_ar="جماعة الاختبار", name_fr="Commune test", admin="admin",
                  password="secret-123", password_again="secret-123")
    values.update(changes)
    return first_start.NewCommune(**values)


def test_data_live_in_the_users_folder_never_beside_the_program(user_data):
    assert first_start.data_dir() == user_data
    assert first_start.default_db() == user_data / "commune.sqlite"
    assert first_start.demo_db().parent == user_data / "demo"
    program = Path(sys.executable).resolve().parent
    repo = Path(first_start.__file__).resolve().parents[1]
    for path in (first_start.default_db(), first_start.demo_db()):
        assert program not in path.parents and repo not in path.parents


def test_first_start_has_nothing_to_open_then_remembers(user_data, tmp_path):
    assert first_start.remembered_db("") is None
    assert first_start.remembered_db(str(tmp_path / "moved-away.sqlite")) is None
    first_start.create_commune(first_start.default_db(), _commune())
    assert first_start.remembered_db("") == first_start.default_db()
    other = tmp_path / "other.sqlite"
    first_start.create_commune(other, _commune())
    assert first_start.remembered_db(str(other)) == other  # the last one opened wins


@pytest.mark.parametrize("changes, key", [
    (dict(name_fr=" "), "first.need_names"),
    (dict(admin="a b"), "first.bad_admin"),
    (dict(password="short", password_again="short"), "first.short_password"),
    (dict(password_again="secret-124"), "first.passwords_differ"),
])
def test_new_commune_problems(tmp_path, changes, key):
    assert first_start.problems(_commune(), tmp_path / "c.sqlite") == []
    assert first_start.problems(_commune(**changes), tmp_path / "c.sqlite") == [key]


def test_created_commune_has_its_administrator_and_districts(tmp_path):
    path = tmp_path / "sub" / "commune.sqlite"
    first_start.create_commune(path, _commune(casablanca_districts=True))
    assert first_start.problems(_commune(), path) == ["first.exists"]
    with open_store(path, readonly=True) as store:
        assert authenticate(store, "admin", "secret-123").role == "administrator"
        assert store.scalar("SELECT name_fr FROM commune") == "Commune test"
        assert store.scalar("SELECT count(*) FROM district") == 16
        assert not store.is_demo
    with pytest.raises(StoreError) as err:
        first_start.create_commune(path, _commune())
    assert err.value.code == "already_exists"


def test_version_flag_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out == f"commune-police {first_start.app_version()}"
    assert first_start.app_version()[0].isdigit() and first_start.app_version() != "0+unknown"


def test_snapshot_is_asked_through_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(first_start.SNAPSHOT_ENV, raising=False)
    assert first_start.snapshot_request() is None
    monkeypatch.setenv(first_start.SNAPSHOT_ENV, str(tmp_path / "login.png"))
    assert first_start.snapshot_request() == tmp_path / "login.png"
