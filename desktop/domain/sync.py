"""The sync rules in one place, as data: which tables travel, their class of data, the permission
each kind of write needs, and how a row finds its arrondissement (an officer's scope).

Classes (issue 12):
- ``fact``: append-only (inspections, findings, photos, complaint links). An update is an
  *amendment*, accepted only on the version it was based on; otherwise a conflict.
- ``register``: shared registers (sites, authorisations, programmes, districts). Merged column
  by column from the op's old values: hub value == old → applied; == new → nothing to do; else a
  conflict (the hub's value stands, flagged).
- ``command``: state machines (cases and their steps, decisions, delegations, complaints' triage,
  accounts). Accepted only when the hub's row is still at the op's base version; otherwise
  refused with a reason the device shows.
Tables absent from ``TABLES`` and not ``LOCAL`` are refused at the hub (never silently dropped).
"""
from __future__ import annotations

import hashlib
import json
import json.encoder
from dataclasses import dataclass
from operator import itemgetter

import orjson

FORMAT = "commune-police-sync"
GENESIS = "0" * 64
LOCAL = frozenset({"draft", "meta"})   # device-local: never captured, never pulled
# One push bundle's bounds (the hub's lock is held while one bundle is applied): the ops it may
# carry (more: refused whole, ``sync.bundle_too_large``; a device splits its backlog into bundles
# of at most this many), and the conflicts and refusals one bundle may queue for the coordinator
# (the hub stops there, between two device transactions: the rest stays pending on the device,
# unacknowledged, and goes in its next bundle).
BUNDLE_MAX_OPS = 10_000
BUNDLE_MAX_CONFLICTS = 1_000
# Written by the store on every write; the hub sets them itself when it merges.
AUDIT = ("created_at", "updated_at", "created_by", "updated_by", "device_id", "version", "deleted_at")


@dataclass(frozen=True)
class TableRule:
    cls: str                          # fact | register | command
    insert: frozenset[str]            # permissions, any of which allows the write
    update: frozenset[str]
    scope: tuple[str, ...] = ()       # how to reach the district: ("district_id",) or (fk column, parent table, ...)


def _p(*names: str) -> frozenset[str]:
    return frozenset(names)


_INSPECT = _p("inspection.create")
_CASE = _p("inspection.create", "case.manage")
_DECIDE = _p("decision.draft", "decision.record", "decision.sign")

TABLES: dict[str, TableRule] = {
    "commune": TableRule("register", _p("commune.edit"), _p("commune.edit")),
    "district": TableRule("register", _p("district.manage"), _p("district.manage")),
    "user": TableRule("command", _p("user.manage"), _p("user.manage")),
    "site": TableRule("register", _p("site.create", "site.edit"), _p("site.edit"), ("district_id",)),
    "authorisation": TableRule("register", _p("site.create", "site.edit"), _p("site.edit"), ("site_id", "site")),
    "inspection": TableRule("fact", _INSPECT, _INSPECT, ("district_id",)),
    "finding": TableRule("fact", _INSPECT, _INSPECT, ("inspection_id", "inspection")),
    "attachment": TableRule("fact", _p("inspection.create", "complaint.create", *_DECIDE),
                            _p("inspection.create", "complaint.create", *_DECIDE), ("owner_id", "inspection")),
    "case_file": TableRule("command", _CASE, _p("case.manage"), ("site_id", "site")),
    "case_finding": TableRule("fact", _CASE, _p("case.manage"), ("case_id", "case_file")),
    "case_step": TableRule("command", _CASE, _p("case.manage"), ("case_id", "case_file")),
    "delegation": TableRule("command", _p("delegation.manage"), _p("delegation.manage")),
    # the president's revocation of a signing certificate (trust, like delegations)
    "certificate_revocation": TableRule("command", _p("delegation.manage"), _p("delegation.manage")),
    "decision": TableRule("command", _DECIDE, _DECIDE, ("case_id", "case_file")),
    "complaint": TableRule("command", _p("complaint.create"), _p("complaint.triage"), ("district_id",)),
    "complaint_inspection": TableRule("fact", _p("inspection.create", "complaint.triage"),
                                      _p("complaint.triage"), ("inspection_id", "inspection")),
    "programme": TableRule("register", _p("programme.manage"), _p("programme.manage")),
    "programme_brigade": TableRule("register", _p("programme.manage"), _p("programme.manage"), ("district_id",)),
}
# Parents before children, so that foreign keys hold while rows are applied in this order.
ORDER = ("commune", "district", "user", "site", "authorisation", "programme", "programme_brigade", "complaint",
         "inspection", "finding", "attachment", "complaint_inspection", "case_file", "case_finding", "case_step",
         "delegation", "certificate_revocation", "decision")
