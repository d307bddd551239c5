"""The command line on real files."""
import sqlite3

from desktop.cli import main
from desktop.store.db import open_store
from desktop.store.users import authenticate


def test_demo_prints_accounts_and_builds_a_sound_commune(tmp_path, capsys):
    db = tmp_path / "demo.sqlite"
    assert main(["demo", "--db", str(db), "--inspections", "500", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "agent001" in out and "president-demo" in out and "500 contrôles" in out
    with open_store(db) as s:
        assert s.is_demo
        assert {r["role"] for r in s.query("SELECT DISTINCT role FROM [user]")} == {
            "officer", "coordinator", "president", "reviewer", "administrator"}
        assert authenticate(s, "president", "president-demo").role == "president"
    assert main(["check", "--db", str(db)]) == 0


def test_demo_refuses_to_overwrite(tmp_path, capsys):
    db = tmp_path / "x.sqlite"
    db.write_bytes(b"precious")
    assert main(["demo", "--db", str(db), "--inspections", "10"]) == 2
    assert "existe déjà" in capsys.readouterr().err
    assert db.read_bytes() == b"precious"


def test_init_creates_an_empty_commune(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COMMUNE_POLICE_ADMIN_PASSWORD", "a-long-secret")
    db = tmp_path / "c.sqlite"
    assert main(["init", "--db", str(db), "--commune-ar", "جماعة تجريبية", "--commune-fr", "Commune test",
                 "--casablanca-districts"]) == 0
    with open_store(db) as s:
        assert not s.is_demo
        assert s.scalar("SELECT count(*) FROM district") == 16
        assert authenticate(s, "admin", "a-long-secret").role == "administrator"


def test_check_reports_bad_files_in_the_chosen_language(tmp_path, capsys):
    bad = tmp_path / "bad.sqlite"
    bad.write_text("hello")
    assert main(["--lang", "ar", "check", "--db", str(bad)]) == 2
    assert "ليس قاعدة بيانات" in capsys.readouterr().err
    newer = tmp_path / "newer.sqlite"
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 42")
    conn.execute("CREATE TABLE meta (k)")
    conn.commit()
    conn.close()
    assert main(["check", "--db", str(newer)]) == 2
    assert "version plus récente" in capsys.readouterr().err


def test_accounts_from_the_command_line(demo_path, monkeypatch, capsys):
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "admin-demo")
    monkeypatch.setenv("COMMUNE_POLICE_NEW_PASSWORD", "nouvel-agent-2026")
    assert main(["user", "add", "agent900", "--db", str(demo_path), "--role", "officer", "--name-fr", "Nadia Test",
                 "--district", "Anfa"]) == 0
    assert main(["user", "add", "agent901", "--db", str(demo_path), "--role", "officer", "--district", "Nowhere"]) == 2
    assert main(["user", "add", "agent900", "--db", str(demo_path), "--role", "officer"]) == 2  # taken
    with open_store(demo_path) as s:
        u = authenticate(s, "agent900", "nouvel-agent-2026")
        assert u.role == "officer" and u.district_id == s.scalar("SELECT id FROM district WHERE name_fr = 'Anfa'")
    monkeypatch.setenv("COMMUNE_POLICE_NEW_PASSWORD", "encore-un-autre")
    assert main(["user", "password", "agent900", "--db", str(demo_path)]) == 0
    with open_store(demo_path) as s:
        assert authenticate(s, "agent900", "encore-un-autre") is not None
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "agent-demo")
    assert main(["user", "add", "x999", "--db", str(demo_path), "--role", "president", "--admin", "agent001"]) == 2
    assert main(["user", "list", "--db", str(demo_path)]) == 0
    assert "agent900" in capsys.readouterr().out
