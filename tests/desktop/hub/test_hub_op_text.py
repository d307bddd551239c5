"""``hub_op.op`` keeps each op as ``json`` (the text it was stored as, not parsed into ``jsonb``):
read back, an op is the values the device sent, so its hash still verifies (``check_hub``) — with
``jsonb`` a float such as 1e16 came back as the integer 10000000000000000 and the op's content no
longer matched its hash. A large bundle's ops go by ``COPY`` (``ingest._copy_ops``), a small one's
by one statement: both store the same rows. A hub made with ``jsonb`` is converted by ``hub
upgrade`` and works before it."""
from __future__ import annotations

import importlib
import json
import math

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row

from desktop.domain import bundle
from desktop.domain.ids import uuid7
from desktop.hub import ingest
from desktop.hub.check import check_hub
from desktop.hub.upgrade import upgrade_hub
from tests.desktop.hub.attacker import Attacker, hub_rows
from tests.desktop.hub.helpers import make_team, new_device

hub_ingest = importlib.import_module("desktop.hub.ingest")
ODD = [1e16, 1.5e300, 1e-05, -0.0, 0.1, 123.456, 2**70, -(2**64), "é\u2028\\\"\n", {"nested": [1, 2.5e20, None, True]}]
COLUMNS = "op_id, device_id, seq, tbl, row_id, kind, actor, hlc, hash, status, journal_seq"


@pytest.fixture
def team(tmp_path, empty_commune_path, pg_url):
    return make_team(tmp_path, empty_commune_path, pg_url)


def _strict(value) -> str:
    """``value`` as text that tells 1 from 1.0 and True, NaN from null, -0.0 from 0.0."""
    return json.dumps(value, sort_keys=True)


def _odd_ops(attacker: Attacker, count: int) -> list[dict]:
    """Inserts the hub refuses (a column the table does not have), each carrying odd values."""
    ops = []
    for i in range(count):
        row_id = uuid7()
        ops.append(attacker.op("inspection", row_id, "insert", {"id": row_id, "odd": ODD[i % len(ODD)],
                                                               "odder": ODD[(i + 1) % len(ODD)]}))
    return ops


@pytest.mark.parametrize("count", [3, 150])  # one statement; COPY
def test_an_op_reads_back_as_sent_and_its_chain_verifies(team, tmp_path, count):
    attacker = Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)
    ops = _odd_ops(attacker, count)
    ingest(team.pg_url, attacker.bundle(ops))
    stored = {r["op_id"]: r for r in hub_rows(team.pg_url, f"SELECT {COLUMNS}, op FROM hub_op")}
    assert len(stored) == count
    for op in ops:
        row = stored[op["op_id"]]
        assert _strict(row["op"]) == _strict(op)
        assert (row["seq"], row["tbl"], row["row_id"], row["kind"], row["actor"], row["hlc"], row["hash"]) == \
            (op["seq"], op["tbl"], op["row_id"], op["kind"], op["actor"], op["hlc"], op["hash"])
        assert row["status"] == "refused"
    assert check_hub(team.pg_url)[1] == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**80), 2**80) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_an_op_text_reads_back_as_the_same_values(op):
    """orjson's text where it reads back the same; ``json.dumps``'s otherwise (NaN, infinities, an
    integer beyond 64 bits, a lone surrogate): never another value."""
    text = hub_ingest._op_text(op)
    try:
        again = json.loads(text)
    except ValueError:
        pytest.fail(text)
    assert _strict(again) == _strict(op)
    if any(isinstance(v, float) and not math.isfinite(v) for v in _leaves(op)):
        assert text == hub_ingest._dumps(op)  # as the statement stores it: PostgreSQL refuses it, as before


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_a_body_read_as_finite_has_no_float_to_look_for(op):
    """``bundle._body`` reads a text as ``json.loads`` does, and tells it finite only when no float
    in it is NaN or infinite: an op of such a body gets the same text without the look
    (``_op_text(op, finite=True)``)."""
    text = json.dumps(op)  # (NaN and infinities written as json.dumps writes them)
    value, finite = bundle._body(text)
    assert _strict(value) == _strict(json.loads(text))
    assert finite == all(not (isinstance(v, float) and not math.isfinite(v)) for v in _leaves(value))
    if finite:
        assert hub_ingest._op_text(value, True) == hub_ingest._op_text(value)


@pytest.mark.parametrize("number", ["NaN", "-Infinity", "1e999", "-1e400", "1" + "0" * 400 + ".5"])
def test_a_number_too_large_for_a_float_is_not_finite(number):
    value, finite = bundle._body(f'{{"ops": [{{"new": {{"lat": {number}}}}}]}}')
    assert not finite and not math.isfinite(value["ops"][0]["new"]["lat"])


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


