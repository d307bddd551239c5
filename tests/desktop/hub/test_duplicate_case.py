"""Two tablets, offline, each open a case on the same site for the same field: the hub applies
both (the officers' work stands), flags the second for the coordinator, who merges it into the
first or keeps both; every replica converges and stays consistent."""
import psycopg
import pytest

from desktop.domain.errors import Refusal
from desktop.hub import list_conflicts, resolve_conflict
from desktop.store.cases import current_step
from tests.builders import make_inspection
from tests.desktop.hub.helpers import assert_check_ok, device, make_team, new_device, push, sync_device


def _twice_offline(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablets = [new_device(team, tmp_path, "agent1", f"tablet{n}") for n in (1, 2)]
    cases, findings = [], []
    for path, code in zip(tablets, ("HYG-01", "HYG-02")):
        with device(path, "agent1") as c:  # both offline: neither knows the other's case
            inspection = make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene",
                                         findings=[code])
            findings.append(c.store.scalar("SELECT id FROM finding WHERE inspection_id = ?", (inspection,)))
            cases.append(c.store.scalar("SELECT case_id FROM case_finding WHERE finding_id = ?", (findings[-1],)))
    assert cases[0] != cases[1]
    first = push(tablets[0], pg_url)
    second = push(tablets[1], pg_url)
    return team, tablets, cases, findings, first, second


def _open_cases(pg_url, site):
    with psycopg.connect(pg_url) as conn:
        return sorted(r[0] for r in conn.execute(
            "SELECT id FROM case_file WHERE site_id = %s AND status = 'open' AND deleted_at IS NULL", (site,)))


def test_the_second_case_is_applied_and_flagged_never_silent(tmp_path, empty_commune_path, pg_url, catalogue):
    team, tablets, cases, findings, first, second = _twice_offline(tmp_path, empty_commune_path, pg_url, catalogue)
    assert first["conflicts"] == 0 and second["conflicts"] == 1
    assert _open_cases(pg_url, team.sites[0]) == sorted(cases)           # nothing refused, nothing lost
    [conflict] = list_conflicts(pg_url)
    assert conflict["kind"] == "duplicate_case" and conflict["reason"] == "case_duplicate"
    assert conflict["row_id"] == cases[1] and conflict["hub_value"]["case_id"] == cases[0]
    with device(tablets[1]) as c:                                        # the officer sees it too
        assert c.store.scalar("SELECT kind FROM sync_conflict WHERE status = 'open'") == "duplicate_case"


def test_merged_into_the_first_case_every_replica_converges(tmp_path, empty_commune_path, pg_url, catalogue):
    team, tablets, cases, findings, _first, _second = _twice_offline(tmp_path, empty_commune_path, pg_url, catalogue)
    [conflict] = list_conflicts(pg_url)
    resolve_conflict(pg_url, conflict["conflict_id"], "hub", team.users["coord"])
    assert _open_cases(pg_url, team.sites[0]) == [cases[0]]
    with psycopg.connect(pg_url) as conn:
        linked = {r[0] for r in conn.execute("SELECT finding_id FROM case_finding WHERE case_id = %s", (cases[0],))}
        step = conn.execute("SELECT status, result FROM case_step WHERE case_id = %s", (cases[1],)).fetchone()
    assert linked == set(findings) and step == ("done", "merged")
    for path in tablets:
        sync_device(path, pg_url)
        assert_check_ok(path)
        with device(path) as c:
            assert c.store.scalar("SELECT status FROM case_file WHERE id = ?", (cases[1],)) == "closed"
            assert {r["finding_id"] for r in c.store.query("SELECT finding_id FROM case_finding WHERE case_id = ?",
                                                           (cases[0],))} == set(findings)
            assert current_step(c.store, cases[0]) is not None
    with device(tablets[1], "agent1") as c:  # the next finding on the site joins the merged case
        inspection = make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene",
                                     findings=["HYG-03"])
        assert c.store.scalar("SELECT cf.case_id FROM case_finding cf JOIN finding f ON f.id = cf.finding_id"
                              " WHERE f.inspection_id = ?", (inspection,)) == cases[0]
    assert push(tablets[1], pg_url)["conflicts"] == 0


def test_kept_both_cases_stay_open(tmp_path, empty_commune_path, pg_url, catalogue):
    team, tablets, cases, _findings, _first, _second = _twice_offline(tmp_path, empty_commune_path, pg_url, catalogue)
    [conflict] = list_conflicts(pg_url)
    resolve_conflict(pg_url, conflict["conflict_id"], "device", team.users["coord"])
    assert _open_cases(pg_url, team.sites[0]) == sorted(cases) and list_conflicts(pg_url) == []
    sync_device(tablets[1], pg_url)
    with device(tablets[1]) as c:
        assert c.store.scalar("SELECT count(*) FROM sync_conflict WHERE status = 'open'") == 0


def test_a_duplicate_with_a_document_is_not_merged(tmp_path, empty_commune_path, pg_url, catalogue):
    team, tablets, cases, _findings, _first, _second = _twice_offline(tmp_path, empty_commune_path, pg_url, catalogue)
    with psycopg.connect(pg_url) as conn:  # a draft already made on the duplicate (as the president's station would)
        cols = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name ="
                                           " 'decision' AND is_nullable = 'NO' AND column_default IS NULL")]
        values = {c: ("x" if c != "version" else 1) for c in cols}
        values.update(id="dec-1", case_id=cases[1])
        conn.execute(f"INSERT INTO decision ({', '.join(values)}) VALUES ({', '.join('%s' for _ in values)})",
                     list(values.values()))
    [conflict] = list_conflicts(pg_url)
    with pytest.raises(Refusal) as refused:
        resolve_conflict(pg_url, conflict["conflict_id"], "hub", team.users["coord"])
    assert refused.value.key == "sync.case_has_documents"
    assert _open_cases(pg_url, team.sites[0]) == sorted(cases) and len(list_conflicts(pg_url)) == 1
