"""The bulk path of ingest (desktop/hub/bulk.py) answers exactly as the per-op path: the same
bundle — new facts, valid and not (out of the officer's arrondissement, another actor, values the
application would not write, unknown columns, rows re-sent or already at the hub, amendments,
findings before or without their inspection), in device transactions of any size — ingested by
both paths into two copies of the same hub leaves the same rows (and the same rows marked for the
devices' next pull), the same ops stored, the same conflicts and refusals, the same receipt (but
for its signature, time and conflict ids), and a chain ``check_hub`` verifies."""
from __future__ import annotations

import importlib
import json
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row

from desktop.domain import bundle as signed
from desktop.domain.ids import utc_now, uuid7
from desktop.domain.sync import BUNDLE_MAX_CONFLICTS, GENESIS, TABLES, op_hash
from desktop.hub import bulk, ingest, rules
from desktop.hub.check import check_hub
from desktop.services import sync
from desktop.store import outbox
from tests.builders import make_inspection
from tests.desktop.hub.attacker import Attacker
from tests.desktop.hub.helpers import device, make_team, new_device, push
from tests.pg import BASE_URL, _admin_connect, pg_available, temporary_database

hub_ingest = importlib.import_module("desktop.hub.ingest")  # the module (``ingest`` is its function)
BURIED_AT = "2026-12-02T00:00:00Z"
INSPECTION_FAULTS = ("ok", "ok", "ok", "scope", "field", "hidden", "audit", "actor", "site", "column")
FINDING_FAULTS = ("ok", "ok", "ok", "code", "orphan", "hidden")
item = st.one_of(
    st.tuples(st.just("visit"), st.sampled_from(INSPECTION_FAULTS), st.lists(st.sampled_from(FINDING_FAULTS),
                                                                             max_size=3), st.booleans()),
    st.tuples(st.just("resend"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("hub_resend"), st.booleans()),
    st.tuples(st.just("amend"), st.integers(0, 20)),
)
bundles = st.tuples(st.lists(item, min_size=1, max_size=10), st.lists(st.booleans(), min_size=40, max_size=40))


class World:
    """A hub with agent1's tablet enrolled and one of its inspections already ingested (the
    template database), and what a valid inspection and finding of that tablet look like."""

    def __init__(self, root: Path, empty: Path, template_url: str, catalogue):
        self.url = template_url
        team = make_team(root, empty, template_url)
        self.team = team
        tablet = new_device(team, root, "agent1")
        with device(tablet, "agent1") as c:
            make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene",
                            findings=["HYG-01"], notes="visite")
            ops = outbox.pending(c.store.conn)
        assert push(tablet, template_url)["conflicts"] == 0
        self.inspection = next(op["new"] for op in ops if op["tbl"] == "inspection")
        self.finding = next(op["new"] for op in ops if op["tbl"] == "finding")
        self.attacker = Attacker(tablet, template_url)
        self.coord = team.users["coord"]

    @contextmanager
    def hubs(self):
        """Two copies of the template hub (same hub id, same enrolled device)."""
        names = [f"cp_bulk_{uuid.uuid4().hex[:10]}" for _ in range(2)]
        with _admin_connect() as conn:
            for name in names:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.url.rsplit("/", 1)[1]}"')
        try:
            yield [f"{BASE_URL}/{name}" for name in names]
        finally:
            with _admin_connect() as conn:
                for name in names:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def world(tmp_path_factory, empty_commune_template, catalogue):
    reason = pg_available()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("bulk")
    empty = root / "empty.sqlite"
    empty.write_bytes(empty_commune_template.read_bytes())
    with temporary_database("cp_bulk_tpl") as url:
        yield World(root, empty, url, catalogue)