# what reaches the store: no U+0000 (refused before, ``sync.bad_text``), no lone surrogate
stored_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=6)
texts = st.one_of(st.none(), stored_text, st.integers(-5, 5), st.booleans())
stored_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | stored_text, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(stored_text, inner, max_size=3),
    max_leaves=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actor=texts, values=st.lists(stored_values, min_size=1, max_size=5))
def test_copy_and_statement_store_the_same_rows(team, actor, values):
    """The same ops stored by ``COPY`` and by the statement: the same columns, the same values (an
    op whose columns are not all text or null, or whose seq is not an integer, goes by the statement
    in both cases)."""
    outcomes = [({"op_id": f"op-{i}", "seq": i + 1, "tbl": "site", "row_id": f"r{i}", "kind": "insert",
                  "actor": actor if i == 7 else "u", "hlc": "h", "hash": f"{i:064x}",
                  "new": {"v": values[i % len(values)]}, "old": {}}, "refused") for i in range(120)]
    got = []
    with psycopg.connect(team.pg_url, row_factory=dict_row) as conn:
        conn.execute("INSERT INTO hub_device (device_id, user_id, username, role, public_key, full_scope,"
                     " enrolled_at, last_hash) VALUES ('dev', 'u', 'u', 'officer', 'k', true, 'now', '')"
                     " ON CONFLICT DO NOTHING")
        conn.commit()
        for copy in (True, False):
            with conn.transaction(force_rollback=True):
                if copy:
                    hub_ingest._store_ops(conn, "dev", outcomes, 9)
                else:
                    for first in range(0, len(outcomes), 50):  # under COPY_FROM: the statement
                        hub_ingest._store_ops(conn, "dev", outcomes[first:first + 50], 9)
                got.append([{**r, "op": _strict(r["op"])}
                            for r in conn.execute(f"SELECT {COLUMNS}, op FROM hub_op ORDER BY seq")])
    assert got[0] == got[1]
    assert [r["op"] for r in got[0]] == [_strict(op) for op, _ in outcomes]


@pytest.mark.parametrize("count", [3, 150])  # one statement; COPY
def test_an_ops_text_shows_its_values_as_written(team, tmp_path, count):
    """``op::text`` holds the values as written, not as escapes (``jsonb`` gave them so): a search
    for a name (the retention tests' traces) finds it."""
    attacker = Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)
    ops = [attacker.op("inspection", r, "insert", {"id": r, "odd": f"فاطمة الزهراء {i} « é »"})
           for i, r in enumerate(uuid7() for _ in range(count))]
    ingest(team.pg_url, attacker.bundle(ops))
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_op WHERE op::text LIKE %s",
                    ("%فاطمة الزهراء%« é »%",)) == [{"n": count}]


def test_a_hub_made_with_jsonb_ingests_and_is_upgraded_to_json(team, tmp_path):
    with psycopg.connect(team.pg_url) as conn:  # the hub_op of a hub made before this version
        conn.execute("ALTER TABLE hub_op ALTER op TYPE jsonb USING op::jsonb")
    attacker = Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)
    plain = [attacker.op("inspection", r, "insert", {"id": r, "notes": "x", "lat": 33.5}) for r in
             (uuid7() for _ in range(121))]
    ingest(team.pg_url, attacker.bundle(plain[:120]))  # COPY into jsonb
    ingest(team.pg_url, attacker.bundle(plain[120:]))  # the statement into jsonb
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_op") == [{"n": 121}]
    result = upgrade_hub(team.pg_url, team.seed)
    assert result["hub_tables"] == ["hub_op.op json"]
    assert hub_rows(team.pg_url, "SELECT data_type FROM information_schema.columns WHERE table_name = 'hub_op'"
                                 " AND column_name = 'op'") == [{"data_type": "json"}]
    journal = hub_rows(team.pg_url, "SELECT detail FROM hub_journal WHERE kind = 'upgrade'")
    assert json.loads(journal[-1]["detail"])["hub_tables"] == ["hub_op.op json"]
    stored = {r["op_id"]: r["op"] for r in hub_rows(team.pg_url, "SELECT op_id, op FROM hub_op")}
    assert all(_strict(stored[op["op_id"]]) == _strict(op) for op in plain)
    assert "hub_tables" not in upgrade_hub(team.pg_url, team.seed)  # once
    assert check_hub(team.pg_url)[1] == []


def test_only_the_hub_ingest_looks_at_the_floats():
    """``unpack`` looks at each float only when asked (the hub's ingest): a device reading a pull
    of a whole commune does not pay for it, and is never told a body is finite unchecked."""
    from desktop.domain.sync import FORMAT
    key, _public = bundle.new_key()
    plain = bundle.seal({"format": FORMAT, "kind": "push", "ops": [{"new": {"lat": 33.5}}]}, key)
    assert bundle.unpack(plain, floats=True).finite and not bundle.unpack(plain).finite
    odd = bundle.seal({"format": FORMAT, "kind": "push", "ops": [{"new": {"lat": float("nan")}}]}, key)
    assert not bundle.unpack(odd, floats=True).finite
