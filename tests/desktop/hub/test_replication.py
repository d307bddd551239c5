"""Province read access: a commune hub's publication (no personal-data columns) subscribed by a
province database, two databases on one PostgreSQL server with wal_level=logical."""
import shutil
import uuid

import psycopg
import pytest

from desktop.hub import init_hub, replication
from desktop.services.commune import open_commune
from tests.builders import make_district, make_inspection, make_site, make_user
from tests.desktop.hub.helpers import Team, device, new_device, sync_device
from tests.pg_logical import logical_server, unavailable

HUB_TABLES = {"sites": ("id", "name", "district", "version", "owner_cin"),  # owner_cin: never published
              "inspections": ("id", "site_id", "field", "outcome", "inspected_at")}


@pytest.fixture
def two_databases():
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    with logical_server() as base:
        names = [f"cp_repl_{tag}_{uuid.uuid4().hex[:10]}" for tag in ("hub", "prov")]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            for n in names:
                admin.execute(f'CREATE DATABASE "{n}"')
        hub = psycopg.connect(f"{base}/{names[0]}", autocommit=True)
        province = psycopg.connect(f"{base}/{names[1]}", autocommit=True)
        try:
            yield hub, province, f"{base}/{names[0]}"
        finally:
            replication.unsubscribe(province, hub, replication.publication_name("Casablanca"))
            hub.close()
            province.close()
            with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
                leftover = admin.execute("SELECT slot_name FROM pg_replication_slots WHERE database = ANY(%s)",
                                         (names,)).fetchall()
                for n in names:
                    admin.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')
            assert leftover == []  # a forgotten slot would keep the hub's WAL forever


def _hub_schema(hub):
    hub.execute("CREATE TABLE sites (id text PRIMARY KEY, name text NOT NULL, owner_name text, owner_cin text,"
                " district text, version integer NOT NULL DEFAULT 1)")
    hub.execute("CREATE TABLE inspections (id text PRIMARY KEY, site_id text REFERENCES sites(id), field text,"
                " outcome text, inspected_at timestamptz, notes text)")
    hub.execute("INSERT INTO sites VALUES ('s1', 'Café Atlas', 'Karim Benali', 'BE123456', 'Anfa', 1)")
    hub.execute("INSERT INTO inspections VALUES ('i1', 's1', 'hygiene', 'violations', '2026-06-01T10:00Z', 'x')")


def test_the_province_reads_a_hub_without_personal_data(two_databases):
    hub, province, hub_url = two_databases
    _hub_schema(hub)
    name = replication.publication_name("Casablanca")
    assert name == "hub_casablanca"
    assert replication.publish(hub, name, HUB_TABLES) == ["inspections", "sites"]
    replication.subscribe(province, hub, name, hub_url)
    replication.wait_ready(province, name)

    # The initial copy: published columns only, no owner's name or CIN at the province.
    columns = {r[0] for r in province.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'sites'").fetchall()}
    assert columns == {"id", "name", "district", "version"}
    assert province.execute("SELECT id, name, district FROM sites").fetchall() == [("s1", "Café Atlas", "Anfa")]
    assert "notes" not in {r[0] for r in province.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'inspections'").fetchall()}

    # Later changes at the hub follow: an insert, an update, and the personal data still stays home.
    hub.execute("INSERT INTO inspections VALUES ('i2', 's1', 'urbanism', 'compliant', '2026-06-02T09:00Z', 'y')")
    hub.execute("UPDATE sites SET district = 'Maârif', owner_cin = 'BE999999', version = 2 WHERE id = 's1'")
    replication.wait_caught_up(hub, name)
    assert province.execute("SELECT id, outcome FROM inspections ORDER BY id").fetchall() == [
        ("i1", "violations"), ("i2", "compliant")]
    assert province.execute("SELECT district, version FROM sites").fetchall() == [("Maârif", 2)]


def test_a_real_hub_publishes_its_registers_without_personal_data(two_databases, tmp_path, empty_commune_path,
                                                                  catalogue):
    """A hub made by ``init_hub`` from a commune, published with the default column lists; a
    device's sync at the hub then reaches the province."""
    hub, province, hub_url = two_databases
    seed = tmp_path / "seed.sqlite"
    shutil.copy(empty_commune_path, seed)
    with open_commune(seed) as c:
        d1 = make_district(c.store, "D1", name_fr="Anfa")
        agent = make_user(c.store, "officer", username="agent1", district_id=d1)
        site = make_site(c.store, name="Café Atlas", district_id=d1)
    init_hub(hub_url, seed)
    name = replication.publication_name("Casablanca")
    published = replication.publish(hub, name)
    assert {"site", "inspection", "finding", "decision", "district"} <= set(published)
    replication.subscribe(province, hub, name, hub_url)
    replication.wait_ready(province, name)
    columns = {(t, c) for t, c in province.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'").fetchall()}
    assert not {c for _t, c in columns} & replication.PERSONAL          # no owner, ID number, contact, notes
    assert ("site", "district_id") in columns and ("site", "name") not in columns
    assert province.execute("SELECT id FROM site").fetchall() == [(site,)]

    team = Team(seed, hub_url, (d1, d1), {"agent1": agent.id}, (site, site))
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        inspection = make_inspection(c.store, c.user, catalogue, site, field_code="hygiene", findings=["HYG-01"],
                                     notes="le gérant absent")
    sync_device(tablet, hub_url)
    replication.wait_caught_up(hub, name)
    assert province.execute("SELECT id, outcome FROM inspection").fetchall() == [(inspection, "violations")]
    assert province.execute("SELECT count(*) FROM finding").fetchone()[0] == 1


def test_identifiers_are_checked():
    with pytest.raises(ValueError):
        replication.ident("sites; DROP TABLE x")
    assert replication.publication_name("Aïn Chock / Casablanca") == "hub_ain_chock_casablanca"