def _ops(world: World, items, splits) -> list[dict]:
    """The ops of ``items`` (before chaining): (table, row id, kind, new, old, actor)."""
    a = world.attacker
    out: list[tuple] = []
    visits: list[dict] = []
    for it in items:
        kind = it[0]
        if kind == "visit":
            fault, finding_faults, later = it[1], it[2], it[3]
            new = {**world.inspection, "id": uuid7()}
            actor = None
            if fault == "scope":
                new.update(district_id=world.team.districts[1], site_id=world.team.sites[1])
            elif fault == "field":
                new["field_code"] = "nope"
            elif fault == "hidden":
                new["notes"] = "a\x07b"
            elif fault == "audit":
                new["version"] = 2
            elif fault == "actor":
                actor = world.coord
            elif fault == "site":
                new["site_id"] = uuid7()
            elif fault == "column":
                new["bogus"] = 1
            findings = []
            for f in finding_faults:
                fnew = {**world.finding, "id": uuid7(), "inspection_id": new["id"]}
                if f == "code":
                    fnew["violation_code"] = "ZZZ-99"
                elif f == "orphan":
                    fnew["inspection_id"] = uuid7()
                elif f == "hidden":
                    fnew["note"] = "\u202e"
                findings.append(("finding", fnew["id"], "insert", fnew, {}, None))
            visit = ("inspection", new["id"], "insert", new, {}, actor)
            out += findings + [visit] if later else [visit] + findings
            visits.append(new)
        elif kind == "resend" and visits:
            new = dict(visits[it[1] % len(visits)])
            if not it[2]:
                new["notes"] = "autre"
            out.append(("inspection", new["id"], "insert", new, {}, None))
        elif kind == "hub_resend":
            new = dict(world.inspection)
            if not it[1]:
                new["notes"] = "autre"
            out.append(("inspection", new["id"], "insert", new, {}, None))
        elif kind == "amend" and visits:
            target = visits[it[1] % len(visits)]
            out.append(("inspection", target["id"], "update",
                        {"notes": "amended", "updated_at": utc_now(), "updated_by": a.user_id, "version": 2},
                        {"notes": target["notes"]}, None))
    ops, seq, prev, tx = [], a.seq, a.prev or GENESIS, uuid7()
    for (table, row_id, kind, new, old, actor), split in zip(out, splits + [True] * len(out)):
        if split:
            tx = uuid7()
        seq += 1
        op = {"op_id": uuid7(), "device_id": a.device_id, "seq": seq, "tbl": table, "row_id": row_id, "kind": kind,
              "base_version": 1 if kind == "update" else None, "old": old, "new": new,
              "hlc": f"{1_800_000_000_000:013d}.{seq:05d}.{a.device_id}", "actor": actor or a.user_id,
              "at": utc_now(), "tx": tx, "prev_hash": prev}
        op["hash"] = prev = op_hash(op)
        ops.append(op)
    return ops


def _bundle(world: World, ops: list[dict]) -> bytes:
    a = world.attacker
    from desktop.store.migrations import LATEST
    return signed.seal({"kind": "push", "schema": LATEST, "device_id": a.device_id, "hub_id": a.hub_id,
                        "bundle_no": a.bundle_no + 1, "cursor": 0, "hlc": None, "ops": ops, "blobs": {},
                        "at": utc_now()}, a.key)


def _ingest(url: str, data: bytes, enabled: bool, most: int) -> tuple[dict, int]:
    """The receipt's body (or the error the ingest raised) and the change number before it;
    ``most``: the bound on a bundle's refusals (the hub stops the bundle before going over)."""
    with psycopg.connect(url) as conn:
        before = conn.execute("SELECT last_value FROM hub_change_seq").fetchone()[0]
    saved, bulk.ENABLED = bulk.ENABLED, enabled
    clock, rules.utc_now = rules.utc_now, lambda: BURIED_AT  # a refused new row's tombstone: same time in both
    bound, hub_ingest.BUNDLE_MAX_CONFLICTS = hub_ingest.BUNDLE_MAX_CONFLICTS, most
    try:
        receipt = ingest(url, data)
    except Exception as exc:  # noqa: BLE001 - both paths must fail alike
        return {"error": type(exc).__name__}, before
    finally:
        bulk.ENABLED, rules.utc_now, hub_ingest.BUNDLE_MAX_CONFLICTS = saved, clock, bound
    return json.loads(signed.unpack(receipt)[0]["body"]), before


