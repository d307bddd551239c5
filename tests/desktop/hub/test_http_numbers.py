"""Register numbers at the hub, over HTTP, inside the signing transaction: the president's station
(the commune the hub was seeded from, enrolled) signs with the hub's number; the hub continues the
register the commune already had; an officer takes none; an unreachable hub refuses the signature."""
from datetime import date

import psycopg
import pytest

from desktop.demo.cases import CERT_PASSWORD, certs_dir
from desktop.domain.errors import Refusal
from desktop.hub import init_hub, numbers
from desktop.services import sync
from desktop.services.commune import open_commune
from desktop.services.hubclient import HubClient
from desktop.services.hubconfig import HubConfig
from desktop.services.paperwork import sign_decision
from desktop.store.users import get_user
from tests.builders import signable_draft
from tests.desktop.hub.server import HubServer

YEAR = 2026


def _enrol_existing(path, url, username, password):
    """Enrol a commune database that already exists (the station the hub was seeded from)."""
    private, public = sync.generate_device_key()
    with HubClient(url) as client:
        enrolment = client.enroll(username, password, public, None)
    sync.enroll_local(path, {**enrolment, "device_key": private, "hub_url": url})
    HubConfig(url, None, enrolment["device_id"]).save(path)
    return enrolment["device_id"]


def _as(commune, username):
    commune.user = get_user(commune.store, commune.store.scalar("SELECT id FROM [user] WHERE username = ?", (username,)))
    return commune


@pytest.mark.slow
def test_signing_takes_its_number_at_the_hub(demo_path, pg_url, catalogue):
    with open_commune(demo_path) as c:
        before = c.store.scalar("SELECT max(number) FROM decision WHERE year = ? AND series = 'notice'", (YEAR,)) or 0  # drafts below are notices
    init_hub(pg_url, demo_path)
    hub = HubServer(pg_url).start()
    try:
        _enrol_existing(demo_path, hub.url, "president", "president-demo")
        with psycopg.connect(pg_url, autocommit=True) as conn:  # another station took the next two already
            assert numbers.reserve(conn, "notice", YEAR, "elsewhere-1", "dev-x", "vicepresident") == before + 1
            assert numbers.reserve(conn, "notice", YEAR, "elsewhere-2", "dev-x", "vicepresident") == before + 2
        with open_commune(demo_path) as c:
            c.loaded_catalogue = catalogue
            coordinator = get_user(c.store, c.store.scalar("SELECT id FROM [user] WHERE username = 'coordinateur'"))
            drafts = [signable_draft(c.store, coordinator, catalogue, field) for field in ("hygiene", "public_domain")]
            _as(c, "president")
            on = date(YEAR, 7, 1)
            p12 = certs_dir(demo_path) / "president.p12"
            assert sign_decision(c, drafts[0], p12, CERT_PASSWORD, on=on) == before + 3  # the hub's, not max+1
            hub.stop()
            with pytest.raises(Refusal) as down:
                sign_decision(c, drafts[1], p12, CERT_PASSWORD, on=on)
            assert down.value.key == "net.number_needs_hub"
            assert c.store.scalar("SELECT status FROM decision WHERE id = ?", (drafts[1],)) == "draft"  # nothing signed
            hub.start()
            assert sign_decision(c, drafts[1], p12, CERT_PASSWORD, on=on) == before + 4
        with psycopg.connect(pg_url) as conn:
            held = numbers.numbers(conn, "notice", YEAR)
        taken = [n for n, _ in held]
        assert taken[-4:] == list(range(before + 1, before + 5)) and len(set(taken)) == len(taken)
        with open_commune(demo_path) as c:  # the register's numbers so far were taken over by the hub
            local = [r["number"] for r in c.store.query("SELECT number FROM decision WHERE year = ? AND series = 'notice' AND number"
                                                        " IS NOT NULL ORDER BY number", (YEAR,))]
        assert set(local) <= set(taken) and max(local) == before + 4
        assert dict((d, n) for n, d in held)[drafts[0]] == before + 3
    finally:
        hub.stop()


def test_an_officer_takes_no_register_number_and_does_not_see_the_conflicts_queue(tmp_path, empty_commune_path, pg_url):
    from tests.desktop.hub.helpers import make_team
    team = make_team(tmp_path, empty_commune_path, pg_url)
    with HubServer(team.pg_url) as hub:
        from desktop.services import netsync
        from tests.builders import PASSWORD
        tablet = tmp_path / "tablet.sqlite"
        netsync.enroll_device(tablet, hub.url, "agent1", PASSWORD)
        with netsync.client_for(tablet) as client, pytest.raises(Refusal) as refused:
            client.reserve_number("notice", YEAR, "doc-1")
        assert refused.value.key == "net.not_signer"
        with netsync.client_for(tablet) as client, pytest.raises(Refusal) as queue:
            client.conflicts()                  # the Conflits queue is the coordinator's
        assert queue.value.key == "net.not_coordinator"


def test_a_station_enrolled_by_usb_only_takes_no_register_number(tmp_path, empty_commune_path, pg_url):
    """Numbers are the hub's: a station enrolled with no network cannot sign (it would number
    locally, beside the hub's register); a standalone commune numbers its own register."""
    from desktop.services.commune import open_commune
    from desktop.services.hubconfig import hub_number
    from tests.desktop.hub.helpers import make_team, new_device
    team = make_team(tmp_path, empty_commune_path, pg_url)
    station = new_device(team, tmp_path, "coord")  # enrolled, its files by USB stick: no hub address
    with open_commune(station) as c, pytest.raises(Refusal) as refused:
        hub_number(c, "arrete", 2026, "doc-1")
    assert refused.value.key == "net.number_needs_network"
    with open_commune(empty_commune_path) as c:
        assert hub_number(c, "arrete", 2026, "doc-1") is None
