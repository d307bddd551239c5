"""``hub check``: the hub's own chain and every device's chain of ops as the hub holds them."""
from __future__ import annotations

from desktop.domain.sync import GENESIS, verify_chain
from desktop.hub.base import connect, verify_journal


def check_hub(pg_url: str) -> tuple[dict, list[str]]:
    """(counts, problems): the hub journal, and each device's ops (their hashes and links)."""
    with connect(pg_url) as conn:
        problems = verify_journal(conn)
        counts = {"journal": conn.execute("SELECT count(*) AS n FROM hub_journal").fetchone()["n"]}  # type: ignore[index]
        devices = conn.execute("SELECT device_id, last_seq, last_hash FROM hub_device ORDER BY device_id").fetchall()
        counts["devices"], counts["ops"] = len(devices), 0
        for device in devices:
            ops = [r["op"] for r in conn.execute("SELECT op FROM hub_op WHERE device_id = %s ORDER BY seq",
                                                  (device["device_id"],))]
            counts["ops"] += len(ops)
            problem = verify_chain(ops, 0, GENESIS)
            head = (ops[-1]["seq"], ops[-1]["hash"]) if ops else (0, GENESIS)
            if problem:
                problems.append(f"device {device['device_id']}: {problem}")
            elif head != (device["last_seq"], device["last_hash"]):
                problems.append(f"device {device['device_id']}: its chain head does not match its ops")
    return counts, problems
