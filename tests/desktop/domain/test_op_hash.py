"""``op_hash`` hashes orjson's text when it is the canonical text byte for byte, the canonical
encoder's otherwise: the chains already stored (hashed over ``json``'s text) keep verifying. The
values are those an op may carry, and those a hostile device may send: floats around the limits
where ``repr`` changes notation, NaN and infinities, integers around 64 bits, every character
(lone surrogates, controls, U+2028), keys that are not texts, and types JSON does not have."""
from __future__ import annotations

import enum
import hashlib
import json
from datetime import date, datetime

import orjson
from hypothesis import example, given, settings
from hypothesis import strategies as st

from desktop.domain.sync import OP_FIELDS, _orjson_same, canonical, op_hash


class Colour(enum.Enum):
    RED = 1


class Level(enum.IntEnum):
    HIGH = 3


class Tag(str):
    pass


edge_floats = st.sampled_from([1e-4, 9.999999999999999e-05, 1e16, 9999999999999998.0, 1e-5, 1e15, 1e22, 5e-324,
                               1.7976931348623157e308, -0.0, 0.0, 0.1, 1 / 3, 2.5e-7, 123456.789, float("nan"),
                               float("inf"), float("-inf")])
floats = st.floats() | edge_floats | st.floats(min_value=1e-5, max_value=1e-3) | st.floats(min_value=1e15, max_value=1e17)
ints = st.integers() | st.integers(2**63 - 3, 2**64 + 3) | st.integers(-(2**64) - 3, -(2**63) + 3)
odd = st.sampled_from([Colour.RED, Level.HIGH, Tag("x"), datetime(2026, 12, 2, 9, 0), date(2026, 12, 2), b"\x00b",
                       (1, "t")])
scalars = st.none() | st.booleans() | ints | floats | st.text() | st.text(st.characters(max_codepoint=0x40)) | odd
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=4)
                      | st.dictionaries(st.integers(0, 9), inner, max_size=2), max_leaves=14)


def _canonical_hash(op: dict) -> str | None:
    try:
        return hashlib.sha256(canonical([op[f] for f in OP_FIELDS]).encode("utf-8")).hexdigest()
    except (TypeError, ValueError):  # what the canonical encoder itself refuses
        return None


def _op_hash(op: dict) -> str | None:
    try:
        return op_hash(op)
    except (TypeError, ValueError):
        return None


@settings(max_examples=1500, deadline=None)
@given(st.fixed_dictionaries({f: values for f in OP_FIELDS}))
@example({f: 1e-05 for f in OP_FIELDS})
@example({f: {"lat": 1e16, "b": "\ud800"} for f in OP_FIELDS})
@example({f: [2**64, float("nan")] for f in OP_FIELDS})
def test_op_hash_is_the_canonical_texts_hash(op):
    assert _op_hash(op) == _canonical_hash(op)


@settings(max_examples=1500, deadline=None)
@given(values)
def test_where_orjson_is_taken_its_text_is_the_canonical_one(value):
    if not isinstance(value, (dict, list)) or not _orjson_same(value):
        return
    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return  # op_hash falls back
    assert text == canonical(value).encode("utf-8")


def test_an_ordinary_op_goes_by_orjson():
    """The usual op (texts, integers, coordinates, nulls) is hashed from orjson's text: the fast
    path is the one taken."""
    op = {f: f for f in OP_FIELDS} | {"seq": 12, "base_version": None, "old": {},
                                      "new": {"lon": -7.6733692631, "lat": 33.58113189, "notes": "visite « é »\n",
                                              "version": 1, "deleted_at": None, "count": 0}}
    assert _orjson_same([op[f] for f in OP_FIELDS])
    assert orjson.dumps([op[f] for f in OP_FIELDS], option=orjson.OPT_SORT_KEYS) == \
        json.dumps([op[f] for f in OP_FIELDS], ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                   default=str).encode("utf-8")
    assert op_hash(op) == _canonical_hash(op)
