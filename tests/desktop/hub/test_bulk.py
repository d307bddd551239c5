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


def _ingest(url: str, data: bytes, enabled: bool, most: int, early: int = hub_ingest.EARLY_FROM) -> tuple[dict, int]:
    """The receipt's body (or the error the ingest raised) and the change number before it;
    ``most``: the bound on a bundle's refusals (the hub stops the bundle before going over);
    ``early``: from how many candidate ops the bulk path's are stored while it decides."""
    with psycopg.connect(url) as conn:
        before = conn.execute("SELECT last_value FROM hub_change_seq").fetchone()[0]
    saved, bulk.ENABLED = bulk.ENABLED, enabled
    clock, rules.utc_now = rules.utc_now, lambda: BURIED_AT  # a refused new row's tombstone: same time in both
    bound, hub_ingest.BUNDLE_MAX_CONFLICTS = hub_ingest.BUNDLE_MAX_CONFLICTS, most
    first, hub_ingest.EARLY_FROM = hub_ingest.EARLY_FROM, early
    try:
        receipt = ingest(url, data)
    except Exception as exc:  # noqa: BLE001 - both paths must fail alike
        return {"error": type(exc).__name__}, before
    finally:
        bulk.ENABLED, rules.utc_now, hub_ingest.BUNDLE_MAX_CONFLICTS = saved, clock, bound
        hub_ingest.EARLY_FROM = first
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


def _both(world: World, ops: list[dict], most: int = BUNDLE_MAX_CONFLICTS, early: bool = True) -> tuple[dict, dict]:
    """``early``: the bulk path's candidate ops stored while it decides, however few (else as the
    hub does: from ``EARLY_FROM``)."""
    data = _bundle(world, ops)
    with world.hubs() as (fast_url, slow_url):
        fast, before = _ingest(fast_url, data, True, most, 1 if early else hub_ingest.EARLY_FROM)
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
@given(bundles, st.sampled_from([BUNDLE_MAX_CONFLICTS, BUNDLE_MAX_CONFLICTS, 1, 2, 3]), st.booleans())
@example(([("visit", "ok", ["ok", "ok"], False), ("visit", "scope", ["ok"], False), ("resend", 0, False),
           ("visit", "ok", ["orphan"], True), ("amend", 0), ("hub_resend", True), ("visit", "ok", [], False)],
          [True] * 40), BUNDLE_MAX_CONFLICTS, True)
@example(([("visit", "ok", ["ok"], False), ("visit", "scope", ["ok"], False), ("visit", "ok", [], False),
           ("visit", "field", ["ok"], False), ("visit", "ok", ["ok", "ok"], False)], [True] * 40), 2, True)
def test_the_bulk_path_answers_as_the_per_op_path(world, case, most, early):
    """``most``: the bound on one bundle's refusals, small in some examples so that the hub stops
    the bundle between transactions (the bulk path's later transactions then left pending too);
    ``early``: the bulk path's candidate ops stored in ``hub_op`` while it decides (those it then
    does not apply taken back), as the hub does for a large bundle."""
    items, splits = case
    ops = _ops(world, items, splits)
    if ops:
        _both(world, ops, most, early)


def test_a_bundle_of_new_facts_goes_by_the_bulk_path(world, monkeypatch):
    """Valid new facts (in transactions of several visits) are all decided by the bulk path, and
    applied as the per-op path applies them; an invalid one in a transaction refuses it whole."""
    taken = []
    real = bulk.FactInserts.decide

    def spy(self):
        real(self)
        taken.append((len(self.taken), len(self.rest)))
    monkeypatch.setattr(bulk.FactInserts, "decide", spy)
    items = [("visit", "ok", ["ok", "ok"], False)] * 6 + [("visit", "field", ["ok"], False)]
    splits = [True, False, False, False, False, False, True, False, False, True, False, False, False, False,
              False, False, False, False, True, False, False]
    fast, _ = _both(world, _ops(world, items, splits))
    assert taken[0] == (3, 2)  # 3 transactions of valid visits by the bulk path; the invalid one's 2 ops per op
    statuses = list(fast["results"].values())
    assert statuses.count("applied") == 18 and statuses.count("refused") == 2
    with device(world.attacker.tablet) as c:  # the device reads the same receipt as ever
        assert sync.status(c)["enrolled"]


