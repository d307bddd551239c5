"""Inspections as parallel arrays: what the map draws, indexes and hit-tests. Pure numpy."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PointSet:
    """Inspections as parallel arrays; ``field``/``outcome`` index into their code lists (-1:
    a code not in the list)."""
    rowid: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    field: np.ndarray
    outcome: np.ndarray
    outside: np.ndarray
    field_codes: list[str]
    outcome_codes: list[str]

    def __len__(self) -> int:
        return len(self.rowid)

    def take(self, order: np.ndarray) -> "PointSet":
        """The points at positions ``order`` (a permutation or a selection), same code lists."""
        return PointSet(self.rowid[order], self.lon[order], self.lat[order], self.field[order],
                        self.outcome[order], self.outside[order], self.field_codes, self.outcome_codes)
