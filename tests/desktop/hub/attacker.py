"""The adversary's tools for the ``test_attack_*`` tests: a stolen or hostile device that signs
what it likes with its own (enrolled) key: ops built by hand, chained correctly, sealed."""
from __future__ import annotations

from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from desktop.domain import bundle
from desktop.domain.ids import utc_now, uuid7
from desktop.domain.sync import GENESIS, op_hash
from desktop.services import sync
from desktop.store.migrations import LATEST
from tests.desktop.hub.helpers import device


class Attacker:
    """An enrolled device (its SQLite file) whose owner hand-crafts the bundles it pushes."""

    def __init__(self, tablet: Path, pg_url: str):
        self.tablet, self.pg_url = tablet, pg_url
        with device(tablet) as c:
            state = sync.status(c)
            self.device_id, self.hub_id = state["device_id"], state["hub_id"]
            self.user_id = state["user"]["id"]
        self.key = sync.key_path(tablet).read_bytes()
        with psycopg.connect(pg_url, row_factory=dict_row) as conn:
            row = conn.execute("SELECT last_seq, last_hash, last_bundle_no FROM hub_device WHERE device_id = %s",
                               (self.device_id,)).fetchone()
        self.seq, self.prev, self.bundle_no = row["last_seq"], row["last_hash"] or GENESIS, row["last_bundle_no"]

    def op(self, tbl: str, row_id: str, kind: str, new: dict, *, old: dict | None = None, base_version: int = 0,
           actor: str | None = None, device_id: str | None = None) -> dict:
        """The next op of this device's chain (hash and link right), whatever it says."""
        self.seq += 1
        op = {"op_id": uuid7(), "device_id": device_id or self.device_id, "seq": self.seq, "tbl": tbl,
              "row_id": row_id, "kind": kind, "base_version": base_version, "old": old or {}, "new": new,
              "hlc": f"{1_800_000_000_000:013d}.{self.seq:05d}.{self.device_id}", "actor": actor or self.user_id,
              "at": utc_now(), "tx": uuid7(), "prev_hash": self.prev}
        op["hash"] = op_hash(op)
        self.prev = op["hash"]
        return op

    def bundle(self, ops: list[dict], **extra) -> bytes:
        """The push bundle of ``ops``, signed with the device's key."""
        self.bundle_no += 1
        body = {"kind": "push", "schema": LATEST, "device_id": self.device_id, "hub_id": self.hub_id,
                "bundle_no": self.bundle_no, "cursor": 0, "hlc": None, "ops": ops, "blobs": {}, "at": utc_now(),
                **extra}
        return bundle.seal(body, self.key)


def hub_rows(pg_url: str, sql: str, params: tuple = ()) -> list[dict]:
    with psycopg.connect(pg_url, row_factory=dict_row) as conn:
        return conn.execute(sql, params).fetchall()


def rechain(attacker: Attacker, ops: list[dict]) -> list[dict]:
    """Genuine ops (maybe altered) re-linked into the attacker's chain: new seq, link and hash."""
    out = []
    for op in ops:
        attacker.seq += 1
        op = {**op, "seq": attacker.seq, "prev_hash": attacker.prev}
        op.pop("hash", None)
        op["hash"] = op_hash(op)
        attacker.prev = op["hash"]
        out.append(op)
    return out


def relink(attacker: Attacker, ops: list[dict]) -> list[dict]:
    """``ops`` (edited after they were made: the chain's last ones) re-linked from the first's place."""
    attacker.seq, attacker.prev = ops[0]["seq"] - 1, ops[0]["prev_hash"]
    return rechain(attacker, ops)
