"""The commune's catalogue extensions travel from the hub to the devices: a new tablet holds them
after its first pull, a change made at the hub (``hub catalogue``) reaches every device with its
next pull, and the violations a tablet offers are those the hub accepts."""
import json

import psycopg
import pytest

from desktop.domain.catalogue import CatalogueError
from desktop.domain.errors import Refusal
from desktop.hub.catalogue import set_catalogue
from desktop.hub.check import check_hub
from desktop.services import catalogue_sync
from desktop.services.commune import catalogue_dir
from tests.builders import make_inspection
from tests.desktop.hub.helpers import device, make_team, new_device, push, sync_device
from tests.desktop.hub.test_files_and_kill import cli


def _field(code: str, violation: str) -> str:
    return json.dumps({"catalogue_version": 1, "fields": [{
        "code": code, "ar": "الضوضاء", "fr": "Bruit", "checklist": [],
        "violations": [{"code": violation, "ar": "ضوضاء", "fr": "Bruit excessif", "basis": [{"text": "L113-14"}],
                        "severity": "minor", "deadline_days": 8, "next_step": "formal_notice"}]}]})


def _tablet(team, tmp_path, name: str):
    """A tablet in a folder of its own (``catalogue.d`` is beside the database)."""
    folder = tmp_path / name
    folder.mkdir()
    return new_device(team, folder, "agent1", name)


@pytest.fixture
def seeded(tmp_path, empty_commune_path, pg_url):
    """A hub made from a commune whose catalogue has the «noise» field."""
    extension = catalogue_dir(tmp_path / "seed.sqlite")
    extension.mkdir()
    (extension / "noise.json").write_text(_field("noise", "NOI-01"), encoding="utf-8")
    return make_team(tmp_path, empty_commune_path, pg_url)


def test_a_new_tablet_holds_the_communes_extensions_after_its_first_pull(seeded, tmp_path, pg_url):
    tablet = _tablet(seeded, tmp_path, "tablet")
    assert (catalogue_dir(tablet) / "noise.json").read_text(encoding="utf-8") == _field("noise", "NOI-01")
    with device(tablet, "agent1") as c:
        assert "NOI-01" in {v.code for v in c.catalogue.field("noise").violations}
        make_inspection(c.store, c.user, c.catalogue, seeded.sites[0], field_code="noise", findings=["NOI-01"])
    assert push(tablet, pg_url)["conflicts"] == 0  # what the tablet offered, the hub accepts


def test_a_change_at_the_hub_reaches_every_device_and_moves_local_files_aside(seeded, tmp_path, pg_url):
    tablet = _tablet(seeded, tmp_path, "tablet")
    local = catalogue_dir(tablet) / "local.json"
    local.write_text(_field("local", "LOC-01"), encoding="utf-8")  # a file the hub never had
    sync_device(tablet, pg_url)  # nothing changed at the hub since the first pull: left alone
    assert local.exists()
    new = tmp_path / "new-catalogue"
    new.mkdir()
    (new / "noise.json").write_text(_field("noise", "NOI-01"), encoding="utf-8")
    (new / "signs.json").write_text(_field("signs", "SGN-01"), encoding="utf-8")
    assert set_catalogue(pg_url, new)["files"] == ["noise.json", "signs.json"]
    with psycopg.connect(pg_url) as conn:  # journaled
        assert conn.execute("SELECT count(*) FROM hub_journal WHERE kind = 'catalogue'").fetchone()[0] == 1
    assert check_hub(pg_url)[1] == []  # the hub's chain still verifies
    sync_device(tablet, pg_url)
    folder = catalogue_dir(tablet)
    assert sorted(p.name for p in folder.glob("*.json")) == ["noise.json", "signs.json"]
    [aside] = folder.glob("replaced/*/local.json")  # moved, never deleted
    assert aside.read_text(encoding="utf-8") == _field("local", "LOC-01")
    with device(tablet, "agent1") as c:
        make_inspection(c.store, c.user, c.catalogue, seeded.sites[0], field_code="signs", findings=["SGN-01"])
    assert push(tablet, pg_url)["conflicts"] == 0


def test_a_broken_extension_is_refused_at_the_hub_and_nothing_changes(seeded, tmp_path, pg_url):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.json").write_text('{"catalogue_version": 1, "fields": [{"code": 3}]}', encoding="utf-8")
    with psycopg.connect(pg_url) as conn:
        before = conn.execute("SELECT value FROM hub_meta WHERE key = 'catalogue'").fetchone()[0]
    with pytest.raises(CatalogueError):
        set_catalogue(pg_url, broken)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT value FROM hub_meta WHERE key = 'catalogue'").fetchone()[0] == before


@pytest.mark.parametrize("files", [
    [["../../etc/evil.json", _field("noise", "NOI-01")]],     # out of the folder
    [[".hidden.json", _field("noise", "NOI-01")]],
    [["noise.json", '{"catalogue_version": 1, "fields": "x"}']],  # not a catalogue
    "not a list of files",
])
def test_a_hostile_catalogue_in_a_pull_is_refused_before_anything_is_written(seeded, tmp_path, files):
    tablet = _tablet(seeded, tmp_path, "tablet")
    before = sorted(p.name for p in catalogue_dir(tablet).iterdir())
    with device(tablet) as c, pytest.raises(Refusal) as refused:
        catalogue_sync.apply(c, {"catalogue": files})
    assert refused.value.key == "sync.bad_catalogue"
    assert sorted(p.name for p in catalogue_dir(tablet).iterdir()) == before
    assert not (tmp_path / "etc").exists()


def test_hub_catalogue_command(seeded, tmp_path, pg_url):
    new = tmp_path / "cli-catalogue"
    new.mkdir()
    (new / "signs.json").write_text(_field("signs", "SGN-01"), encoding="utf-8")
    done = cli("hub", "catalogue", "--pg", pg_url, "--from", new)
    assert "signs.json" in done.stdout
    with psycopg.connect(pg_url) as conn:
        assert [n for n, _ in json.loads(conn.execute(
            "SELECT value FROM hub_meta WHERE key = 'catalogue'").fetchone()[0])] == ["signs.json"]
