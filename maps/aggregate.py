"""Counts of inspections and violations per district, field, outcome and period, with rates per
1,000 inhabitants. Takes partial counts (as a database GROUP BY returns them) and rolls them up."""
from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd

DIMENSIONS = ("district", "field", "outcome", "period")
MEASURES = ("inspections", "violations")


def aggregate(counts: pd.DataFrame, by: Sequence[str],
              population: Mapping[str, int | None] | None = None) -> pd.DataFrame:
    """Sum ``counts`` (columns DIMENSIONS + MEASURES) over ``by``; with ``by`` containing
    "district" and a population per district, add ``*_per_1000`` columns (NaN where unknown)."""
    unknown = set(by) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"cannot aggregate by {sorted(unknown)}; choose among {DIMENSIONS}")
    if counts.empty:
        out = pd.DataFrame(columns=[*by, *MEASURES])
    else:
        out = counts.groupby(list(by), dropna=False)[list(MEASURES)].sum().reset_index()
    if "district" in by and population is not None:
        pop = out["district"].map(lambda d: population.get(d)).astype("float64")
        pop = pop.where(pop > 0)
        for m in MEASURES:
            out[f"{m}_per_1000"] = out[m] / pop * 1000
    return out


def period_of(timestamp: str, granularity: str = "month") -> str:
    """'2026-03' (month), '2026-Q1' (quarter) or '2026' (year) from a stored UTC time."""
    if granularity == "month":
        return timestamp[:7]
    if granularity == "quarter":
        return f"{timestamp[:4]}-Q{(int(timestamp[5:7]) - 1) // 3 + 1}"
    if granularity == "year":
        return timestamp[:4]
    raise ValueError(f"unknown period granularity {granularity!r}")
