"""A backlog larger than one bundle (``BUNDLE_MAX_OPS``) or than the refusals one bundle may
queue (``BUNDLE_MAX_CONFLICTS``) still syncs completely: the device splits it into bundles (between
its transactions), ``sync`` pushes them one after the other and ``sync export`` writes them all
into its file; the hub stops a bundle at the refusals' bound and the rest goes in the next one."""
import importlib

import psycopg

from desktop.cli import main
from desktop.domain.bundle import peek, split
from desktop.hub import ingest
from desktop.services import netsync, sync
from tests.builders import PASSWORD, make_inspection
from tests.desktop.hub.attacker import hub_rows
from tests.desktop.hub.helpers import assert_check_ok, device, new_device
from desktop.hub.check import check_hub

hub_ingest = importlib.import_module("desktop.hub.ingest")


def _visits(path, team, catalogue, n: int) -> set[str]:
    with device(path, "agent1") as c:
        return {make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene",
                                findings=["HYG-01", "HYG-02"] if i % 2 else [],
                                inspected_at=f"2026-06-01T08:{i:02d}:00Z") for i in range(n)}


def _pending_txs(path) -> list[list[int]]:
    with device(path) as c:
        rows = c.store.query("SELECT seq, tx FROM sync_op WHERE acked_at IS NULL ORDER BY seq")
    groups: list[list[int]] = []
    for r in rows:
        if groups and groups[-1][1] == r["tx"]:
            groups[-1][0].append(r["seq"])
        else:
            groups.append([[r["seq"]], r["tx"]])
    return [g[0] for g in groups]


def test_bundles_are_cut_between_transactions(team, tmp_path, catalogue):
    tablet = new_device(team, tmp_path, "agent1")
    _visits(tablet, team, catalogue, 6)
    txs = _pending_txs(tablet)
    most = max(len(t) for t in txs) + 1
    assert most > 2
    with device(tablet) as c:
        bundles = [peek(b) for b in sync.make_bundles(c, most=most)]
    sent = [[op["seq"] for op in b["ops"]] for b in bundles]
    assert [s for b in sent for s in b] == [s for t in txs for s in t]  # every op, once, in order
    assert all(len(b) <= most for b in sent) and len(sent) > 1
    for t in txs:  # no transaction across two bundles
        assert any(set(t) <= set(b) for b in sent), (t, sent)
    with device(tablet) as c:  # a transaction larger than a bundle: cut (the hub refuses a larger bundle)
        assert max(len(peek(b)["ops"]) for b in sync.make_bundles(c, most=2)) == 2
    assert [b["bundle_no"] for b in bundles] == list(range(bundles[0]["bundle_no"], bundles[0]["bundle_no"] + len(sent)))


def test_a_large_backlog_syncs_completely_over_http(hub, team, tmp_path, catalogue, monkeypatch):
    monkeypatch.setattr(sync, "BUNDLE_MAX_OPS", 5)
    tablet = tmp_path / "tablet.sqlite"
    netsync.enroll_device(tablet, hub.url, "agent1", PASSWORD)
    visits = _visits(tablet, team, catalogue, 8)
    with device(tablet) as c:
        pending = sync.status(c)["pending"]
    result = netsync.sync_now(tablet)
    assert result.receipt["bundles"] > 2 and result.receipt["acknowledged"] == pending
    assert result.status["pending"] == 0
    held = {r["id"] for r in hub_rows(team.pg_url, "SELECT id FROM inspection WHERE deleted_at IS NULL")}
    assert visits <= held
    assert check_hub(team.pg_url)[1] == []
    assert_check_ok(tablet)


def test_a_large_backlog_travels_whole_on_a_usb_stick(team, tmp_path, catalogue, monkeypatch):
    monkeypatch.setattr(sync, "BUNDLE_MAX_OPS", 5)
    tablet = new_device(team, tmp_path, "agent1")
    visits = _visits(tablet, team, catalogue, 8)
    out, receipts, back = tmp_path / "tablet.bundle", tmp_path / "receipts", tmp_path / "back"
    assert main(["sync", "export", "--db", str(tablet), "--out", str(out)]) == 0
    assert len(split(out.read_bytes())) > 2
    assert main(["hub", "import", "--pg", team.pg_url, str(out), "--out", str(receipts)]) == 0
    with device(tablet) as c:
        device_id = sync.status(c)["device_id"]
    assert main(["hub", "export", "--pg", team.pg_url, "--device", device_id, "--out", str(back)]) == 0
    assert main(["sync", "import", "--db", str(tablet), str(back)]) == 0
    with device(tablet) as c:
        assert sync.status(c)["pending"] == 0
        assert c.store.scalar("SELECT count(*) FROM sync_op WHERE result IS NULL") == 0  # every receipt applied
    assert main(["sync", "import", "--db", str(tablet), str(receipts)]) == 0  # the receipts again: no harm
    held = {r["id"] for r in hub_rows(team.pg_url, "SELECT id FROM inspection WHERE deleted_at IS NULL")}
    assert visits <= held
    assert check_hub(team.pg_url)[1] == []


def test_the_hub_stops_a_bundle_at_the_refusals_bound_and_the_rest_follows(team, tmp_path, catalogue,
                                                                         monkeypatch):
    tablet = new_device(team, tmp_path, "agent1")
    _visits(tablet, team, catalogue, 8)
    most = max(len(t) for t in _pending_txs(tablet)) + 1  # every transaction fits under the bound
    monkeypatch.setattr(hub_ingest, "BUNDLE_MAX_CONFLICTS", most)
    with device(tablet) as c:
        pending = sync.status(c)["pending"]
    with psycopg.connect(team.pg_url) as conn:  # the account disabled at the hub meanwhile: every op refused
        conn.execute('UPDATE "user" SET active = 0 WHERE id = %s', (team.users["agent1"],))
    bundles = 0
    while True:
        with device(tablet) as c:
            got = sync.apply_receipt(c, ingest(team.pg_url, sync.make_bundle(c)))
            left = sync.status(c)["pending"]
        bundles += 1
        assert got["conflicts"] <= most
        if not left:
            break
        assert got["acknowledged"] > 0 and bundles < pending
    assert bundles > 2
    refused = hub_rows(team.pg_url, "SELECT reason, count(*) AS n FROM hub_conflict GROUP BY reason")
    assert {r["reason"] for r in refused} <= {"inactive_user", "with_refused"}
    assert sum(r["n"] for r in refused) == pending  # every op refused and reported, none lost
    with device(tablet) as c:
        assert len(sync.list_conflicts(c)) == pending
    assert check_hub(team.pg_url)[1] == []
