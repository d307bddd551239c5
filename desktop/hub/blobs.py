"""Photos and signed PDFs at the hub, by content hash (have/want): a blob is stored once, checked
against its SHA-256 on arrival, never rewritten."""
from __future__ import annotations

import re
from typing import Any, Iterable

from desktop.domain.errors import Refusal

SCHEMA = """
CREATE TABLE IF NOT EXISTS hub_blob (
    sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'), data bytea NOT NULL, size bigint NOT NULL,
    device_id text NOT NULL, stored_at timestamptz NOT NULL DEFAULT now());
"""
_SHA = re.compile(r"^[0-9a-f]{64}$")


def ensure_schema(conn: Any) -> None:
    conn.execute(SCHEMA)


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


def put(conn: Any, sha256: str, data: bytes, device_id: str) -> None:
    """Store a blob (its hash already checked by the caller); a second copy changes nothing."""
    _checked([sha256])
    conn.execute("INSERT INTO hub_blob (sha256, data, size, device_id) VALUES (%s, %s, %s, %s)"
                 " ON CONFLICT (sha256) DO NOTHING", (sha256, data, len(data), device_id))


def get(conn: Any, sha256: str) -> bytes | None:
    _checked([sha256])
    row = conn.execute("SELECT data FROM hub_blob WHERE sha256 = %s", (sha256,)).fetchone()
    return bytes(row[0]) if row else None
