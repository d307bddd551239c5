"""The sync rules as data: every table of the schema is classified, clocks only move forward,
a device's chain catches any change."""
import hashlib
import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.domain.auth import PERMISSIONS
from desktop.domain.sync import (GENESIS, LOCAL, OP_FIELDS, ORDER, TABLES, canonical, hlc_merge, hlc_next, op_hash,
                                 verify_chain)
from desktop.store import rowhash
from desktop.store.migrations import MIGRATIONS


def test_every_table_of_the_commune_is_classified_for_the_sync():
    """A new table (a later migration) must say how it syncs: class, permissions, scope."""
    conn = sqlite3.connect(":memory:")
    for _, script in MIGRATIONS:
        conn.executescript(script)
    tables = set(rowhash.covered_tables(conn)) - LOCAL
    assert tables == set(TABLES), "classify the new table in desktop/domain/sync.py (TABLES and ORDER)"
    assert set(ORDER) == set(TABLES)
    known = set().union(*PERMISSIONS.values())
    for name, rule in TABLES.items():
        assert rule.cls in ("fact", "register", "command"), name
        assert rule.insert <= known and rule.update <= known, name
        if len(rule.scope) == 2:
            assert ORDER.index(rule.scope[1]) < ORDER.index(name), f"{name}: its parent comes first"


def test_the_clock_never_goes_back():
    first = hlc_next(None, 1_000, "dev-a")
    second = hlc_next(first, 900, "dev-a")  # the wall clock went back
    third = hlc_next(second, 2_000, "dev-a")
    assert first < second < third
    assert hlc_merge(second, hlc_next(None, 5_000, "dev-b")) > third
    assert hlc_next(None, 1_000, "dev-a") < hlc_next(None, 1_000, "dev-b")  # devices never tie


def _chain(n):
    ops, prev = [], GENESIS
    for seq in range(1, n + 1):
        op = {"op_id": f"op{seq}", "device_id": "d", "seq": seq, "tbl": "site", "row_id": "r", "kind": "update",
              "base_version": seq, "old": {"name": "a"}, "new": {"name": "b"}, "hlc": str(seq), "actor": "u",
              "at": "2026-06-01T10:00:00Z", "tx": f"t{seq}", "prev_hash": prev}
        op["hash"] = op_hash(op)
        ops.append(op)
        prev = op["hash"]
    return ops


def test_a_devices_chain_catches_edits_gaps_and_reordering():
    ops = _chain(4)
    assert verify_chain(ops, 0, GENESIS) is None
    assert verify_chain(ops[2:], 2, ops[1]["hash"]) is None
    assert "follows" in verify_chain([ops[0], ops[2]], 0, GENESIS)
    assert verify_chain([ops[1], ops[0]], 0, GENESIS) is not None
    edited = [dict(o) for o in ops]
    edited[1]["new"] = {"name": "c"}
    assert "does not match its hash" in verify_chain(edited, 0, GENESIS)


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=12)


@settings(max_examples=300)
@given(st.fixed_dictionaries({f: _json for f in OP_FIELDS}))
def test_an_op_hash_is_the_sha256_of_its_canonical_fields(op):
    """``op_hash`` (the canonical encoder made once) hashes the very text ``canonical`` writes: the
    chains already stored keep verifying."""
    assert op_hash(op) == hashlib.sha256(canonical([op[f] for f in OP_FIELDS]).encode("utf-8")).hexdigest()
