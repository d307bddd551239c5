"""Who is calling: the enrolled devices (``hub_device``, written by ``devices.enroll``/``revoke``)
as the HTTP app checks them on every request, and the hub's public description. The checks take
a connection whose rows are tuples."""
from __future__ import annotations

from typing import Any

from desktop.domain.errors import Refusal
from desktop.hub.base import connect
from desktop.services.hubwire import RESOLVERS


def public_key(conn: Any, device_id: str, revoked_too: bool = False) -> bytes:
    """The device's public key (PEM); an unknown device is refused, and a revoked one, or one whose
    user's account is deactivated or deleted at the hub, unless ``revoked_too`` (its pushes still
    reach ``ingest``, which quarantines a revoked device's and refuses an inactive user's ops)."""
    row = conn.execute('SELECT d.public_key, d.status, u.active, u.deleted_at FROM hub_device d'
                       ' LEFT JOIN "user" u ON u.id = d.user_id WHERE d.device_id = %s', (device_id,)).fetchone()
    if row is None:
        raise Refusal("net.unknown_device")
    if not revoked_too:
        if row[1] != "active":
            raise Refusal("net.device_revoked")
        if not row[2] or row[3] is not None:  # the officer left: his tablet reads nothing more
            raise Refusal("net.account_inactive")
    return str(row[0]).encode()


def _account(conn: Any, device_id: str) -> tuple[str, str, str]:
    """(user id, username, role) of the device's user as the hub's accounts hold them NOW (not the
    role he had when the device was enrolled: a demoted coordinator or president keeps no power)."""
    row = conn.execute('SELECT u.id, u.username, u.role, u.active, u.deleted_at FROM hub_device d'
                       ' JOIN "user" u ON u.id = d.user_id WHERE d.device_id = %s', (device_id,)).fetchone()
    if row is None:
        raise Refusal("net.unknown_device")
    if not row[3] or row[4] is not None:
        raise Refusal("net.account_inactive")
    return str(row[0]), str(row[1]), str(row[2])


def signing_user(conn: Any, device_id: str) -> str:
    """The username of the device's user if he may sign (the president, or a delegate whose
    delegation is in force today: begun, not ended, not withdrawn); otherwise no register number
    is his to take."""
    user_id, username, role = _account(conn, device_id)
    if role == "president":
        return str(username)
    delegated = conn.execute(
        "SELECT 1 FROM delegation WHERE delegate_id = %s AND withdrawn_on IS NULL AND deleted_at IS NULL"
        " AND valid_from <= current_date::text AND (valid_to IS NULL OR valid_to >= current_date::text) LIMIT 1",
        (user_id,)).fetchone()
    if delegated is None:
        raise Refusal("net.not_signer")
    return str(username)


def coordinator(conn: Any, device_id: str) -> str:
    """The user id of the device's user if he resolves conflicts, else a refusal (the hub checks
    the account itself again when it resolves)."""
    user_id, _, role = _account(conn, device_id)
    if role not in RESOLVERS:
        raise Refusal("net.not_coordinator")
    return user_id


def hub_status(pg_url: str) -> dict:
    """The hub's id, schema version and commune (no secret): what a device checks before enrolling."""
    with connect(pg_url) as conn:
        rows: dict[str, str] = {r["key"]: r["value"] for r in conn.execute(
            "SELECT key, value FROM hub_meta WHERE key IN ('hub_id', 'commune_name')")}
        schema = conn.execute("SELECT value::json->>'version' AS version FROM hub_meta WHERE key = 'schema'").fetchone()
    return {"hub_id": rows.get("hub_id"), "commune": rows.get("commune_name"),
            "schema": int(schema["version"]) if schema and schema["version"] else None}
