"""The retention purge's erasure (Law 09-08, art. 3.1(e)) as data, shared by the device and the hub:
the values it leaves in a file's personal columns, how an erasure op is recognised, and when an op
whose personal values were scrubbed after the erasure of its row ("redacted") still stands.

An op's hash was computed over its original values; once they are scrubbed, the op keeps its hash
(the next op's link still holds) and carries ``{"redacted": {"columns": [...], "by": erasure op id}}``.
A checker then verifies it by its link and by that mark: an applied erasure of the same row, the
columns within the erasable ones and holding their erased values (a mark put on an op to hide a
change of its values is reported).

An erasure made by another device reaches a device in a pull: the hub lists the applied erasures
of the erasable rows it sends, each with its signature over ``statement`` (the hub's id, the
table, the row, the erasure's op id, the columns it erased), which the device keeps with the
erasure (``sync_erasure``) so that its ``check`` can verify, long after the pull, that each mark
naming that erasure names one the hub made.
"""
from __future__ import annotations

from desktop.domain.sync import AUDIT, canonical

# The values the purge leaves in a file's personal columns (the hub accepts no other erasure).
ERASED = {"site": {"owner_name": "", "owner_id_number": "", "owner_id_kind": "none"},
          "complaint": {"complainant_name": "", "complainant_contact": "", "description": "", "answer_text": "",
                        "location_text": ""}}
REDACTED = "redacted"  # the key a scrubbed op carries: {"columns": [...], "by": erasure op id}


def is_erase(op: dict) -> bool:
    """An update that carries no old value: an erasure (a device's own updates always carry the
    old values of the columns they change)."""
    return op["kind"] == "update" and not op["old"] and any(c not in AUDIT for c in op["new"])


def statement(hub_id: str, tbl: str, row_id: str, op_id: str, columns: list[str]) -> str:
    """The text the hub signs for an erasure it applied, as a device receives it in a pull."""
    return canonical({"kind": "erasure", "hub_id": hub_id, "tbl": tbl, "row_id": row_id, "op_id": op_id,
                      "columns": columns})


def redacted_columns(op: dict) -> list[str]:
    """The erasable columns of ``op`` (old or new) that still hold a value other than the erased one."""
    columns = ERASED.get(op["tbl"], {})
    return sorted({c for part in ("old", "new") for c, v in (op.get(part) or {}).items()
                   if c in columns and v != columns[c]})


def redact(op: dict, by: str) -> dict:
    """``op`` with its erasable columns set to their erased values and marked redacted by ``by``."""
    columns, hit = ERASED[op["tbl"]], redacted_columns(op)
    done = (op.get(REDACTED) or {}).get("columns", [])
    out = {**op, **{part: {c: (columns[c] if c in hit else v) for c, v in (op.get(part) or {}).items()}
                    for part in ("old", "new")}}
    out[REDACTED] = {"columns": sorted(set(done) | set(hit)), "by": by}
    return out


def redaction_problem(op: dict, erasures: dict[str, dict]) -> str | None:
    """Why a redacted op does not stand (None: an applied erasure of the same row redacted only its
    erasable columns, which hold their erased values). ``erasures``: the applied erasures, by op id."""
    mark = op.get(REDACTED) or {}
    by = erasures.get(mark["by"]) if isinstance(mark, dict) and isinstance(mark.get("by"), str) else None
    if by is None or (by["tbl"], by["row_id"]) != (op["tbl"], op["row_id"]):
        return f"op {op['seq']}: redacted without an erasure of its row"
    columns = mark.get("columns")
    erasable = ERASED.get(op["tbl"], {})
    if not isinstance(columns, list) or not set(columns) <= set(erasable):
        return f"op {op['seq']}: redacted beyond the erasable columns"
    if any(c in columns and v != erasable[c] for part in ("old", "new") for c, v in (op.get(part) or {}).items()):
        return f"op {op['seq']}: redacted columns still hold a value"
    return None
