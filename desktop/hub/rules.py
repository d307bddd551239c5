"""One op applied at the hub, by its table's class of data (``desktop.domain.sync.TABLES``),
after re-checking that its user could have made it (role and arrondissement). Nothing is
dropped silently: every outcome other than ``applied`` leaves a row in ``hub_conflict`` that the
device receives in its receipt and the coordinator sees in the Conflits queue."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from psycopg.types.json import Jsonb

from desktop.domain.auth import can
from desktop.domain.ids import utc_now, uuid7
from desktop.domain.sync import AUDIT, FULL_SCOPE_ROLES, SELF_SERVICE, TABLES
from desktop.hub import cases, commands, validate
from desktop.hub.base import HubConn, HubSchema
from desktop.hub.state import BundleRows


@dataclass
class Outcome:
    status: str = "applied"        # applied | duplicate | partial | conflict | refused
    conflicts: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Actor:
    id: str
    role: str
    district_id: str | None
    active: bool

    @property
    def full_scope(self) -> bool:
        return self.role in FULL_SCOPE_ROLES or self.district_id is None


ACTOR_SQL = 'SELECT id, role, district_id, active, deleted_at FROM "user" WHERE id = %s'


def load_actor(conn: HubConn, user_id: str | None) -> Actor | None:
    if not user_id:
        return None
    return actor_of(conn.execute(ACTOR_SQL, (user_id,)).fetchone())


def actor_of(row: dict | None) -> Actor | None:
    """The actor of its ``ACTOR_SQL`` row (None: no such user)."""
    if row is None:
        return None
    return Actor(row["id"], row["role"], row["district_id"], bool(row["active"]) and row["deleted_at"] is None)


def _conflict(op: dict, kind: str, reason: str, column: str | None = None, hub_value=None, **detail) -> dict:
    return {"conflict_id": uuid7(), "op_id": op["op_id"], "tbl": op["tbl"], "row_id": op["row_id"],
            "column": column, "kind": kind, "reason": reason,
            "base_value": op["old"].get(column) if column else detail.get("base"),
            "device_value": op["new"].get(column) if column else detail.get(
                "device", {c: v for c, v in op["new"].items() if c not in AUDIT}),
            "hub_value": hub_value}


def refusal(op: dict, reason: str, **detail) -> Outcome:
    return Outcome("refused", [_conflict(op, "refused", reason, hub_value=detail.get("hub"), **detail)])


@lru_cache(maxsize=None)
def _role_may(table: str, kind: str, role: str) -> bool:
    """Whether ``role`` holds one of the permissions a ``kind`` write to ``table`` needs (the
    rules and the roles' permissions are constants: decided once per table, kind and role)."""
    rule = TABLES[table]
    return any(can(role, p) for p in (rule.insert if kind == "insert" else rule.update))


def _permitted(op: dict, actor: Actor, row: dict | None) -> bool:
    if commands.is_erase(op):  # the retention purge's erasure (Law 09-08)
        return commands.may_erase(actor.role)
    if _role_may(op["tbl"], "insert" if op["kind"] == "insert" else "update", actor.role):
        return True
    own = SELF_SERVICE.get(op["tbl"])  # one's own password, from any device
    data = {c for c in op["new"] if c not in AUDIT}
    return own is not None and op["kind"] == "update" and op["row_id"] == actor.id and data <= own


def check(rows: BundleRows, schema: HubSchema, op: dict, actor: Actor | None,
          device_user: str, row: dict | None) -> Outcome | None:
    """The refusal of an op its user could not have made; None when it may proceed."""
    table = op["tbl"]
    if table not in TABLES or table not in schema.columns:
        return refusal(op, "unknown_table")
    unknown = sorted(op["new"].keys() - schema.columns[table].keys())
    if unknown:
        return refusal(op, "unknown_column", device={"columns": unknown})
    if op["actor"] != device_user:
        return refusal(op, "actor")
    if actor is None or not actor.active:
        return refusal(op, "inactive_user")
    if not _permitted(op, actor, row):
        return refusal(op, "permission")
    if not actor.full_scope:
        merged = {**(row or {}), **op["new"]}
        for values in ([row] if row else []) + [merged]:
            district = rows.scope_of(table, values)
            if district is not None and district != actor.district_id:
                return refusal(op, "scope", hub=district)
        for column, parent in schema.fks.get(table, {}).items():  # nor point at another's rows
            target = op["new"].get(column)
            held = rows.get(parent, target) if target and parent in TABLES and TABLES[parent].scope else None
            if held is not None and held.get("scope_district") not in (None, actor.district_id):
                return refusal(op, "scope", hub=held.get("scope_district"))
    # the commands' rules (erasures, state machines), then the domain rules, as the application applies them
    found = commands.problem(rows, op, actor, row) or validate.problem(rows, schema, op)
    return None if found is None else refusal(op, found[0], device=found[1])


def _cast(kind, value):
    if value is None or kind is None or type(value) is kind or (kind is float and isinstance(value, int)):
        return value
    try:
        return kind(value)
    except (TypeError, ValueError):
        return str(value)


def coerced(schema: HubSchema, op: dict) -> dict:
    """The op with its values in the hub columns' types (SQLite lets a TEXT column hold 5;
    PostgreSQL does not). The op as sent, and its hash, are kept in ``hub_op``."""
    types = schema.casts.get(op["tbl"], {})
    return {**op, "new": _coerce(types, op["new"]), "old": _coerce(types, op["old"]) if op["old"] else {}}


def _coerce(types: dict, values: dict) -> dict:
    """``{c: _cast(types.get(c), v)}``, the values already of their column's type kept as they are."""
    out = dict(values)
    for c, v in values.items():
        kind = types.get(c)
        if v is not None and kind is not None and type(v) is not kind:
            out[c] = _cast(kind, v)
    return out


_BIGINT = range(-2 ** 63, 2 ** 63)


def _holdable(types: dict, values: dict) -> dict:
    """``values`` with nothing where a column cannot hold its value (a text in a number column, an
    integer past 64 bits): a refused op's row is kept for review, its values as sent in ``hub_op``
    and the conflict, and must not make every retry of the device's bundle a database error."""
    def fits(kind, v) -> bool:
        if v is None or kind is None:
            return True
        if kind is int:
            return type(v) is int and v in _BIGINT
        if kind is float:
            return type(v) is float or (type(v) is int and v in _BIGINT)
        return type(v) is kind
    return {c: (v if fits(types.get(c), v) else None) for c, v in values.items()}


def bury(rows: BundleRows, schema: HubSchema, op: dict) -> None:
    """A refused insert kept at the hub as a tombstoned row (for review, and so that the device
    that made it receives it tombstoned: every replica converges, nothing is lost)."""
    table = op["tbl"]
    if op["kind"] != "insert" or table not in TABLES or table not in schema.columns \
            or set(op["new"]) - set(schema.columns[table]):
        return
    if rows.get(table, op["row_id"]) is None:
        values = _holdable(schema.casts.get(table, {}), coerced(schema, op)["new"])
        values["id"] = op["row_id"]  # its own row, whatever id the refused values name
        if table == "complaint":  # it takes no reference from another complaint, nor from another device's series
            values = validate.buried_complaint(rows, op, values)
        rows.insert(table, {**values, "deleted_at": utc_now()})


def apply(rows: BundleRows, schema: HubSchema, op: dict, actor: Actor | None, device_user: str) -> Outcome:
    """Decide one op against the bundle's view of the hub's rows, and write what it may write."""
    table, row_id = op["tbl"], op["row_id"]
    op = coerced(schema, op)
    row = rows.get(table, row_id) if table in schema.columns else None
    refused = check(rows, schema, op, actor, device_user, row)
    if refused is not None:
        rows.touch(table, row_id)  # the device gets the hub's row back
        return refused
    if op["kind"] == "insert":
        outcome = _insert(op, row)
        if outcome.status == "applied":
            rows.insert(table, op["new"])
            if table == "case_file":
                outcome.conflicts += _twin_case(rows, op)
        else:
            rows.touch(table, row_id)
        return outcome
    if row is None:
        return refusal(op, "missing")
    outcome = _change(op, row)
    values = _applied_values(op, row, outcome)
    if values:
        rows.update(table, row_id, values)
    else:
        rows.touch(table, row_id)
    return outcome


def _twin_case(rows: BundleRows, op: dict) -> list[dict]:
    """A case opened offline where the hub has one open on the same site and field: applied (the
    officer's work stands), and flagged for the coordinator to merge or keep (``hub.cases``)."""
    twin = cases.open_twin(rows.conn, {**op["new"], "id": op["row_id"]})
    if twin is None:
        return []
    return [_conflict(op, cases.KIND, "case_duplicate", hub_value={"case_id": twin["id"], "opened_on": twin["opened_on"]},
                      device={"case_id": op["row_id"], "opened_on": op["new"].get("opened_on")})]


def _insert(op: dict, row: dict | None) -> Outcome:
    if row is None:
        return Outcome()
    values = op["new"]
    if all(row.get(c) == v for c, v in values.items()):
        return Outcome("duplicate")
    return Outcome("conflict", [_conflict(op, "clash", "exists", hub_value={c: row.get(c) for c in values})])


def _data_columns(op: dict) -> list[str]:
    return [c for c in op["new"] if c not in AUDIT]


def _change(op: dict, row: dict) -> Outcome:
    """Decide an update or tombstone against the hub's row (locked)."""
    cls = "command" if commands.is_erase(op) else TABLES[op["tbl"]].cls  # an erasure: a command
    if row.get("deleted_at") is not None:
        return Outcome("conflict", [_conflict(op, "tombstone", "tombstoned", hub_value=row["deleted_at"])])
    if cls in ("fact", "command") and row["version"] != op["base_version"]:
        if cls == "command":
            return refusal(op, "stale_state", base=op["base_version"],
                            hub={"version": row["version"], **{c: row.get(c) for c in _data_columns(op)}})
        return Outcome("conflict", [_conflict(op, "amendment", "amendment_stale", c, row.get(c))
                                    for c in _data_columns(op) or ["deleted_at"]])
    if cls in ("fact", "command") or op["kind"] == "tombstone":
        return Outcome()
    # register: column by column from the op's old values
    clashes = [_conflict(op, "clash", "clash", c, row.get(c)) for c in _data_columns(op)
               if not _same(row.get(c), op["old"].get(c)) and not _same(row.get(c), op["new"][c])]
    if not clashes:
        return Outcome()
    return Outcome("partial" if len(clashes) < len(_data_columns(op)) else "conflict", clashes)


def _same(a, b) -> bool:
    return a == b or (a is None and b is None)


def _applied_values(op: dict, row: dict, outcome: Outcome) -> dict:
    """The columns an op writes into the hub's row, given its outcome."""
    if outcome.status not in ("applied", "partial"):
        return {}
    if outcome.status == "applied" and (TABLES[op["tbl"]].cls != "register" or commands.is_erase(op)):
        return {c: v for c, v in op["new"].items()}
    clashed = {c["column"] for c in outcome.conflicts}
    values = {c: op["new"][c] for c in _data_columns(op)
              if c not in clashed and not _same(row.get(c), op["new"][c])}
    if op["kind"] == "tombstone":
        values["deleted_at"] = op["new"].get("deleted_at")
    if not values:
        return {}
    values.update(updated_at=op["new"].get("updated_at", utc_now()), updated_by=op["actor"],
                  version=row["version"] + 1)
    return values


def record(conn: HubConn, device_id: str, outcomes: list[Outcome]) -> None:
    """The conflicts and refusals of a bundle's ops, in one round trip."""
    now = utc_now()
    rows = [(c["conflict_id"], c["op_id"], device_id, c["tbl"], c["row_id"], c["column"], c["kind"], c["reason"],
             Jsonb(c["base_value"]), Jsonb(c["device_value"]), Jsonb(c["hub_value"]), now)
            for outcome in outcomes for c in outcome.conflicts]
    if rows:
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO hub_conflict (conflict_id, op_id, device_id, tbl, row_id, column_name, kind,"
                            " reason, base_value, device_value, hub_value, created_at)"
                            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", rows)
