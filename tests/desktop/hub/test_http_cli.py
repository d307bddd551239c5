"""The network commands, as a script runs them: ``hub serve`` (a subprocess), ``device enroll``
with the password from the environment, ``sync --db`` printing the receipt, and their refusals."""
import psycopg
import pytest

from tests.builders import PASSWORD, make_inspection
from tests.desktop.hub.helpers import assert_check_ok, device, make_team
from tests.desktop.hub.server import HubServer, self_signed
from tests.desktop.hub.test_files_and_kill import cli


def test_enroll_and_sync_from_the_command_line(tmp_path, empty_commune_path, pg_url, catalogue, monkeypatch):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", PASSWORD)
    tls = self_signed(tmp_path)
    with HubServer(pg_url, tls=tls) as hub:
        tablet = tmp_path / "tablet.sqlite"
        done = cli("device", "enroll", "--db", tablet, "--hub", hub.url, "--user", "agent1")
        assert "Empreinte du certificat du serveur" in done.stdout and "enrôlé auprès de" in done.stdout
        from desktop.domain.complaints import device_code
        from desktop.services.hubconfig import HubConfig
        assert f"(code {device_code(HubConfig.load(tablet).device_id)})" in done.stdout  # as «Appareils» names it
        from desktop.services.commune import needs_password, unlock
        assert needs_password(tablet)  # a tablet's replica is encrypted by default (Law 09-08)
        unlock(tablet, "agent1", PASSWORD)  # its key, with the enrolled user's password, in this process too
        with device(tablet, "agent1") as c:
            make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene", findings=["HYG-01"])
        shown = cli("sync", "--db", tablet).stdout
        assert shown.startswith("Reçu : ") and "0 en attente" in shown
        with psycopg.connect(pg_url) as conn:
            assert conn.execute("SELECT count(*) FROM inspection").fetchone()[0] == 1
        refused = cli("device", "enroll", "--db", tablet, "--hub", hub.url, "--user", "agent1", check=False)
        assert refused.returncode == 2 and "existe déjà" in refused.stderr
        monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "wrong-password")
        refused = cli("device", "enroll", "--db", tmp_path / "b.sqlite", "--hub", hub.url, "--user", "agent1",
                      check=False)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert not (tmp_path / "b.sqlite").exists()  # a refused enrolment leaves no replica behind
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", PASSWORD)
    down = cli("sync", "--db", tablet, check=False)  # the hub stopped: a message, exit 2, nothing lost
    assert down.returncode == 2 and "injoignable" in down.stderr and "Traceback" not in down.stderr
    assert_check_ok(tablet)


def test_hub_serve_refuses_plain_http_off_the_loopback(pg_url):
    refused = cli("hub", "serve", "--pg", pg_url, "--listen", "0.0.0.0:8443", check=False)
    assert refused.returncode == 2 and "--tls-cert" in refused.stderr
    not_enrolled = cli("sync", "--db", "/nonexistent/x.sqlite", check=False)
    assert not_enrolled.returncode == 2 and "Traceback" not in not_enrolled.stderr


def test_hub_publish_names_the_published_tables(tmp_path, empty_commune_path, pg_url):
    make_team(tmp_path, empty_commune_path, pg_url)
    shown = cli("hub", "publish", "--pg", pg_url, "--commune", "Casablanca").stdout
    assert shown.startswith("Publication hub_casablanca : ") and "inspection" in shown and "site" in shown
    with psycopg.connect(pg_url) as conn:
        published = {r[0]: r[1] for r in conn.execute(
            "SELECT tablename, attnames FROM pg_publication_tables WHERE pubname = 'hub_casablanca'")}
    assert "owner_name" not in published["site"] and "notes" not in published["inspection"]


def test_enroll_pins_only_the_fingerprint_the_commune_gave(tmp_path, empty_commune_path, pg_url, monkeypatch):
    """``--fingerprint``: a hub showing another certificate (a machine in the middle at the first
    contact) is refused before the password is sent and nothing is made; the right one, written
    with or without colons, in either case, enrols."""
    make_team(tmp_path, empty_commune_path, pg_url)
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", PASSWORD)
    tls, other = self_signed(tmp_path, "hub"), self_signed(tmp_path, "other")
    from desktop.services.hubclient import fingerprint
    right, wrong = fingerprint(tls[0].read_text()), fingerprint(other[0].read_text())
    with HubServer(pg_url, tls=tls) as hub:
        refused = cli("device", "enroll", "--db", tmp_path / "a.sqlite", "--hub", hub.url, "--user", "agent1",
                      "--fingerprint", wrong, check=False)
        assert refused.returncode == 2 and "n'est pas celle attendue" in refused.stderr and wrong in refused.stderr
        assert "Traceback" not in refused.stderr and not (tmp_path / "a.sqlite").exists()
        done = cli("device", "enroll", "--db", tmp_path / "b.sqlite", "--hub", hub.url, "--user", "agent1",
                   "--fingerprint", right.replace(":", "").lower())
        assert "enrôlé auprès de" in done.stdout


def test_enroll_at_a_terminal_asks_to_confirm_the_fingerprint(monkeypatch):
    """At a terminal without ``--fingerprint``, the person enrolling confirms the fingerprint shown
    (yes in French, English or Arabic); anything else, or no answer, refuses."""
    from desktop.cli import network
    from desktop.domain.errors import Refusal
    from desktop.i18n import Translator
    monkeypatch.setattr(network.sys.stdin, "isatty", lambda: True)
    for answer, trusted in (("oui", True), ("O", True), ("نعم", True), ("", False), ("n", False)):
        monkeypatch.setattr("builtins.input", lambda prompt, a=answer: a)
        if trusted:
            network._trust("AB:CD", None, Translator("fr"))
        else:
            with pytest.raises(Refusal) as refused:
                network._trust("AB:CD", None, Translator("fr"))
            assert refused.value.key == "net.fingerprint_not_confirmed"
    monkeypatch.setattr(network.sys.stdin, "isatty", lambda: False)  # a script: as before
    network._trust("AB:CD", None, Translator("fr"))
    with pytest.raises(Refusal):  # plain HTTP has no certificate to match
        network._trust(None, "AB:CD", Translator("fr"))
