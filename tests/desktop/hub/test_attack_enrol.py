"""Attacks on enrolment: guessing a password online, enrolling with a deactivated or deleted
account, an officer enrolling for the other arrondissement, a malformed public key."""
import httpx
import psycopg
import pytest

from desktop.domain.errors import Refusal
from desktop.hub import enroll
from desktop.hub.devices import ENROL_FAILURES
from desktop.services import sync
from tests.builders import PASSWORD
from tests.desktop.hub.attacker import hub_rows
from tests.desktop.hub.server import HubServer


def _devices(team) -> int:
    return hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_device")[0]["n"]


def test_guessing_a_password_online_locks_the_accounts_enrolment(team):
    _, public = sync.generate_device_key()
    with HubServer(team.pg_url) as hub:
        def attempt(username, password):
            return httpx.post(hub.url + "/v1/enroll", timeout=30, json={
                "username": username, "password": password, "device_public_key": public.decode()})
        for i in range(ENROL_FAILURES):
            answer = attempt("agent1", f"guess-{i}")
            assert (answer.status_code, answer.json()["code"]) == (400, "sync.enroll_refused")
        locked = attempt("agent1", PASSWORD)  # the right one, found at last: refused all the same
        assert (locked.status_code, locked.json()["code"]) == (400, "sync.enroll_locked")
        assert attempt("agent2", PASSWORD).status_code == 200  # another account is not locked out
    assert hub_rows(team.pg_url, "SELECT username FROM hub_device") == [{"username": "agent2"}]
    with psycopg.connect(team.pg_url, autocommit=True) as conn:  # the window passed
        conn.execute("UPDATE hub_enroll_failure SET at = at - interval '1 hour'")
    assert enroll(team.pg_url, "agent1", PASSWORD, public)["user"]["username"] == "agent1"


@pytest.mark.parametrize("change", ["active = 0", "deleted_at = '2026-11-30T10:00:00Z'"])
def test_a_deactivated_or_deleted_account_cannot_enrol(team, change):
    _, public = sync.generate_device_key()
    with psycopg.connect(team.pg_url, autocommit=True) as conn:
        conn.execute(f'UPDATE "user" SET {change} WHERE username = \'agent1\'')
    with pytest.raises(Refusal) as refused:
        enroll(team.pg_url, "agent1", PASSWORD, public)
    assert refused.value.key == "sync.enroll_refused"
    assert _devices(team) == 0


def test_an_officer_cannot_enrol_for_the_other_arrondissement_nor_with_a_bad_key(team):
    _, public = sync.generate_device_key()
    with pytest.raises(Refusal) as refused:
        enroll(team.pg_url, "agent1", PASSWORD, public, district="D2")
    assert refused.value.key == "sync.enroll_district"
    for key in (b"not a key", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"):
        with pytest.raises(Refusal) as refused:
            enroll(team.pg_url, "agent1", PASSWORD, key)
        assert refused.value.key == "sync.bad_device_key"
    assert _devices(team) == 0
    scope = enroll(team.pg_url, "agent1", PASSWORD, public, district="D1")["scope"]
    assert scope == {"district_id": team.districts[0], "full": False}


def test_an_unknown_name_costs_what_a_wrong_password_costs(team, monkeypatch):
    """Timing must not tell which usernames exist: every refusal verifies one Argon2 hash."""
    from desktop.hub import devices
    verified = []
    real = devices.verify_password
    monkeypatch.setattr(devices, "verify_password", lambda password, stored: verified.append(stored) or real(password, stored))
    _, public = sync.generate_device_key()
    with psycopg.connect(team.pg_url, autocommit=True) as conn:
        conn.execute("UPDATE \"user\" SET active = 0 WHERE username = 'agent2'")
    for username, password in (("nobody", PASSWORD), ("agent1", "wrong-password"), ("agent2", PASSWORD)):
        with pytest.raises(Refusal) as refused:
            enroll(team.pg_url, username, password, public)
        assert refused.value.key == "sync.enroll_refused"
    assert len(verified) == 3 and all(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") for h in verified)
    assert _devices(team) == 0
