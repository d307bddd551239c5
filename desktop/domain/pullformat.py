"""The layout of a pull's rows, shared by the hub that writes it and the device that reads it.

Layout 2: ``body["tables"]`` = ``{table: {"columns": [name, ...], "rows": [[value, ...], ...]}}``,
each table's column names once (the device's columns in their order, then ``hub_seq``) and its
rows as lists, instead of a dictionary per row (layout 1, ``body["rows"]``): half the bytes, and
no key to write, sign, send, parse and look up per value. ``body["layout"]`` names it; a device
refuses a pull of any other layout (``sync.pull_layout``), as it refuses another schema.
"""
from __future__ import annotations

from typing import Any, NamedTuple, Sequence

from desktop.domain.errors import Refusal

PULL_LAYOUT = 2
SEQ = "hub_seq"  # the hub's change number of each row, last of its table's columns


class PulledTable(NamedTuple):
    columns: list[str]  # the row's columns, without hub_seq
    rows: list[list[Any]]  # values in ``columns`` order, then the row's hub_seq

    def seqs(self) -> list[int]:
        return [int(r[-1] or 0) for r in self.rows]

    def values(self) -> list[list[Any]]:
        """The rows without their hub_seq (what the device stores)."""
        return [r[:-1] for r in self.rows]

    def dicts(self) -> list[dict[str, Any]]:
        """Each row as ``{column: value}``, without its hub_seq."""
        return [dict(zip(self.columns, r)) for r in self.rows]


def encode(columns: list[str], rows: Sequence[Sequence[Any]]) -> dict:
    """One table of a pull: ``rows`` hold ``columns``' values and end with their hub_seq."""
    return {"columns": [*columns, SEQ], "rows": rows}


def tables(body: dict) -> dict[str, PulledTable]:
    """The rows of a pull body (its signature already checked), refused unless of this layout."""
    layout = body.get("layout", 1)
    if layout != PULL_LAYOUT:
        raise Refusal("sync.pull_layout", found=str(layout), expected=PULL_LAYOUT)
    out = {}
    for table, data in body.get("tables", {}).items():
        columns = list(data["columns"])
        if not columns or columns[-1] != SEQ or any(len(r) != len(columns) for r in data["rows"]):
            raise Refusal("sync.pull_layout", found=str(layout), expected=PULL_LAYOUT)
        out[table] = PulledTable(columns[:-1], data["rows"])
    return out
