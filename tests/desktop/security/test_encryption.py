"""Encryption at rest (issue 11, Law 09-08; review M1): real encrypted files, the per-user wrapped
key, the login paths, the conversion of a clear commune (killed with SIGKILL), ``check``."""
import dataclasses
import hashlib
import io
import json
import os
import shutil
import signal
import stat
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.services.commune import needs_password, open_commune, unlock
from desktop.services.encryption import create_encrypted_replica
from desktop.store import keys
from desktop.store.db import SQLITE_HEADER, attachments_dir, open_store
from desktop.store.errors import StoreError
from desktop.store.inspections import submit_inspection
from desktop.store.users import create_user, find_user
from tests.builders import inspection_input, make_site

ROOT = Path(__file__).resolve().parents[3]
ADMIN_PW, AGENT_PW = "admin-secret-1", "agent-secret-1"
CIN, OWNER, NOTE = "BE722027", "Fatima Zahra El Idrissi", "0662-998877 fz@example.ma"


def _png(text: str) -> bytes:
    """A small real PNG whose pixels carry ``text`` (so the clear bytes are recognisable)."""
    raw = b"".join(b"\x00" + (text.encode() * 8)[:24] for _ in range(8))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b""))


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    for name in ("COMMUNE_POLICE_PASSWORD", "COMMUNE_POLICE_USER", "COMMUNE_POLICE_NEW_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    yield
    keys._unlocked.clear()


def _as(monkeypatch, user: str | None, password: str | None) -> None:
    for name, value in (("COMMUNE_POLICE_USER", user), ("COMMUNE_POLICE_PASSWORD", password)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def _init(path: Path, monkeypatch, *extra: str) -> None:
    monkeypatch.setenv("COMMUNE_POLICE_ADMIN_PASSWORD", ADMIN_PW)
    assert main(["init", "--db", str(path), "--commune-ar", "جماعة الاختبار", "--commune-fr", "Commune de test",
                 "--casablanca-districts", *extra]) == 0
    keys._unlocked.clear()  # as a new process would be


def _fill(store) -> None:
    """A site with its owner's name and CIN, an inspection with notes and a photo."""
    admin = find_user(store, "admin")
    officer = create_user(store, admin, "agent7", AGENT_PW, "officer")
    site = make_site(store, owner_name=OWNER, owner_id_kind="cin", owner_id_number=CIN)
    source = store.path.with_name("photo.png")
    source.write_bytes(_png(CIN))
    stored = store.attachments.put_photo(source)
    source.unlink()
    inp = inspection_input(store, [officer], site, notes=NOTE)
    from desktop.domain.catalogue import load_catalogue
    submit_inspection(store, officer, dataclasses.replace(
        inp, photos=[dataclasses.replace(_photo_ref(stored), name="photo.png")]), load_catalogue())


def _photo_ref(stored):
    from desktop.domain.model import PhotoRef
    return PhotoRef(stored.sha256, "photo.png", stored.mime, stored.size)


@pytest.fixture
def encrypted(tmp_path, monkeypatch) -> Path:
    """A real commune made by ``init`` (encrypted by default) holding personal data."""
    path = tmp_path / "commune.sqlite"
    _init(path, monkeypatch)
    unlock(path, "admin", ADMIN_PW)
    with open_store(path) as store:
        _fill(store)
    keys._unlocked.clear()
    return path


def _files(path: Path) -> list[Path]:
    found = [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
    return found + [p for p in attachments_dir(path).rglob("*") if p.is_file()]


def _strings(file: Path) -> str:
    return subprocess.run(["strings", "-n", "6", str(file)], capture_output=True, text=True, check=True).stdout


def test_nothing_personal_is_readable_in_the_files(encrypted):
    unlock(encrypted, "agent7", AGENT_PW)
    with open_store(encrypted) as store:  # open, with a write in its WAL (not checkpointed)
        with store.transaction(None) as tx:
            tx.set_meta("note", f"{OWNER} {CIN}")
        wal = encrypted.with_name(encrypted.name + "-wal")
        assert wal.stat().st_size > 0
        files = _files(encrypted)
        assert len(files) >= 3 and any(".files" in str(p) for p in files)  # database, WAL, the photo
        for f in files:
            data = f.read_bytes()
            assert not data.startswith(SQLITE_HEADER) and not data.startswith(b"\x89PNG")
            for secret in (CIN, OWNER, "El Idrissi", "0662-998877", "example.ma"):
                assert secret.encode() not in data, (f, secret)
                assert secret not in _strings(f), (f, secret)
        # and the application reads all of it back
        assert store.scalar("SELECT owner_id_number FROM site WHERE owner_id_number = ?", (CIN,)) == CIN
        sha = store.scalar("SELECT sha256 FROM attachment")
        assert store.attachments.read(sha) == _png(CIN)
    for f in (encrypted, keys.sidecar(encrypted), attachments_dir(encrypted)):
        assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, f  # nobody else reads them


def _digests(path: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in [*_files(path), keys.sidecar(path)]}


@pytest.mark.parametrize("lang, words", [("fr", ("chiffrée", "mot de passe")), ("ar", ("مشفرة", "كلمة المرور"))])
def test_a_wrong_password_is_said_plainly_and_changes_nothing(encrypted, monkeypatch, capsys, lang, words):
    before = _digests(encrypted)
    for user, password in (("admin", "not-the-password"), ("agent7", ADMIN_PW), ("nobody", ADMIN_PW)):
        _as(monkeypatch, user, password)
        assert main(["--lang", lang, "check", "--db", str(encrypted)]) == 2
        err = capsys.readouterr().err
        assert all(w in err for w in words), err
        assert "not a database" not in err and "Traceback" not in err
    _as(monkeypatch, None, None)  # no password at all, nobody to ask
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["--lang", lang, "user", "list", "--db", str(encrypted)]) == 2
    err = capsys.readouterr().err
    assert words[0] in err and "not a database" not in err
    assert _digests(encrypted) == before
    _as(monkeypatch, "admin", ADMIN_PW)
    assert main(["check", "--db", str(encrypted)]) == 0


def test_opening_without_the_key_is_refused_with_the_reason(encrypted):
    assert needs_password(encrypted)
    with pytest.raises(StoreError) as err:
        open_store(encrypted, readonly=True)
    assert err.value.code == "encrypted_locked"
    with pytest.raises(StoreError) as err:
        open_store(encrypted, key=os.urandom(32))  # another commune's key
    assert err.value.code == "keys_mismatch"


def test_a_missing_key_file_is_named(encrypted, monkeypatch, capsys):
    keys.sidecar(encrypted).rename(encrypted.with_name("elsewhere"))
    _as(monkeypatch, "admin", ADMIN_PW)
    assert main(["check", "--db", str(encrypted)]) == 2
    err = capsys.readouterr().err
    assert "fichier de clés manque" in err and "commune.sqlite.keys" in err
    with pytest.raises(StoreError) as e:
        open_store(encrypted)
    assert e.value.code == "keys_missing"


def test_accounts_added_reset_and_disabled(encrypted, monkeypatch, capsys):
    # added by the administrator: the new officer opens the commune with his own password
    _as(monkeypatch, None, ADMIN_PW)
    monkeypatch.setenv("COMMUNE_POLICE_NEW_PASSWORD", "new-officer-pw")
    assert main(["user", "add", "agent8", "--role", "officer", "--db", str(encrypted)]) == 0
    keys._unlocked.clear()
    _as(monkeypatch, "agent8", "new-officer-pw")
    assert main(["user", "list", "--db", str(encrypted)]) == 0
    assert "agent8" in capsys.readouterr().out
    keys._unlocked.clear()
    # reset: the new password opens it, the old one no longer does
    _as(monkeypatch, None, ADMIN_PW)
    monkeypatch.setenv("COMMUNE_POLICE_NEW_PASSWORD", "reset-by-admin")
    assert main(["user", "password", "agent7", "--db", str(encrypted)]) == 0
    keys._unlocked.clear()
    with pytest.raises(StoreError, match="wrong_password"):
        keys.unlock(encrypted, "agent7", AGENT_PW)
    keys.unlock(encrypted, "agent7", "reset-by-admin")
    keys._unlocked.clear()
    # his own new password (user passwd) re-wraps the key too
    _as(monkeypatch, "agent7", "reset-by-admin")
    monkeypatch.setenv("COMMUNE_POLICE_NEW_PASSWORD", "chosen-by-agent7")
    assert main(["user", "passwd", "--user", "agent7", "--db", str(encrypted)]) == 0
    keys._unlocked.clear()
    keys.unlock(encrypted, "agent7", "chosen-by-agent7")
    keys._unlocked.clear()
    # disabled: his wrapping is gone, his password no longer unwraps anything
    _as(monkeypatch, None, ADMIN_PW)
    assert main(["user", "disable", "agent7", "--db", str(encrypted)]) == 0
    keys._unlocked.clear()
    assert "agent7" not in json.loads(keys.sidecar(encrypted).read_text())["users"]
    with pytest.raises(StoreError, match="wrong_password"):
        keys.unlock(encrypted, "agent7", "chosen-by-agent7")
    _as(monkeypatch, "agent7", "chosen-by-agent7")
    assert main(["user", "list", "--db", str(encrypted)]) == 2
    # enabled again: told that he needs a new password, which gives him a key again
    _as(monkeypatch, None, ADMIN_PW)
    capsys.readouterr()
    assert main(["user", "enable", "agent7", "--db", str(encrypted)]) == 0
    assert "user password agent7" in capsys.readouterr().out
    monkeypatch.setenv("COMMUNE_POLICE_NEW_PASSWORD", "back-again-77")
    assert main(["user", "password", "agent7", "--db", str(encrypted)]) == 0
    keys._unlocked.clear()
    _as(monkeypatch, "agent7", "back-again-77")
    assert main(["user", "list", "--db", str(encrypted)]) == 0
    _as(monkeypatch, "admin", ADMIN_PW)
    assert main(["check", "--db", str(encrypted)]) == 0


def test_a_failed_account_write_leaves_no_wrapping(encrypted):
    unlock(encrypted, "admin", ADMIN_PW)
    with open_store(encrypted) as store:
        admin = find_user(store, "admin")
        store.conn.execute("CREATE TEMP TRIGGER refuse BEFORE INSERT ON journal BEGIN SELECT RAISE(ABORT, 'disk'); END")
        with pytest.raises(Exception):  # noqa: B017 - whatever the failure, the key file is as before
            create_user(store, admin, "agent9", "agent9-password", "officer")
    assert "agent9" not in json.loads(keys.sidecar(encrypted).read_text())["users"]


def test_check_verifies_encrypted_attachments(encrypted, monkeypatch, capsys):
    _as(monkeypatch, "admin", ADMIN_PW)
    assert main(["check", "--db", str(encrypted)]) == 0
    assert "attachment files: 1" in capsys.readouterr().out
    photo = next(p for p in attachments_dir(encrypted).rglob("*") if p.is_file())
    os.chmod(photo, 0o600)
    data = bytearray(photo.read_bytes())
    data[-20] ^= 1
    photo.write_bytes(bytes(data))
    keys._unlocked.clear()
    assert main(["check", "--db", str(encrypted)]) == 1
    assert "content does not match" in capsys.readouterr().out


def test_the_gui_login_unlocks_an_encrypted_commune(encrypted, qtbot, tmp_path):
    from desktop.i18n import Translator
    from desktop.ui.login import LoginDialog
    dlg = LoginDialog(None, Translator("ar"), locked=encrypted)
    qtbot.addWidget(dlg)
    dlg.username.setText("agent7")
    dlg.password.setText("wrong-password")
    dlg.try_login()
    assert dlg.user is None and dlg.opened is None and "مشفرة" in dlg.error.text()
    dlg.grab().save(str(tmp_path / "login-encrypted-wrong.png"))
    dlg.username.setText("agent7")
    dlg.password.setText(AGENT_PW)
    dlg.try_login()
    assert dlg.user is not None and dlg.user.username == "agent7"
    assert dlg.opened is not None and dlg.commune.text() == "جماعة الاختبار"
    with dlg.opened.reader() as reader:  # background threads open it with the key unwrapped at login
        assert reader.scalar("SELECT count(*) FROM inspection") == 1
    dlg.opened.close()


def test_a_device_replica_is_encrypted_for_its_officer(encrypted, tmp_path):
    unlock(encrypted, "admin", ADMIN_PW)
    target = tmp_path / "device" / "replica.sqlite"
    target.parent.mkdir()
    with open_store(encrypted, readonly=True) as source:
        create_encrypted_replica(target, "agent7", AGENT_PW, source=source)
    keys._unlocked.clear()
    assert not target.read_bytes().startswith(SQLITE_HEADER)
    with pytest.raises(StoreError, match="wrong_password"):
        keys.unlock(target, "admin", ADMIN_PW)  # only the enrolled officer's wrapping is there
    unlock(target, "agent7", AGENT_PW)
    with open_commune(target) as replica:
        assert replica.login("agent7", AGENT_PW) is not None
        sha = replica.store.scalar("SELECT sha256 FROM attachment")
        assert replica.store.attachments.read(sha) == _png(CIN)
        from desktop.store.check import check_store
        assert check_store(replica.store).ok
    empty = tmp_path / "device" / "empty.sqlite"
    create_encrypted_replica(empty, "agent7", AGENT_PW)
    keys._unlocked.clear()
    unlock(empty, "agent7", AGENT_PW)
    with open_store(empty) as store:
        assert store.device_id and not empty.read_bytes().startswith(SQLITE_HEADER)


def test_init_no_encrypt_and_the_demo_stay_clear(tmp_path, monkeypatch, demo_path):
    path = tmp_path / "clear.sqlite"
    _init(path, monkeypatch, "--no-encrypt")
    assert path.read_bytes().startswith(SQLITE_HEADER) and not keys.sidecar(path).exists()
    assert demo_path.read_bytes().startswith(SQLITE_HEADER) and not needs_password(demo_path)


@pytest.mark.slow
def test_an_encrypted_demo_opens_with_each_demo_password(tmp_path, catalogue):
    from desktop.demo import build_demo
    path = tmp_path / "demo.sqlite"
    build_demo(path, inspections=300, seed=3, catalogue=catalogue, encrypt=True)
    keys._unlocked.clear()
    assert needs_password(path)
    for username, password, _role in json.loads(_meta_after_unlock(path, "agent001", "agent-demo")):
        keys._unlocked.clear()
        unlock(path, username, password)
        with open_commune(path, readonly=True) as commune:
            assert commune.login(username, password) is not None


def _meta_after_unlock(path: Path, username: str, password: str) -> str:
    unlock(path, username, password)
    with open_store(path, readonly=True) as store:
        return store.meta("demo_accounts") or "[]"


# -- converting a clear commune ---------------------------------------------------------------

def _clear_commune(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "commune.sqlite"
    _init(path, monkeypatch, "--no-encrypt")
    with open_store(path) as store:
        _fill(store)
    return path


def _counts(path: Path) -> tuple:
    """The rows, and the journal's entries before the conversion's own (the administrator's
    wrapped key, recorded in ``meta``)."""
    with open_store(path, readonly=True) as store:
        rows = tuple(store.scalar(f"SELECT count(*) FROM [{t}]") for t in ("site", "inspection", "user", "attachment"))
        journal = store.scalar("SELECT count(*) FROM journal WHERE NOT (entity = 'meta' AND entity_id LIKE ?)",
                               (keys.META_PREFIX + "%",))
        return (*rows, journal)


def test_encrypt_converts_a_clear_commune(tmp_path, monkeypatch, capsys):
    path = _clear_commune(tmp_path, monkeypatch)
    before = _counts(path)
    _as(monkeypatch, None, ADMIN_PW)
    assert main(["encrypt", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Base de données chiffrée" in out and "agent7" in out  # his password must be set again
    keys._unlocked.clear()
    for f in _files(path):
        assert CIN.encode() not in f.read_bytes() and OWNER.encode() not in f.read_bytes(), f
    _as(monkeypatch, "admin", ADMIN_PW)
    assert main(["check", "--db", str(path)]) == 0
    assert _counts(path) == before
    assert main(["encrypt", "--db", str(path)]) == 0  # again: nothing more to do, said so
    assert "déjà chiffrée" in capsys.readouterr().out


def _run_encrypt(path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COMMUNE_POLICE_PASSWORD": ADMIN_PW}
    return subprocess.Popen([sys.executable, "-m", "desktop", "encrypt", "--db", str(path)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 60) -> bool:
    """SIGKILL ``proc`` as soon as ``ready()``; False if it ended first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        if ready():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.0005)
    proc.kill()
    raise AssertionError("timed out")


def _opens_whole(path: Path, monkeypatch, before: tuple) -> None:
    keys._unlocked.clear()
    _as(monkeypatch, "admin", ADMIN_PW)
    assert main(["check", "--db", str(path)]) == 0
    if needs_password(path):
        unlock(path, "admin", ADMIN_PW)
    assert _counts(path) == before
    keys._unlocked.clear()


@pytest.mark.slow
def test_encrypt_killed_at_any_point_loses_nothing(tmp_path, monkeypatch, capsys):
    template = _clear_commune(tmp_path, monkeypatch)
    with open_store(template) as store:  # more attachments, so that the last step takes a while
        for n in range(40):
            source = tmp_path / f"p{n}.png"
            source.write_bytes(_png(f"{CIN}-{n}"))
            store.attachments.put_photo(source)
    before = _counts(template)
    work = template.with_name(template.name + ".encrypting")
    moments = {
        "copy begun": lambda p: work.exists(),
        "keys written": lambda p: keys.sidecar(p).exists(),
        "database swapped": lambda p: not p.read_bytes()[:16] == SQLITE_HEADER,
        "attachments begun": lambda p: any(f.read_bytes()[:5] == b"CPENC" for f in attachments_dir(p).rglob("*")
                                           if f.is_file()),
    }
    killed = 0
    for name, ready in moments.items():
        path = tmp_path / name.replace(" ", "-") / "commune.sqlite"
        path.parent.mkdir()
        shutil.copy(template, path)
        shutil.copytree(attachments_dir(template), attachments_dir(path))
        killed += _kill_when(_run_encrypt(path), lambda p=path, r=ready: r(p))
        _opens_whole(path, monkeypatch, before)  # clear or encrypted, whole either way
        proc = _run_encrypt(path)  # run again: it finishes the job
        assert proc.wait(120) == 0
        assert needs_password(path)
        _opens_whole(path, monkeypatch, before)
        unlock(path, "admin", ADMIN_PW)
        with open_store(path, readonly=True) as store:
            for f in attachments_dir(path).rglob("*"):
                if f.is_file() and not f.name.startswith("."):
                    assert f.read_bytes()[:5] == b"CPENC", f
                    store.attachments.read(f.parent.name + f.name)
        keys._unlocked.clear()
    assert killed >= 2  # the process was really killed mid-way (the fastest moments may pass unseen)
    capsys.readouterr()


def test_encrypt_refuses_a_non_administrator(tmp_path, monkeypatch, capsys):
    path = _clear_commune(tmp_path, monkeypatch)
    _as(monkeypatch, None, AGENT_PW)
    assert main(["encrypt", "--db", str(path), "--admin", "agent7"]) == 2
    assert path.read_bytes().startswith(SQLITE_HEADER) and not keys.sidecar(path).exists()
    capsys.readouterr()


def test_an_old_key_file_does_not_bring_back_an_old_password(encrypted, monkeypatch, capsys):
    """The wrapped key proves the password only while it is the account's current one (its digest
    in ``meta``): a key file restored from before a reset opens the data, not the account."""
    old = keys.sidecar(encrypted).read_text()
    _as(monkeypatch, None, ADMIN_PW)
    monkeypatch.setenv("COMMUNE_POLICE_NEW_PASSWORD", "reset-by-admin")
    assert main(["user", "password", "agent7", "--db", str(encrypted)]) == 0
    keys._unlocked.clear()
    proof = unlock(encrypted, "agent7", "reset-by-admin")
    with open_commune(encrypted) as commune:
        assert commune.login("agent7", "reset-by-admin", proof) is not None
    keys._unlocked.clear()
    keys.sidecar(encrypted).write_text(old)  # the old key file is back
    proof = unlock(encrypted, "agent7", AGENT_PW)  # it still opens the data (the key never changes)
    with open_commune(encrypted) as commune:
        assert commune.login("agent7", AGENT_PW, proof) is None  # but not the account
        assert commune.login("agent7", "reset-by-admin", proof) is not None  # the current password does
    _as(monkeypatch, "agent7", AGENT_PW)
    monkeypatch.setenv("COMMUNE_POLICE_NEW_PASSWORD", "another-one-1")
    keys._unlocked.clear()
    assert main(["user", "passwd", "--user", "agent7", "--db", str(encrypted)]) == 2
    assert "incorrect" in capsys.readouterr().err


@pytest.mark.gui
def test_the_application_starts_on_an_encrypted_commune(encrypted, qtbot, qapp, tmp_path):
    """``prepare_login`` reads nothing before the password; the login unlocks, the catalogue was
    read while the password was typed, and the main window lists the commune's inspection."""
    from desktop.settings import Settings
    from desktop.ui.app import open_main_window, preload_after_login, prepare_login
    prepared = prepare_login(encrypted)
    assert prepared is not None
    _app, _settings, commune, login = prepared
    try:
        assert commune is None and login.locked == encrypted and not login.demo.isVisible()
        login.show()
        preload_after_login(None, login)
        assert login.catalogue is not None
        login.username.setText("agent7")
        login.password.setText(AGENT_PW)
        login.try_login()
        assert login.user is not None and login.opened.loaded_catalogue is login.catalogue
        window = open_main_window(qapp, Settings(tmp_path / "settings.json"), login.opened, login)
        qtbot.addWidget(window)
        qtbot.waitUntil(lambda: window.inspections.model.rowCount() == 1)
        window.grab().save(str(tmp_path / "encrypted-main-window.png"))
        window.close()
    finally:
        login.close()
        if login.opened is not None:
            login.opened.close()
        qapp.setLayoutDirection(qapp.layoutDirection().LeftToRight)
