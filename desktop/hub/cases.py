"""Two devices, offline, each opened a case on the same site for the same field (the application
keeps one open case per site and field): the second case reaches the hub as a duplicate.

Its op is applied (the inspection, its findings and its case are facts and work the officer did;
nothing is refused or lost), and a ``duplicate_case`` conflict goes to the Conflits queue. The
coordinator decides:

- ``hub``: the duplicate is merged into the case the hub already had — its findings join that
  case, its open step is closed with the result ``merged``, the duplicate is closed; refused when
  documents were already drafted or signed on it (they cite its number and steps);
- ``device``: both cases are kept open (the coordinator judged them distinct).
"""
from __future__ import annotations

import json
from datetime import datetime

from desktop.domain.errors import Refusal
from desktop.domain.ids import LOCAL_TZ, utc_now, uuid7
from desktop.hub.base import HubConn, meta

KIND = "duplicate_case"
MERGED = "merged"


def open_twin(conn: HubConn, case: dict) -> dict | None:
    """The hub's open case on the same site and field as ``case`` (a new case's values), if any."""
    return conn.execute("SELECT id, opened_on, created_by FROM case_file WHERE site_id = %s AND field_code = %s"
                        " AND status = 'open' AND deleted_at IS NULL AND id <> %s ORDER BY opened_on, id LIMIT 1",
                        (case.get("site_id"), case.get("field_code"), str(case.get("id")))).fetchone()


def merge(conn: HubConn, conflict: dict, actor: str) -> None:
    """Merge the duplicate case (the conflict's row) into the hub's case (its ``hub_value``), in the
    caller's transaction, every row changed numbered for the devices' next pull."""
    duplicate = conflict["row_id"]
    target = (conflict["hub_value"] or {}).get("case_id")
    if not target:
        raise Refusal("sync.cannot_merge_case", conflict=conflict["conflict_id"])
    if conn.execute("SELECT 1 FROM decision WHERE case_id = %s AND deleted_at IS NULL LIMIT 1",
                    (duplicate,)).fetchone():
        raise Refusal("sync.case_has_documents", conflict=conflict["conflict_id"])
    twin = conn.execute("SELECT status FROM case_file WHERE id = %s AND deleted_at IS NULL", (target,)).fetchone()
    if twin is None or twin["status"] != "open":
        raise Refusal("sync.cannot_merge_case", conflict=conflict["conflict_id"])
    now, today = utc_now(), datetime.now(LOCAL_TZ).date().isoformat()
    audit = {"created_at": now, "created_by": actor, "updated_at": now, "updated_by": actor, "version": 1,
             "device_id": meta(conn, "hub_id")}  # written at the hub, by the coordinator's decision
    linked = {r["finding_id"] for r in conn.execute(
        "SELECT finding_id FROM case_finding WHERE case_id = %s AND deleted_at IS NULL", (target,))}
    for r in conn.execute("SELECT finding_id FROM case_finding WHERE case_id = %s AND deleted_at IS NULL",
                          (duplicate,)).fetchall():
        if r["finding_id"] not in linked:
            row = {"id": uuid7(), "case_id": target, "finding_id": r["finding_id"], **audit}
            _insert(conn, "case_finding", row)
    data = json.dumps({"merged_into": target}, sort_keys=True)
    conn.execute("UPDATE case_step SET status = 'done', done_on = %s, result = %s, data = %s, version = version + 1,"
                 " updated_at = %s, updated_by = %s, hub_seq = nextval('hub_change_seq')"
                 " WHERE case_id = %s AND status = 'open' AND deleted_at IS NULL",
                 (today, MERGED, data, now, actor, duplicate))
    conn.execute("UPDATE case_file SET status = 'closed', closed_on = %s, version = version + 1, updated_at = %s,"
                 " updated_by = %s, hub_seq = nextval('hub_change_seq') WHERE id = %s", (today, now, actor, duplicate))


def _insert(conn: HubConn, table: str, row: dict) -> None:
    """A new row written at the hub, in the hub's arrondissement of its case (its scope)."""
    cols = [c for c in row]
    conn.execute(f"INSERT INTO {table} ({', '.join(cols)}, scope_district, hub_seq) VALUES"
                 f" ({', '.join('%s' for _ in cols)}, (SELECT scope_district FROM case_file WHERE id = %s),"
                 " nextval('hub_change_seq'))", (*row.values(), row["case_id"]))
