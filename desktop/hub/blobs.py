"""Photos and signed PDFs at the hub (``hub_blob``), by content hash (have/want): a blob is stored
once, checked against its SHA-256 on arrival, never rewritten."""
from __future__ import annotations

import re
from typing import Any, Iterable

from desktop.domain.errors import Refusal

_SHA = re.compile(r"^[0-9a-f]{64}$")


def _checked(hashes: Iterable[str]) -> list[str]:
    out = list(dict.fromkeys(hashes))
    bad = [h for h in out if not _SHA.match(h)]
    if bad:
        raise Refusal("net.bad_request")
    return out


def missing(conn: Any, hashes: Iterable[str]) -> list[str]:
    """The hashes the hub does not hold yet, in the order asked."""
    wanted = _checked(hashes)
    if not wanted:
        return []
    have = {r[0] for r in conn.execute("SELECT sha256 FROM hub_blob WHERE sha256 = ANY(%s)", (wanted,))}
    return [h for h in wanted if h not in have]


def put(conn: Any, sha256: str, data: bytes) -> None:
    """Store a blob (its hash already checked by the caller); a second copy changes nothing."""
    _checked([sha256])
    conn.execute("INSERT INTO hub_blob (sha256, size, data) VALUES (%s, %s, %s)"
                 " ON CONFLICT (sha256) DO NOTHING", (sha256, len(data), data))


def get(conn: Any, sha256: str) -> bytes | None:
    _checked([sha256])
    row = conn.execute("SELECT data FROM hub_blob WHERE sha256 = %s", (sha256,)).fetchone()
    return bytes(row[0]) if row else None


def visible(conn: Any, sha256: str, device_id: str) -> bool:
    """Whether the device may fetch this photo or PDF: a station of the whole commune may; a
    tablet only one its replica holds a row of (an attachment of its arrondissement, a shared one,
    or one it made), never another arrondissement's by guessing or learning its hash."""
    row = conn.execute("SELECT full_scope, scope_district FROM hub_device WHERE device_id = %s",
                       (device_id,)).fetchone()
    if row is None:
        return False
    full, district = row
    if full and district is None:
        return True
    return conn.execute("SELECT 1 FROM attachment WHERE sha256 = %s AND (scope_district IS NULL"
                        " OR scope_district = %s OR device_id = %s) LIMIT 1",
                        (sha256, district, device_id)).fetchone() is not None