def _state(url: str, before: int) -> dict:
    """What the hub holds (change numbers only as: marked for the next pull or not)."""
    out: dict = {}
    with psycopg.connect(url, row_factory=dict_row) as conn:
        for table in TABLES:
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            out[table] = sorted(json.dumps({**r, "hub_seq": r["hub_seq"] > before}, sort_keys=True, default=str)
                                for r in rows)
        out["hub_op"] = sorted(json.dumps(r, sort_keys=True, default=str) for r in conn.execute(
            "SELECT op_id, device_id, seq, tbl, row_id, kind, actor, hlc, hash, op, status, journal_seq FROM hub_op"))
        out["hub_conflict"] = sorted(json.dumps(r, sort_keys=True, default=str) for r in conn.execute(
            "SELECT op_id, device_id, tbl, row_id, column_name, kind, reason, base_value, device_value, hub_value,"
            " status FROM hub_conflict"))
        out["hub_device"] = conn.execute("SELECT last_seq, last_hash, last_bundle_no FROM hub_device").fetchall()
        out["journal"] = conn.execute("SELECT seq, kind, device_id, detail FROM hub_journal ORDER BY seq").fetchall()
    return out


def _receipt(body: dict) -> dict:
    if "error" in body:
        return body
    conflicts = sorted((json.dumps({k: v for k, v in c.items() if k != "conflict_id"}, sort_keys=True)
                        for c in body["conflicts"]))
    return {**{k: v for k, v in body.items() if k not in ("at", "journal_hash", "conflicts")}, "conflicts": conflicts}


def _both(world: World, ops: list[dict], most: int = BUNDLE_MAX_CONFLICTS) -> tuple[dict, dict]:
    data = _bundle(world, ops)
    with world.hubs() as (fast_url, slow_url):
        fast, before = _ingest(fast_url, data, True, most)
        slow, _ = _ingest(slow_url, data, False, most)
        assert _receipt(fast) == _receipt(slow)
        by_bulk, per_op = _state(fast_url, before), _state(slow_url, before)
        for name in per_op:  # one assertion per table: its differing rows shown
            assert (name, [r for r in by_bulk[name] if r not in per_op[name]]) == \
                (name, [r for r in per_op[name] if r not in by_bulk[name]])
        counts, problems = check_hub(fast_url)
        assert problems == [] and counts["ops"] == len(per_op["hub_op"])
    return fast, slow


@pytest.mark.timeout(900)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(bundles, st.sampled_from([BUNDLE_MAX_CONFLICTS, BUNDLE_MAX_CONFLICTS, 1, 2, 3]))
@example(([("visit", "ok", ["ok", "ok"], False), ("visit", "scope", ["ok"], False), ("resend", 0, False),
           ("visit", "ok", ["orphan"], True), ("amend", 0), ("hub_resend", True), ("visit", "ok", [], False)],
          [True] * 40), BUNDLE_MAX_CONFLICTS)
@example(([("visit", "ok", ["ok"], False), ("visit", "scope", ["ok"], False), ("visit", "ok", [], False),
           ("visit", "field", ["ok"], False), ("visit", "ok", ["ok", "ok"], False)], [True] * 40), 2)
def test_the_bulk_path_answers_as_the_per_op_path(world, case, most):
    """``most``: the bound on one bundle's refusals, small in some examples so that the hub stops
    the bundle between transactions (the bulk path's later transactions then left pending too)."""
    items, splits = case
    ops = _ops(world, items, splits)
    if ops:
        _both(world, ops, most)


def test_a_bundle_of_new_facts_goes_by_the_bulk_path(world, monkeypatch):
    """Valid new facts (in transactions of several visits) are all decided by the bulk path, and
    applied as the per-op path applies them; an invalid one in a transaction refuses it whole."""
    taken = []
    real = bulk.FactInserts.__init__

    def spy(self, *args, **kwargs):
        real(self, *args, **kwargs)
        taken.append((len(self.taken), len(self.rest)))
    monkeypatch.setattr(bulk.FactInserts, "__init__", spy)
    items = [("visit", "ok", ["ok", "ok"], False)] * 6 + [("visit", "field", ["ok"], False)]
    splits = [True, False, False, False, False, False, True, False, False, True, False, False, False, False,
              False, False, False, False, True, False, False]
    fast, _ = _both(world, _ops(world, items, splits))
    assert taken[0] == (3, 2)  # 3 transactions of valid visits by the bulk path; the invalid one's 2 ops per op
    statuses = list(fast["results"].values())
    assert statuses.count("applied") == 18 and statuses.count("refused") == 2
    with device(world.attacker.tablet) as c:  # the device reads the same receipt as ever
        assert sync.status(c)["enrolled"]
