"""Who is calling: the enrolled devices (``hub_device``, written by ``devices.enroll``/``revoke``)
as the HTTP app checks them on every request, and the hub's public description. The checks take
a connection whose rows are tuples."""
from __future__ import annotations

from typing import Any

from desktop.domain.errors import Refusal
from desktop.hub.base import connect
from desktop.services.hubwire import RESOLVERS


def public_key(conn: Any, device_id: str, revoked_too: bool = False) -> bytes:
    """The device's public key (PEM); an unknown device is refused, and a revoked one unless
    ``revoked_too`` (its pushes still reach ``ingest``, which quarantines them for review)."""
    row = conn.execute("SELECT public_key, status FROM hub_device WHERE device_id = %s", (device_id,)).fetchone()
    if row is None:
        raise Refusal("net.unknown_device")
    if row[1] != "active" and not revoked_too:
        raise Refusal("net.device_revoked")
    return str(row[0]).encode()


def signing_user(conn: Any, device_id: str) -> str:
    """The username of the device's user if he may sign (the president, or a delegate whose
    delegation is in force); otherwise no register number is his to take."""
    row = conn.execute("SELECT user_id, username, role FROM hub_device WHERE device_id = %s", (device_id,)).fetchone()
    if row is None:
        raise Refusal("net.unknown_device")
    user_id, username, role = row
    if role == "president":
        return str(username)
    delegated = conn.execute(
        "SELECT 1 FROM delegation WHERE delegate_id = %s AND withdrawn_on IS NULL AND deleted_at IS NULL"
        " AND (valid_to IS NULL OR valid_to >= current_date::text) LIMIT 1", (user_id,)).fetchone()
    if delegated is None:
        raise Refusal("net.not_signer")
    return str(username)


def coordinator(conn: Any, device_id: str) -> str:
    """The user id of the device's user if he resolves conflicts, else a refusal (the hub checks
    the account itself again when it resolves)."""
    row = conn.execute("SELECT user_id, role FROM hub_device WHERE device_id = %s", (device_id,)).fetchone()
    if row is None:
        raise Refusal("net.unknown_device")
    if row[1] not in RESOLVERS:
        raise Refusal("net.not_coordinator")
    return str(row[0])


def hub_status(pg_url: str) -> dict:
    """The hub's id, schema version and commune (no secret): what a device checks before enrolling."""
    with connect(pg_url) as conn:
        rows: dict[str, str] = {r["key"]: r["value"] for r in conn.execute(
            "SELECT key, value FROM hub_meta WHERE key IN ('hub_id', 'commune_name')")}
        schema = conn.execute("SELECT value::json->>'version' AS version FROM hub_meta WHERE key = 'schema'").fetchone()
    return {"hub_id": rows.get("hub_id"), "commune": rows.get("commune_name"),
            "schema": int(schema["version"]) if schema and schema["version"] else None}
