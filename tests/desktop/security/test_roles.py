"""Review security-2026-11, H3, M6 and L3: the administrator manages accounts, not signing power;
delegations are validated in the store; accounts can be disabled; logins are throttled and
journaled; confusable usernames are refused."""
import time
from datetime import date

import pytest

from desktop.cli import main
from desktop.domain.auth import PermissionDenied, can
from desktop.domain.errors import Refusal
from desktop.store import users
from desktop.store.delegations import add_delegation
from desktop.store.users import authenticate, create_user, find_user


@pytest.fixture
def people(store):
    return {name: authenticate(store, name, pw) for name, pw in
            (("president", "president-demo"), ("admin", "admin-demo"))}


def _delegate(store, president, delegate, number="50/2026", decided=date(2026, 1, 1), start=date(2026, 1, 1), end=None):
    return add_delegation(store, president, delegate, number, decided, "art103", ["hygiene"], "حفظ الصحة", "hygiène",
                          "نائب", "Vice", start, end)


def test_the_administrator_cannot_give_himself_signing_power(store, people):
    assert not can("administrator", "delegation.manage")
    with pytest.raises(PermissionDenied):
        _delegate(store, people["admin"], people["admin"])


def test_cli_delegation_by_the_administrator_is_refused(demo_path, monkeypatch, capsys):
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "admin-demo")
    code = main(["delegation", "add", "--db", str(demo_path), "--delegate", "admin", "--number", "99/2026",
                 "--date", "2026-01-01", "--basis", "art103", "--fields", "hygiene", "--scope-ar", "x", "--scope-fr", "x",
                 "--capacity-ar", "x", "--capacity-fr", "x", "--user", "admin"])
    assert code != 0
    from desktop.store.db import open_store
    with open_store(demo_path, readonly=True) as s:
        assert not s.scalar("SELECT count(*) FROM delegation WHERE number = '99/2026'")


@pytest.mark.parametrize("username", ["gouverneur", "agent001", "admin"])
def test_no_delegation_to_a_reviewer_an_officer_or_the_administrator(store, people, username):
    with pytest.raises(Refusal) as refused:
        _delegate(store, people["president"], find_user(store, username))
    assert refused.value.code == "delegate_role"


def test_delegation_dates_and_numbers_are_checked(store, people):
    vp = find_user(store, "coordinateur")
    with pytest.raises(Refusal) as refused:
        _delegate(store, people["president"], vp, start=date(2026, 3, 1), end=date(2026, 2, 1))
    assert refused.value.code == "delegation_dates"
    with pytest.raises(Refusal):
        _delegate(store, people["president"], vp, decided=date(2026, 1, 1), start=date(2000, 1, 1))
    _delegate(store, people["president"], vp, number="1/2000")
    with pytest.raises(Refusal) as refused:
        _delegate(store, people["president"], vp, number="1/2000")
    assert refused.value.code == "delegation_number_taken"


def test_disable_and_enable_an_account(demo_path, monkeypatch):
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "admin-demo")
    assert main(["user", "disable", "agent001", "--db", str(demo_path)]) == 0
    from desktop.store.db import open_store
    with open_store(demo_path) as s:
        assert authenticate(s, "agent001", "agent-demo") is None
        assert s.scalar("SELECT count(*) FROM journal WHERE entity = 'user' AND changes LIKE '%\"active\":0%'") == 1
    assert main(["user", "enable", "agent001", "--db", str(demo_path)]) == 0
    with open_store(demo_path) as s:
        assert authenticate(s, "agent001", "agent-demo") is not None
    assert main(["check", "--db", str(demo_path)]) == 0


def test_change_a_role_and_arrondissement_from_the_cli(demo_path, monkeypatch, capsys):
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "admin-demo")
    assert main(["user", "role", "agent001", "coordinator", "--district", "Anfa", "--db", str(demo_path)]) == 0
    from desktop.store.db import open_store
    with open_store(demo_path) as s:
        row = s.query("SELECT u.role, d.name_fr FROM [user] u JOIN district d ON d.id = u.district_id"
                      " WHERE u.username = 'agent001'")[0]
        assert (row["role"], row["name_fr"]) == ("coordinator", "Anfa")
    # the last administrator keeps his role; an unknown role is refused by the parser
    assert main(["user", "role", "admin", "officer", "--db", str(demo_path)]) != 0
    with pytest.raises(SystemExit):
        main(["user", "role", "agent001", "mayor", "--db", str(demo_path)])
    assert main(["check", "--db", str(demo_path)]) == 0


