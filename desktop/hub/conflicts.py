"""The Conflits queue at the hub: what a device's op could not do, kept until the coordinator
decides. Meanwhile the hub's value stands."""
from __future__ import annotations

from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now
from desktop.domain.sync import TABLES
from desktop.hub import cases
from desktop.hub.base import connect, journal_append, lock_writer, q
from desktop.hub.rules import load_actor

CHOICES = ("hub", "device")
RESOLVERS = ("coordinator", "administrator")  # who decides the Conflits queue


def list_conflicts(pg_url: str, status: str | None = "open") -> list[dict]:
    """The Conflits queue, each conflict with the user of the device whose op raised it
    (``device_user``: the coordinator sees who sent the value)."""
    with connect(pg_url) as conn:
        sql = ("SELECT c.*, d.username AS device_user FROM hub_conflict c LEFT JOIN hub_device d"
               " ON d.device_id = c.device_id" + (" WHERE c.status = %s" if status else "")
               + " ORDER BY c.created_at, c.conflict_id")
        return conn.execute(sql, (status,) if status else ()).fetchall()


def resolve_conflict(pg_url: str, conflict_id: str, choice: str, actor: str) -> None:
    """Close a conflict: keep the hub's value (``hub``) or write the device's (``device``: only for a
    column clash or a stale amendment, as a new change by ``actor``, a coordinator's or an
    administrator's user id). A case opened twice offline (``desktop.hub.cases``): ``hub`` merges
    the duplicate into the hub's case, ``device`` keeps both."""
    if choice not in CHOICES:
        raise Refusal("sync.bad_choice", choice=choice)
    with connect(pg_url) as conn, conn.transaction():
        who = load_actor(conn, actor)
        if who is None or not who.active or who.role not in RESOLVERS:
            raise Refusal("sync.resolve_not_allowed")
        lock_writer(conn)
        c = conn.execute("SELECT * FROM hub_conflict WHERE conflict_id = %s FOR UPDATE", (conflict_id,)).fetchone()
        if c is None or c["status"] != "open":
            raise Refusal("sync.no_such_conflict", conflict=conflict_id)
        if c["kind"] == cases.KIND:  # a case opened twice offline: merged into the hub's, or both kept
            if choice == "hub":
                cases.merge(conn, c, actor)
        elif choice == "device":
            if not c["column_name"] or c["kind"] not in ("clash", "amendment") or c["tbl"] not in TABLES:
                raise Refusal("sync.cannot_take_device_value", conflict=conflict_id)
            table, column = q(c["tbl"]), q(c["column_name"])
            conn.execute(f"UPDATE {table} SET {column} = %s, version = version + 1, updated_at = %s, updated_by = %s,"
                         " hub_seq = nextval('hub_change_seq') WHERE id = %s",
                         (c["device_value"], utc_now(), actor, c["row_id"]))
        conn.execute("UPDATE hub_conflict SET status = 'resolved', choice = %s, resolved_by = %s, resolved_at = %s"
                     " WHERE conflict_id = %s", (choice, actor, utc_now(), conflict_id))
        journal_append(conn, "resolve", c["device_id"], {"conflict": conflict_id, "choice": choice, "by": actor})
