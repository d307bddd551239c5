"""Attacks on the hub's HTTP face (a real ``hub serve`` subprocess): replayed or re-targeted signed
requests, an officer calling the coordinator's endpoints, SQL through query parameters, a revoked
device on every endpoint, a stranger's huge or deeply nested body, and authority that outlives the
account it came from (deactivated, demoted)."""
import hashlib
import socket
import time

import httpx
import psycopg
import pytest

from desktop.domain.errors import Refusal
from desktop.hub import revoke
from desktop.services import netsync
from desktop.services.hubwire import sign_request
from tests.builders import PASSWORD
from tests.desktop.hub.attacker import hub_rows


def enrol(hub, tmp_path, username, name=None):
    path = tmp_path / f"{name or username}-device.sqlite"
    result = netsync.enroll_device(path, hub.url, username, PASSWORD)
    return path, result.status["device_id"]


def signed(hub, tablet, device_id, method, target, body=b"", *, sign_target=None, sign_body=None, sign_method=None):
    """A request whose signature was made for (``sign_method``, ``sign_target``, ``sign_body``)."""
    headers = sign_request(netsync.device_key(tablet), device_id, sign_method or method, sign_target or target,
                           body if sign_body is None else sign_body)
    return httpx.request(method, hub.url + target, content=body, headers=headers, timeout=30)


def _sql(pg_url, sql, params=()):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(sql, params)