def test_an_administrator_cannot_disable_himself(store, people):
    with pytest.raises(Refusal):
        users.set_active(store, people["admin"], people["admin"].id, False)


def test_failed_logins_are_throttled_and_journaled(store, monkeypatch):
    monkeypatch.setattr(users, "_failures", {})
    monkeypatch.setattr(users, "MAX_DELAY", 0.5)
    before = store.scalar("SELECT count(*) FROM journal WHERE op = 'login_failed'")
    times = []
    for _ in range(5):
        t = time.perf_counter()
        assert authenticate(store, "president", "guess") is None
        times.append(time.perf_counter() - t)
    assert store.scalar("SELECT count(*) FROM journal WHERE op = 'login_failed'") == before + 5
    assert min(times[3:]) >= 0.25 > 0  # the 4th and 5th attempts wait
    assert authenticate(store, "president", "president-demo") is not None  # the right password still works
    assert users._failures.get("president") is None


@pytest.mark.parametrize("name", ["\u0430dmin", "adm\u0131n", "ad min", "admin\u202e"])
def test_confusable_usernames_are_refused(store, people, name):
    with pytest.raises(Refusal) as refused:
        create_user(store, people["admin"], name, "motdepasse-1", "administrator")
    assert refused.value.code == "username_invalid"


def test_a_reset_password_must_be_changed_by_its_holder(demo_path, monkeypatch, capsys, tmp_path):
    """Review H3: the administrator resets the president's password and tries to sign with it: the
    account can only change its password, and is told who reset it."""
    from desktop.demo.cases import CERT_PASSWORD, certs_dir
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "admin-demo")
    monkeypatch.setenv("COMMUNE_POLICE_NEW_PASSWORD", "admin-owns-you")
    assert main(["user", "password", "president", "--db", str(demo_path)]) == 0
    from desktop.domain.catalogue import load_catalogue
    from desktop.store.db import open_store
    from tests.builders import signable_draft
    with open_store(demo_path) as s:  # a draft that only the reset stops (a notice on confirmed bases)
        draft = signable_draft(s, authenticate(s, "coordinateur", "coord-demo"), load_catalogue(), "hygiene")
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "admin-owns-you")
    monkeypatch.setenv("COMMUNE_POLICE_PKCS12_PASSWORD", CERT_PASSWORD)
    capsys.readouterr()
    assert main(["decision", "sign", draft, "--db", str(demo_path), "--pkcs12",
                 str(certs_dir(demo_path) / "president.p12")]) == 2
    err = capsys.readouterr().err
    assert "réinitialisé par admin" in err
    monkeypatch.setenv("COMMUNE_POLICE_NEW_PASSWORD", "president-again-1")
    assert main(["user", "passwd", "--user", "president", "--db", str(demo_path)]) == 0
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "president-again-1")
    assert main(["decision", "sign", draft, "--db", str(demo_path), "--pkcs12",
                 str(certs_dir(demo_path) / "president.p12")]) == 0


def test_a_reset_account_cannot_sign_through_the_services_either(store, people):
    """The GUI path: signing itself refuses an account whose password someone else reset."""
    from desktop.demo.cases import CERT_PASSWORD, certs_dir
    from desktop.domain.catalogue import load_catalogue
    from desktop.services.commune import Commune
    from desktop.services.paperwork import sign_decision
    users.set_password(store, people["admin"], people["president"].id, "admin-owns-you")
    president = authenticate(store, "president", "admin-owns-you")
    draft = store.scalar("SELECT id FROM decision WHERE status = 'draft' LIMIT 1")
    with pytest.raises(Refusal) as refused:
        sign_decision(Commune(store.path, store, load_catalogue(), user=president), draft,
                      certs_dir(store.path) / "president.p12", CERT_PASSWORD)
    assert refused.value.code == "password_change_required" and refused.value.params["by"] == "admin"


@pytest.mark.parametrize("weak", [" " * 8, " " * 12, "aaaaaaaa", "abababab"])
def test_blank_or_repeated_passwords_are_refused(weak):
    """Review L3: 8 spaces were accepted as a password."""
    from desktop.domain.auth import check_new_password
    from desktop.domain.errors import Refusal
    with pytest.raises(Refusal) as refused:
        check_new_password(weak)
    assert refused.value.code == "password_too_simple"
    check_new_password("trois-mots-2026")  # an ordinary one passes