def _rechained(world: World, ops: list[dict]) -> list[dict]:
    """``ops`` (changed after ``_ops``) hashed and linked again."""
    prev = world.attacker.prev or GENESIS
    for op in ops:
        op["prev_hash"] = prev
        op["hash"] = prev = op_hash(op)
    return ops


def _hub_ops(url: str) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute("SELECT op_id, status, journal_seq FROM hub_op ORDER BY device_id, seq").fetchall()


def test_the_ops_stored_early_name_the_ingest_entry_even_if_another_came_first(world, monkeypatch):
    """The ops stored while the bulk path decides name the journal entry they expect the ingest to
    append (the next one: every writer appends under the lock). Were another entry appended first,
    they are moved to the ingest's own entry: ``hub check`` finds every op under its entry."""
    real = hub_ingest.journal_append

    def another_first(conn, kind, device_id, detail):
        if kind == "ingest":
            real(conn, "catalogue", None, {"files": [], "sha256": "test"})
        return real(conn, kind, device_id, detail)
    monkeypatch.setattr(hub_ingest, "journal_append", another_first)
    ops = _ops(world, [("visit", "ok", ["ok"], False)] * 3, [True] * 40)
    with world.hubs() as (url, _):
        before = {r["op_id"] for r in _hub_ops(url)}
        body, _ = _ingest(url, _bundle(world, ops), True, BUNDLE_MAX_CONFLICTS, early=1)
        assert set(body["results"].values()) == {"applied"}
        with psycopg.connect(url, row_factory=dict_row) as conn:
            entry = conn.execute("SELECT seq FROM hub_journal WHERE kind = 'ingest' ORDER BY seq DESC LIMIT 1"
                                 ).fetchone()["seq"]
        stored = [r for r in _hub_ops(url) if r["op_id"] not in before]
        assert len(stored) == 6 and {r["journal_seq"] for r in stored} == {entry}
        assert check_hub(url)[1] == []


@pytest.mark.parametrize("early", [1, hub_ingest.EARLY_FROM])
def test_an_op_id_already_at_the_hub_fails_the_bundle_whole(world, early):
    """An op reusing the id of an op the hub holds (another device's, or a forged one) fails the
    ingest, whether its ops are stored while the bulk path decides or after: nothing of the bundle
    is kept, and the hub takes the device's next bundle as if it had never come."""
    ops = _ops(world, [("visit", "ok", ["ok"], False)] * 3, [True] * 40)
    with world.hubs() as (url, _):
        held = _hub_ops(url)
        taken = [dict(op) for op in ops]
        taken[-1]["op_id"] = held[0]["op_id"]
        body, _ = _ingest(url, _bundle(world, _rechained(world, taken)), True, BUNDLE_MAX_CONFLICTS, early)
        assert body == {"error": "UniqueViolation"}
        assert _hub_ops(url) == held
        body, _ = _ingest(url, _bundle(world, ops), True, BUNDLE_MAX_CONFLICTS, early)
        assert set(body["results"].values()) == {"applied"} and len(_hub_ops(url)) == len(held) + 6
        assert check_hub(url)[1] == []


@pytest.mark.timeout(120)
def test_a_read_while_the_ops_are_stored_waits_for_them(world, monkeypatch):
    """Were a rule to read while the bulk path decides (here: the rules' context, not read
    before), the read waits for the ops' ``COPY`` to end (psycopg's connection lock) and the bundle
    is decided as ever: no deadlock, no read on a connection in the middle of a ``COPY``."""
    monkeypatch.setattr(bulk.validate, "ready", lambda rows: None)
    fast, _ = _both(world, _ops(world, [("visit", "ok", ["ok"], False)] * 4, [True] * 40), early=True)
    assert set(fast["results"].values()) == {"applied"}
