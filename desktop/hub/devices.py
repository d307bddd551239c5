"""Devices at the hub: enrolled by a user's login (their own key), revoked when lost or stolen."""
from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import psycopg

from desktop.domain.auth import DUMMY_HASH, verify_password
from desktop.domain import bundle
from desktop.domain.complaints import device_code
from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now, uuid7
from desktop.domain.sync import FULL_SCOPE_ROLES, GENESIS
from desktop.hub.base import connect, journal_append, lock_writer, meta, schema


def _district_id(conn, district: str) -> str:
    row = conn.execute("SELECT id FROM district WHERE deleted_at IS NULL AND (id = %s OR code = %s OR name_fr = %s"
                       " OR name_ar = %s) LIMIT 1", (district,) * 4).fetchone()
    if row is None:
        raise Refusal("sync.unknown_district", district=district)
    return row["id"]


# Enrolment by password, tried online: after this many failures for one username within the window,
# even the right password is refused until the window has passed (no guessing at network speed).
ENROL_FAILURES, ENROL_WINDOW_MINUTES = 10, 15
_FAILURES = """CREATE TABLE IF NOT EXISTS hub_enroll_failure (
    username text NOT NULL, at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS hub_enroll_failure_user ON hub_enroll_failure (username, at)"""


def _failures_table(conn) -> None:
    if conn.execute("SELECT to_regclass('hub_enroll_failure') IS NULL AS missing").fetchone()["missing"]:
        try:
            with conn.transaction():
                conn.execute(_FAILURES)
        except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
            pass  # created meanwhile by a concurrent enrolment


def _recent_failures(conn, username: str) -> int:
    return conn.execute("SELECT count(*) AS n FROM hub_enroll_failure WHERE username = %s"
                        " AND at > now() - make_interval(mins => %s)", (username, ENROL_WINDOW_MINUTES)).fetchone()["n"]


def enroll(pg_url: str, username: str, password: str, device_public_key: str | bytes,
           district: str | None = None) -> dict:
    """Enrol a device for ``username`` (its password checked against the hub's accounts).

    An officer's device holds his arrondissement; the other roles' hold the whole commune, or one
    arrondissement when ``district`` is given (an officer may only name his own)."""
    pem = device_public_key.encode() if isinstance(device_public_key, str) else device_public_key
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise Refusal("sync.bad_device_key")
    with connect(pg_url) as conn:
        _failures_table(conn)
        if _recent_failures(conn, username) >= ENROL_FAILURES:
            raise Refusal("sync.enroll_locked", user=username, minutes=ENROL_WINDOW_MINUTES)
        user = conn.execute('SELECT id, username, role, district_id, password_hash, active FROM "user"'
                            " WHERE username = %s AND deleted_at IS NULL", (username,)).fetchone()
        # an unknown or inactive name costs a wrong password's time (a decoy hash is verified)
        matches = verify_password(password, user["password_hash"] if user is not None and user["active"] else DUMMY_HASH)
        if user is None or not user["active"] or not matches:
            conn.execute("INSERT INTO hub_enroll_failure (username) VALUES (%s)", (username,))  # autocommit
            raise Refusal("sync.enroll_refused", user=username)
        scope = _district_id(conn, district) if district else None
        full = user["role"] in FULL_SCOPE_ROLES or user["district_id"] is None
        if user["role"] == "officer" and user["district_id"]:
            if scope and scope != user["district_id"]:
                raise Refusal("sync.enroll_district", user=username)
            scope = user["district_id"]
        with conn.transaction():
            lock_writer(conn)
            device_id = _new_device_id(conn)
            conn.execute("INSERT INTO hub_device (device_id, user_id, username, role, public_key, scope_district,"
                         " full_scope, enrolled_at, last_hash) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                         (device_id, user["id"], username, user["role"], pem.decode(), scope, full, utc_now(), GENESIS))
            journal_append(conn, "enroll", device_id, {"user": username, "scope_district": scope})
        return {"device_id": device_id, "hub_id": meta(conn, "hub_id"), "hub_public_key": meta(conn, "public_key"),
                "user": {"id": user["id"], "username": username, "role": user["role"],
                         "district_id": user["district_id"]},
                "scope": {"district_id": scope, "full": full and not scope}, "schema": schema(conn).version}


def _new_device_id(conn) -> str:
    """A device id whose complaint series code (``complaints.device_code``) no device enrolled
    before has, revoked ones included (their references stay): each device's series is its own."""
    taken = {device_code(r["device_id"]) for r in conn.execute("SELECT device_id FROM hub_device")}
    while True:
        device_id = uuid7()
        if device_code(device_id) not in taken:
            return device_id


def revoke(pg_url: str, device_id: str, actor: str | None = None) -> None:
    """A lost or stolen device: its key refused from now on (its later bundles quarantined)."""
    with connect(pg_url) as conn, conn.transaction():
        lock_writer(conn)
        done = conn.execute("UPDATE hub_device SET status = 'revoked', revoked_at = %s, revoked_by = %s"
                            " WHERE device_id = %s AND status = 'active'", (utc_now(), actor, device_id)).rowcount
        if not done:
            if conn.execute("SELECT 1 FROM hub_device WHERE device_id = %s", (device_id,)).fetchone() is None:
                raise Refusal("sync.unknown_device", device=device_id)
            return  # already revoked
        journal_append(conn, "revoke", device_id, {"by": actor})


def list_devices(pg_url: str) -> list[dict]:
    """Every device enrolled, with its arrondissement's names and the bundles it sent after its
    revocation (kept in quarantine for review)."""
    with connect(pg_url) as conn:
        return conn.execute(
            "SELECT d.device_id, d.username, d.role, d.scope_district, d.status, d.enrolled_at, d.revoked_at,"
            " d.revoked_by, d.last_seq, d.last_seen, t.name_ar AS district_ar, t.name_fr AS district_fr,"
            " (SELECT count(*) FROM hub_quarantine q WHERE q.device_id = d.device_id) AS quarantined"
            " FROM hub_device d LEFT JOIN district t ON t.id = d.scope_district ORDER BY d.enrolled_at").fetchall()


def quarantined(pg_url: str, device_id: str | None = None) -> list[dict]:
    """The bundles revoked devices sent after their revocation, for review (never applied): who,
    when, whether the device's key signed them, and their ops (table, kind, row, values)."""
    with connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT q.id, q.device_id, d.username, q.received_at, q.reason, q.bundle, d.public_key"
            " FROM hub_quarantine q LEFT JOIN hub_device d ON d.device_id = q.device_id"
            + (" WHERE q.device_id = %s" if device_id else "") + " ORDER BY q.id",
            (device_id,) if device_id else ()).fetchall()
    return [_review(r) for r in rows]


def _review(row: dict) -> dict:
    data = bytes(row["bundle"])
    item = {k: row[k] for k in ("id", "device_id", "username", "received_at", "reason")}
    item.update(size=len(data), signed=False, ops=[])
    try:
        outer, body = bundle.unpack(data)
    except Refusal:
        return {**item, "unreadable": True}
    try:
        bundle.open_sealed((outer, body), row["public_key"] or "", kind="push", schema=int(body.get("schema") or 0))
        item["signed"] = True
    except (Refusal, ValueError):
        pass
    item["ops"] = [{k: op.get(k) for k in ("seq", "tbl", "kind", "row_id", "actor", "hlc", "new")}
                   for op in body.get("ops", []) if isinstance(op, dict)]
    return item