def test_a_signed_request_cannot_be_retargeted_or_given_another_body(hub, team, tmp_path):
    tablet, device_id = enrol(hub, tmp_path, "agent1")
    assert signed(hub, tablet, device_id, "GET", "/v1/pull?cursor=0").status_code == 200  # the genuine one
    for answer in (
        signed(hub, tablet, device_id, "GET", "/v1/pull?cursor=0", sign_target="/v1/pull?cursor=999999"),
        signed(hub, tablet, device_id, "GET", "/v1/conflicts", sign_target="/v1/pull?cursor=0"),
        signed(hub, tablet, device_id, "POST", "/v1/blobs/want", b'{"sha256": []}', sign_body=b'{"sha256": ["x"]}'),
        signed(hub, tablet, device_id, "POST", "/v1/blobs/want", b'{"sha256": []}', sign_method="GET"),
    ):
        assert (answer.status_code, answer.json()["code"]) == (401, "net.bad_signature")
    # signed by agent1's key but presented as another device's request
    _, other = enrol(hub, tmp_path, "agent2")
    headers = sign_request(netsync.device_key(tablet), other, "GET", "/v1/pull?cursor=0", b"")
    answer = httpx.get(hub.url + "/v1/pull?cursor=0", headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (401, "net.bad_signature")
    # a request recorded more than SKEW ago (or stamped in the future) is refused
    for when in (time.time() - 400, time.time() + 400):  # SKEW is 300 s (margin: a loaded machine)
        headers = sign_request(netsync.device_key(tablet), device_id, "GET", "/v1/pull?cursor=0", b"", now=when)
        answer = httpx.get(hub.url + "/v1/pull?cursor=0", headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (401, "net.clock_skew")


def test_an_officer_cannot_work_the_conflicts_or_devices(hub, team, tmp_path):
    tablet, device_id = enrol(hub, tmp_path, "agent1")
    _, victim = enrol(hub, tmp_path, "agent2")
    with netsync.client_for(tablet) as client:
        for call in (client.conflicts, client.devices, lambda: client.revoke_device(victim),
                     lambda: client.resolve("01a2", "device")):
            with pytest.raises(Refusal) as refused:
                call()
            assert refused.value.key == "net.not_coordinator"
    assert hub_rows(team.pg_url, "SELECT status FROM hub_device WHERE device_id = %s", (victim,)) == \
        [{"status": "active"}]
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_journal WHERE kind IN ('revoke', 'resolve')") == \
        [{"n": 0}]


def test_sql_through_query_parameters_and_conflict_ids(hub, team, tmp_path):
    station, device_id = enrol(hub, tmp_path, "coord")
    listed = signed(hub, station, device_id, "GET", "/v1/conflicts?status=%27%20OR%201%3D1%20--")
    assert listed.status_code == 200 and listed.json() == {"conflicts": []}
    for sent, meant in (("x'%20OR%20'1'%3D'1", "x' OR '1'='1"), ("1;DROP%20TABLE%20hub_op", "1;DROP TABLE hub_op")):
        answer = signed(hub, station, device_id, "POST", f"/v1/conflicts/{sent}/resolve", b'{"choice": "hub"}',
                        sign_target=f"/v1/conflicts/{meant}/resolve")  # the hub checks the decoded path
        assert (answer.status_code, answer.json()["code"]) == (400, "sync.no_such_conflict")
    assert hub_rows(team.pg_url, "SELECT to_regclass('hub_op') IS NOT NULL AS here") == [{"here": True}]


def test_a_revoked_device_is_refused_on_every_endpoint(hub, team, tmp_path):
    tablet, device_id = enrol(hub, tmp_path, "coord")
    with netsync.client_for(tablet) as client:
        client.put_blob(hashlib.sha256(b"photo").hexdigest(), b"photo")
    revoke(team.pg_url, device_id, "admin")
    sha = hashlib.sha256(b"photo").hexdigest()
    with netsync.client_for(tablet) as client:
        for call in (lambda: client.pull(0), lambda: client.missing_blobs([sha]), lambda: client.get_blob(sha),
                     lambda: client.put_blob(hashlib.sha256(b"new").hexdigest(), b"new"),
                     lambda: client.reserve_number("arrete", 2026, "doc-1"), client.conflicts, client.devices,
                     lambda: client.revoke_device(device_id), lambda: client.resolve("01a2", "hub")):
            with pytest.raises(Refusal) as refused:
                call()
            assert refused.value.key == "net.device_revoked"
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_blob") == [{"n": 1}]
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM register_number") == [{"n": 0}]


DEEP = b"[" * 200_000 + b"]" * 200_000


def test_deeply_nested_json_leaves_the_hub_up(hub, team, tmp_path):
    assert httpx.post(hub.url + "/v1/enroll", content=DEEP, timeout=30).status_code < 600
    tablet, device_id = enrol(hub, tmp_path, "agent1")
    pushed = signed(hub, tablet, device_id, "POST", "/v1/push", DEEP)
    assert pushed.status_code >= 400 and pushed.json()["code"] in ("sync.not_a_bundle", "net.hub_error")
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_op") == [{"n": 0}]
    assert httpx.get(hub.url + "/v1/status").status_code == 200
    assert signed(hub, tablet, device_id, "GET", "/v1/pull?cursor=0").status_code == 200


def test_deeply_nested_json_at_enrolment_is_a_clean_refusal(hub):
    answer = httpx.post(hub.url + "/v1/enroll", content=DEEP, timeout=30)
    assert answer.status_code == 400 and answer.json()["code"] == "net.bad_request"


def test_a_strangers_huge_body_is_refused_before_it_is_read(hub):
    with socket.create_connection(("127.0.0.1", hub.port), timeout=5) as s:
        s.sendall(b"POST /v1/push HTTP/1.1\r\nHost: hub\r\nContent-Length: 268435457\r\n"
                  b"x-cp-device: nobody\r\n\r\n" + b"\0" * 65536)
        s.settimeout(3)
        try:
            head = s.recv(4096)
        except socket.timeout:
            head = b""
    assert head.startswith(b"HTTP/1.1 4"), "the hub waited for 256 MiB from an unknown device"


def test_a_deactivated_accounts_device_is_refused(hub, team, tmp_path):
    tablet, device_id = enrol(hub, tmp_path, "agent1")
    _sql(team.pg_url, 'UPDATE "user" SET active = 0, hub_seq = nextval(\'hub_change_seq\') WHERE username = %s',
         ("agent1",))  # the officer left: his account deactivated at the hub
    with netsync.client_for(tablet) as client:
        for call in (lambda: client.pull(0), lambda: client.missing_blobs(["0" * 64]),
                     lambda: client.put_blob(hashlib.sha256(b"x").hexdigest(), b"x")):
            with pytest.raises(Refusal) as refused:
                call()
            assert refused.value.key == "net.account_inactive"
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_blob") == [{"n": 0}]


def test_a_demoted_coordinator_or_president_loses_the_powers_his_device_was_enrolled_with(hub, team, tmp_path):
    station, device_id = enrol(hub, tmp_path, "coord")
    _, victim = enrol(hub, tmp_path, "agent2")
    _sql(team.pg_url, 'UPDATE "user" SET role = \'president\' WHERE username = \'agent1\'')
    chair, _ = enrol(hub, tmp_path, "agent1", "president")
    with netsync.client_for(chair) as client:
        assert client.reserve_number("arrete", 2026, "doc-1") == 1
    _sql(team.pg_url, 'UPDATE "user" SET role = \'officer\' WHERE username IN (\'coord\', \'agent1\')')
    with netsync.client_for(station) as client:
        for call in (client.devices, client.conflicts, lambda: client.revoke_device(victim)):
            with pytest.raises(Refusal) as refused:
                call()
            assert refused.value.key == "net.not_coordinator"
    with netsync.client_for(chair) as client:
        with pytest.raises(Refusal) as refused:
            client.reserve_number("arrete", 2026, "doc-2")
        assert refused.value.key == "net.not_signer"
    assert hub_rows(team.pg_url, "SELECT status FROM hub_device WHERE device_id = %s", (victim,)) == \
        [{"status": "active"}]
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM register_number") == [{"n": 1}]


def test_an_officer_cannot_take_a_register_number(hub, team, tmp_path):
    tablet, _ = enrol(hub, tmp_path, "agent1")
    with netsync.client_for(tablet) as client:
        with pytest.raises(Refusal) as refused:
            client.reserve_number("arrete", 2026, "doc-1")
        assert refused.value.key == "net.not_signer"
        with pytest.raises(Refusal) as refused:
            client.reserve_number("arrete'; DROP TABLE register_number; --", 2026, "doc-1")
        assert refused.value.key in ("net.not_signer", "net.bad_request")
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM register_number") == [{"n": 0}]


def _delegate(pg_url, user_id, valid_from, valid_to=None):
    _sql(pg_url, "INSERT INTO delegation (id, delegate_id, number, decided_on, legal_basis, scope_fields, scope_ar,"
         " scope_fr, capacity_ar, capacity_fr, valid_from, valid_to, created_at, updated_at, device_id, version)"
         " VALUES (gen_random_uuid()::text, %s, '12/2026', '2026-01-01', 'art103', '[]', '', '', '', '', %s, %s,"
         " '2026-01-01', '2026-01-01', 'seed', 1)", (user_id, valid_from, valid_to))


def test_a_delegation_not_yet_or_no_longer_in_force_gives_no_register_number(hub, team, tmp_path):
    tablet, _ = enrol(hub, tmp_path, "agent1")
    _delegate(team.pg_url, team.users["agent1"], "2999-01-01")  # signed today, in force from 2999
    _delegate(team.pg_url, team.users["agent1"], "2000-01-01", "2000-12-31")  # expired
    with netsync.client_for(tablet) as client:
        with pytest.raises(Refusal) as refused:
            client.reserve_number("arrete", 2026, "doc-1")
        assert refused.value.key == "net.not_signer"
        _delegate(team.pg_url, team.users["agent1"], "2000-01-01")  # in force: now he may
        assert client.reserve_number("arrete", 2026, "doc-1") == 1
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM register_number") == [{"n": 1}]
