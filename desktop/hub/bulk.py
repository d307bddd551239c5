"""The bulk path of ``ingest`` for large bundles: a device's transactions that only insert new
facts (inspections, findings, their links) decided together, with no SQL per op.

Every guarantee of the per-op path holds, because the decision *is* the per-op path's: each op goes
through the same ``rules.check`` (table, columns, actor, role, arrondissement, the domain rules of
``validate``), on a view of the hub's rows read in one query per table instead of one per op. What
the bulk path saves is everything around that decision: the ``FOR UPDATE`` read of ids that do not
exist yet, the undo log of each transaction, and the new rows' bookkeeping (written by one ``COPY``
per table and shape, as ``BundleRows.flush`` writes them).

The bulk path takes a device transaction only when it can tell the per-op path's answer for sure:
all its ops inserts of a ``FACTS`` table by the device's own user, whose role may write them, of
rows the hub does not hold and no earlier op of the bundle touched, and every op accepted as it is
(``applied``). Anything else (an update, a re-sent row, a refusal, a conflict, a value no earlier op
can vouch for) goes to the per-op path, in the bundle's order, which then sees the bulk rows as if
it had inserted them itself (``share``). A transaction the per-op path takes is taken with every
later one that depends on it (its rows read as parents, or an earlier per-op op naming a bulk row).
``tests/desktop/hub/test_bulk.py`` holds both paths to the same rows, outcomes and receipts.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable

from desktop.hub import rules, validate
from desktop.hub.base import HubConn, HubSchema, q
from desktop.hub.state import IN_IDS, BundleRows, json_ids

# The tables of facts whose new rows the bulk path decides (append-only rows that only reference
# others; an attachment waits for its blob: per op).
FACTS = frozenset({"inspection", "finding", "complaint_inspection", "case_finding"})
ENABLED = True   # False: every op by the per-op path (the equivalence tests run both)


class _Undecided(Exception):
    """A row the bulk view cannot vouch for at this point of the bundle."""


class _View(BundleRows):
    """The hub's rows as the per-op path would see them at one op of the bundle: the rows the hub
    holds (read once per table), plus the bulk rows of earlier ops; a row an earlier per-op op may
    have changed, or one not read, is not known (``_Undecided``)."""

    def __init__(self, conn: HubConn, schema: HubSchema):  # noqa: D107 - no per-op state: nothing read yet
        self.conn, self.schema = conn, schema
        self.rows: dict[tuple[str, str], dict | None] = {}   # read from the hub
        self.new: dict[tuple[str, str], dict] = {}            # bulk rows, in the bundle's order
        self.changed, self.touched, self._undo = {}, set(), []
        self.blocked: set[tuple[str, str]] = set()            # touched by an earlier per-op op
        self.pending: dict[tuple[str, str], dict] = {}        # rows of the transaction being decided

    def send(self, wanted: dict[str, set[str]]) -> list:
        return self._send(wanted, lock=False)  # BundleRows' read, without locking (the view only decides)

    def receive(self, pending: list) -> None:
        self._receive(pending)

    def get(self, table: str, row_id: str) -> dict | None:
        key = (table, str(row_id))
        if key in self.blocked:
            raise _Undecided(key)
        found = self.pending.get(key) or self.new.get(key)
        if found is not None:
            return found
        if key not in self.rows:
            raise _Undecided(key)
        return self.rows[key]


def _strings(op: dict) -> set[str]:
    """Every text an op names (its row, the values it writes or had): the rows it may read."""
    found = {str(op.get("row_id"))}
    for values in (op.get("new"), op.get("old")):
        if isinstance(values, dict):
            found.update(v for v in values.values() if isinstance(v, str))
    return found


class FactInserts:
    """The bundle's transactions the bulk path decided (all their ops ``applied``), their rows,
    and the ops left to the per-op path (``rest``). Made in two steps: the reads (``__init__``,
    one round trip), then the decisions (``decide``), which read nothing: the connection is
    meanwhile busy with a ``COPY`` (``ingest._early_ops``; a read would wait for its end)."""

    def __init__(self, conn: HubConn, schema: HubSchema, groups: list[list[dict]], device_user: str):
        self.view = _View(conn, schema)
        self.schema, self.groups, self.device_user = schema, groups, device_user
        self.taken: set[int] = set()   # id() of the groups decided here
        self.rest: list[dict] = []
        self.candidates: list[list[dict]] = []   # the groups the bulk path may take (their rows read)
        self.actor: rules.Actor | None = None
        self.held: set[tuple[str, str]] = set()
        if not ENABLED:
            return
        # the actor and the rows the bulk path reads, sent together (one round trip under the
        # lock): the rows for every group of the bulk path's shape, before the actor is known
        # (those its role may not write are then left out; their rows only read)
        shaped = [g for g in groups if self._shaped(g, device_user)]
        with conn.pipeline():
            found = conn.execute(rules.ACTOR_SQL, (device_user,)) if device_user else None
            received = self._prefetch(shaped)
            self.actor = rules.actor_of(found.fetchone()) if found is not None else None
            self.held = received()
        self.candidates = [g for g in shaped if self._may(g, self.actor)]
        if self.candidates:
            validate.ready(self.view)  # the rules' context, read now: deciding reads nothing

    def decide(self) -> None:
        """Take every candidate transaction whose ops are all applied as they are; the rest of the
        bundle goes to the per-op path (``rest``), in its order."""
        if not ENABLED:
            self.rest = [op for g in self.groups for op in g]
            return
        actor, device_user = self.actor, self.device_user
        validate.prime(self.view, [op["new"] for group in self.candidates for op in group
                                   if op["tbl"] == "inspection"])
        eligible = {id(g) for g in self.candidates}
        seen: set[tuple[str, str]] = set()      # rows of every earlier op
        named: set[str] = set()                 # texts named by earlier per-op ops
        for group in self.groups:
            keys = [(op["tbl"], str(op["row_id"])) for op in group]
            if id(group) in eligible and self._decide(group, keys, actor, device_user, self.held, seen, named):
                self.taken.add(id(group))
            else:
                self.rest.extend(group)
                self.view.blocked.update(keys)
                for op in group:
                    named |= _strings(op)
            seen.update(keys)

    @staticmethod
    def _shaped(group: list[dict], device_user: str) -> bool:
        """Whether the group's ops are inserts of new facts by the device's own user."""
        for op in group:
            if op.get("kind") != "insert" or op.get("tbl") not in FACTS or op.get("actor") != device_user \
                    or not isinstance(op.get("new"), dict) or op["new"].get("id") != op.get("row_id") \
                    or not isinstance(op.get("row_id"), str):
                return False
        return True

    @staticmethod
    def _may(group: list[dict], actor: rules.Actor | None) -> bool:
        """Whether ``actor`` (the device's user) may write the group's ops (``_shaped``) at all:
        what the bulk path may decide (constant per table and actor)."""
        if actor is None or not actor.active:
            return False
        return all(rules._role_may(op["tbl"], "insert", actor.role) for op in group)

    def _prefetch(self, candidates: list[list[dict]]) -> Callable[[], set[tuple[str, str]]]:
        """Ask for the candidates' own rows the hub already holds (taken per op), and every row
        they refer to, once per table; the function returned reads the answers (all the
        statements sent first: one round trip in a pipeline) and returns the rows held."""
        own: dict[str, set[str]] = defaultdict(set)
        parents: dict[str, set[str]] = defaultdict(set)
        for group in candidates:
            for op in group:
                if op["tbl"] not in self.schema.columns:
                    continue
                own[op["tbl"]].add(op["row_id"])
                for column, parent in self.schema.fks.get(op["tbl"], {}).items():
                    target = op["new"].get(column)
                    if target and parent in self.schema.columns:
                        parents[parent].add(str(target))
        asked = [(table, ids, self.view.conn.execute(f"SELECT id FROM {q(table)} WHERE id {IN_IDS}", (json_ids(ids),)))
                 for table, ids in own.items()]
        # (a new row named as a parent is asked for too, and not found: the same answer)
        pending = self.view.send(parents)

        def received() -> set[tuple[str, str]]:
            held: set[tuple[str, str]] = set()
            for table, ids, cur in asked:
                held.update((table, r["id"]) for r in cur.fetchall())
                for i in ids:  # the others: rows the hub does not hold (read as such by a later op)
                    if (table, i) not in held:
                        self.view.rows[(table, i)] = None
            self.view.receive(pending)
            return held
        return received

    def _decide(self, group: list[dict], keys: list[tuple[str, str]], actor, device_user: str,
                held: set[tuple[str, str]], seen: set[tuple[str, str]], named: set[str]) -> bool:
        """True when every op of the group is applied as it is (its rows then join the view)."""
        if len(set(keys)) != len(keys) or any(k in held or k in seen or k[1] in named for k in keys):
            return False
        view = self.view
        view.pending = {}
        try:
            for op, key in zip(group, keys):
                op = rules.coerced(self.schema, op)
                if rules.check(view, self.schema, op, actor, device_user, None) is not None:
                    return False
                row = {**op["new"], "scope_district": None}
                row["scope_district"] = view.scope_of(key[0], row)
                view.pending[key] = row
        except Exception:  # noqa: BLE001 - undecided here, or what the per-op path will answer (or raise) itself
            return False
        finally:
            pending, view.pending = view.pending, {}
        view.new.update(pending)
        return True

    # -- what ingest calls ------------------------------------------------------------------------
    def applied(self, group: list[dict]) -> bool:
        return id(group) in self.taken

    def share(self, rows: BundleRows) -> None:
        """The bulk rows, seen by the per-op path's ``rows`` as rows it inserted itself (written by
        ``flush``, not by ``rows.flush``)."""
        rows.rows.update(self.view.new)

    def forget(self, groups: list[list[dict]]) -> None:
        """The bundle stopped before ``groups`` (its refusals' bound): their bulk rows are not
        written (those ops stay pending on the device). No earlier op saw them: a group an earlier
        per-op op named is never taken here."""
        for group in groups:
            if id(group) in self.taken:
                self.taken.discard(id(group))
                for op in group:
                    self.view.new.pop((op["tbl"], str(op["row_id"])), None)

    def flush(self) -> None:
        """Write the bulk rows (before ``rows.flush``: a later op may update or re-send them)."""
        self.view.flush()