# The roles whose devices hold the whole commune; an officer's holds its arrondissement.
FULL_SCOPE_ROLES = frozenset({"coordinator", "president", "reviewer", "administrator"})
# An account may change its own password on any device (no user.manage needed).
SELF_SERVICE = {"user": frozenset({"password_hash", "must_change_password"})}


def table_order(tables) -> list[str]:
    known = [t for t in ORDER if t in tables]
    return known + sorted(t for t in tables if t not in ORDER)


# What ``json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)``
# builds on each call, built once (the same encoder, byte for byte: chains already exist).
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def canonical(value) -> str:
    return _CANONICAL.encode(value)


OP_FIELDS = ("op_id", "device_id", "seq", "tbl", "row_id", "kind", "base_version", "old", "new", "hlc",
             "actor", "at", "tx", "prev_hash")


_FIELDS = itemgetter(*OP_FIELDS)
# ``_CANONICAL.encode``'s own C encoder, made once instead of at every call (a large bundle's chain
# check encodes one op at a time): the same text, byte for byte (tests/desktop/domain/test_sync_rules.py).
# No check for circular values: an op's values come from JSON or from a row, never circular.
_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_ENCODE = None if _C_ENCODER is None else _C_ENCODER(
    None, _CANONICAL.default, json.encoder.encode_basestring, None, _CANONICAL.key_separator,
    _CANONICAL.item_separator, True, False, True)


def op_hash(op: dict) -> str:
    """The hash of one op: its content and the previous op's hash (the device's chain)."""
    values = list(_FIELDS(op))
    if _orjson_same(values):  # orjson's bytes are the canonical text's (~4x faster)
        try:
            return hashlib.sha256(orjson.dumps(values, option=orjson.OPT_SORT_KEYS)).hexdigest()
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, a lone surrogate, a key not a text
            pass
    text = _CANONICAL.encode(values) if _ENCODE is None else "".join(_ENCODE(values, 0))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_EXACT = frozenset({str, int, bool, type(None)})


def _orjson_same(values) -> bool:
    """Whether orjson writes ``values`` (a list or dict) as ``canonical`` does, byte for byte:
    only JSON's own types (no subclass, nor anything ``default=str`` writes), and no float that
    ``repr`` writes with an exponent (below 1e-4 or from 1e16: orjson writes 0.00001 for 1e-05)
    nor NaN or an infinity (orjson writes null). What orjson refuses (integers beyond 64 bits, lone
    surrogates, keys not texts) falls back too (``op_hash``). ``tests/desktop/domain/test_op_hash.py``."""
    for v in (values.values() if type(values) is dict else values):
        kind = type(v)
        if kind is float:
            if not (1e-4 <= abs(v) < 1e16 or v == 0.0):
                return False
        elif kind is dict or kind is list:
            if not _orjson_same(v):
                return False
        elif kind not in _EXACT:
            return False
    return True


def verify_chain(ops: list[dict], prev_seq: int, prev_hash: str) -> str | None:
    """None when ``ops`` continue the chain after (prev_seq, prev_hash); else what is wrong."""
    for op in ops:
        if op["seq"] != prev_seq + 1:
            return f"op {op['seq']} follows {prev_seq}"
        if op["prev_hash"] != prev_hash:
            return f"op {op['seq']}: previous-hash link broken"
        if op_hash(op) != op["hash"]:
            return f"op {op['seq']}: content does not match its hash"
        prev_seq, prev_hash = op["seq"], op["hash"]
    return None


def hlc_next(last: str | None, now_ms: int, device_id: str) -> str:
    """The next hybrid logical clock after ``last``: physical milliseconds, then a counter, then
    the device (so that two devices never tie); sorts as text."""
    ms, counter = now_ms, 0
    if last:
        last_ms, last_counter = int(last[:13]), int(last[14:19])
        if last_ms >= now_ms:
            ms, counter = last_ms, last_counter + 1
    return f"{ms:013d}.{counter:05d}.{device_id}"


def hlc_merge(local: str | None, remote: str | None) -> str | None:
    """The later of two clocks (a device that received ``remote`` never stamps before it)."""
    if not local:
        return remote
    if not remote:
        return local
    return max(local, remote)
