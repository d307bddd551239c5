"""``hub check``: the hub's own chain and every device's chain of ops as the hub holds them, and
the devices' complaint series (each device's its own)."""
from __future__ import annotations

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
            ops = [r["op"] for r in conn.execute("SELECT op FROM hub_op WHERE device_id = %s ORDER BY seq",
                                                  (device["device_id"],))]
            counts["ops"] += len(ops)
            problem = _verify(ops, erasures)
            head = (ops[-1]["seq"], ops[-1]["hash"]) if ops else (0, GENESIS)
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


def _verify(ops: list[dict], erasures: dict[str, dict]) -> str | None:
    """``verify_chain`` from the genesis, except that an op whose personal values an erasure
    scrubbed (``erasure.REDACTED``) is checked by its link and by that erasure, not by its
    content (its hash is kept as received, so the next op's link still holds)."""
    prev_seq, prev_hash = 0, GENESIS
    for op in ops:
        if erasure.REDACTED in op:
            if op["seq"] != prev_seq + 1 or op["prev_hash"] != prev_hash:
                return f"op {op['seq']}: previous-hash link broken"
            problem = erasure.redaction_problem(op, erasures)
        else:
            problem = verify_chain([op], prev_seq, prev_hash)
        if problem:
            return problem
        prev_seq, prev_hash = op["seq"], op["hash"]
    return None
