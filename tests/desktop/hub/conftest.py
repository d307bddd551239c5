"""Fixtures the hub's tests share: a small team seeded into a fresh hub, and that hub served."""
import pytest

from tests.desktop.hub.helpers import make_team
from tests.desktop.hub.server import HubServer


@pytest.fixture
def team(tmp_path, empty_commune_path, pg_url):
    return make_team(tmp_path, empty_commune_path, pg_url)


@pytest.fixture
def hub(team):
    with HubServer(team.pg_url) as server:
        yield server
