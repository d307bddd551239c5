"""``hub check``: the hub's own chain and every device's chain of ops as the hub holds them, and
the devices' complaint series (each device's its own)."""
from __future__ import annotations

from typing import Iterable, Iterator

from desktop.domain import erasure
from desktop.domain.complaints import device_code
from desktop.domain.sync import GENESIS, verify_chain
from desktop.hub.base import connect, verify_journal


def check_hub(pg_url: str) -> tuple[dict, list[str]]:
    """(counts, problems): the hub journal, each device's ops (their hashes and links; an op an
    erasure redacted, by its link and that erasure), and devices sharing a complaint series."""
    with connect(pg_url) as conn:
        problems = verify_journal(conn)
        counts = {"journal": conn.execute("SELECT count(*) AS n FROM hub_journal").fetchone()["n"]}  # type: ignore[index]
        erasures = {r["op_id"]: r for r in conn.execute(  # the applied erasures that redacted ops
            "SELECT op_id, tbl, row_id FROM hub_op WHERE status = 'applied' AND kind = 'update'"
            " AND (op->'old')::jsonb = '{}'::jsonb AND op_id IN"
            " (SELECT op->'redacted'->>'by' FROM hub_op WHERE op->'redacted' IS NOT NULL)")}
        devices = conn.execute("SELECT device_id, last_seq, last_hash FROM hub_device ORDER BY device_id").fetchall()
        counts["devices"], counts["ops"] = len(devices), 0
        for device in devices:
            problem, count, head = _verify(_ops(conn, device["device_id"]), erasures)
            counts["ops"] += count
            if problem:
                problems.append(f"device {device['device_id']}: {problem}")
            elif head != (device["last_seq"], device["last_hash"]):
                problems.append(f"device {device['device_id']}: its chain head does not match its ops")
        problems += _shared_series([d["device_id"] for d in devices])
    return counts, problems


def _shared_series(device_ids: list[str]) -> list[str]:
    """Devices whose complaint series code is another's (enrolled before ``enroll`` drew codes
    apart, odds ~n²/2²¹): both may give a citizen the same reference offline; the hub then refuses
    the later complaint (it is not lost, its officer sees why). Re-enrolling one ends it."""
    by_code: dict[str, list[str]] = {}
    for device_id in device_ids:
        by_code.setdefault(device_code(device_id), []).append(device_id)
    return [f"devices {', '.join(ids)}: one complaint series code ({code}); re-enrol all but one"
            for code, ids in sorted(by_code.items()) if len(ids) > 1]


def _ops(conn, device_id: str) -> Iterator[dict]:
    """A device's ops in their order, read in batches (a tablet's year of work, ~125,000 ops, is
    ~1 GB as Python values all at once)."""
    with conn.transaction(), conn.cursor(name="hub_check_ops") as cur:
        cur.itersize = 2000
        cur.execute("SELECT op FROM hub_op WHERE device_id = %s ORDER BY seq", (device_id,))
        for row in cur:
            yield row["op"]


def _verify(ops: Iterable[dict], erasures: dict[str, dict]) -> tuple[str | None, int, tuple[int, str]]:
    """``verify_chain`` from the genesis, except that an op whose personal values an erasure
    scrubbed (``erasure.REDACTED``) is checked by its link and by that erasure, not by its
    content (its hash is kept as received, so the next op's link still holds). (The first problem
    or None, the ops counted, the chain's head: the last op's seq and hash.)"""
    prev_seq, prev_hash, count, problem = 0, GENESIS, 0, None
    for op in ops:
        count += 1
        if problem:  # (the rest only counted)
            continue
        if erasure.REDACTED in op:
            if op["seq"] != prev_seq + 1 or op["prev_hash"] != prev_hash:
                problem = f"op {op['seq']}: previous-hash link broken"
                continue
            problem = erasure.redaction_problem(op, erasures)
        else:
            problem = verify_chain([op], prev_seq, prev_hash)
        if not problem:
            prev_seq, prev_hash = op["seq"], op["hash"]
    return problem, count, (prev_seq, prev_hash)
