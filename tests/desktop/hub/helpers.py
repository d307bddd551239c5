"""A small team for the sync tests: a commune with two arrondissements, an officer in each, a
coordinator; a hub seeded from it; devices enrolled and given their replica."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from desktop.hub import enroll, ingest, init_hub, pull
from desktop.services import sync
from desktop.services.commune import Commune, open_commune
from desktop.store.check import check_store
from desktop.store.users import get_user
from tests.builders import PASSWORD, make_district, make_site, make_user


@dataclass
class Team:
    seed: Path
    pg_url: str
    districts: tuple[str, str]
    users: dict[str, str]  # username → id
    sites: tuple[str, str]  # one site per district


def make_team(tmp_path: Path, empty_commune_path: Path, pg_url: str) -> Team:
    seed = tmp_path / "seed.sqlite"
    shutil.copy(empty_commune_path, seed)
    with open_commune(seed) as c:
        d1 = make_district(c.store, "D1", name_fr="Anfa")
        d2 = make_district(c.store, "D2", name_fr="Maarif")
        users = {"agent1": make_user(c.store, "officer", username="agent1", district_id=d1).id,
                 "agent2": make_user(c.store, "officer", username="agent2", district_id=d2).id,
                 "coord": make_user(c.store, "coordinator", username="coord").id}
        s1 = make_site(c.store, name="Café Anfa", district_id=d1)
        s2 = make_site(c.store, name="Café Maarif", district_id=d2)
    init_hub(pg_url, seed)
    return Team(seed, pg_url, (d1, d2), users, (s1, s2))


def new_device(team: Team, tmp_path: Path, username: str, name: str | None = None) -> Path:
    """A device enrolled for ``username`` and given its replica (a pull from the start)."""
    path = tmp_path / f"{name or username}.sqlite"
    private, public = sync.generate_device_key()
    enrolment = enroll(team.pg_url, username, PASSWORD, public)
    sync.enroll_local(path, {**enrolment, "device_key": private})
    with device(path) as c:
        sync.apply_pull(c, pull(team.pg_url, enrolment["device_id"], 0))
    return path


def device(path: Path, username: str | None = None) -> Commune:
    """A device's commune, acting as ``username`` (no password: tests act as the enrolled user)."""
    commune = open_commune(path)
    if username:
        uid = commune.store.scalar("SELECT id FROM [user] WHERE username = ?", (username,))
        commune.user = get_user(commune.store, uid)
    return commune


def push(path: Path, pg_url: str) -> dict:
    """Push a device's pending ops to the hub and apply the receipt; returns the receipt's summary."""
    with device(path) as c:
        receipt = ingest(pg_url, sync.make_bundle(c))
        return sync.apply_receipt(c, receipt)


def sync_device(path: Path, pg_url: str) -> None:
    """Push, then pull from the device's cursor."""
    push(path, pg_url)
    with device(path) as c:
        state = sync.status(c)
        sync.apply_pull(c, pull(pg_url, state["device_id"], state["cursor"]))


def assert_check_ok(path: Path) -> None:
    with open_commune(path) as c:
        report = check_store(c.store)
        assert report.ok, report.problems
