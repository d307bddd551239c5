"""Spatial structures that keep a map of a million points fast at every zoom.

``PointIndex`` buckets points in a regular grid and stores them bucket by bucket (row-major), so
the points of a view are a few contiguous slices, found without looking at the others.
``DensityPyramid`` counts points per category in grids of 20 m, 40 m, 80 m... cells, so a view of
the whole commune is drawn from a few hundred thousand cells instead of a million points.
Pure numpy; the metres are those of maps.projection.
"""
from __future__ import annotations

import math

import numpy as np


class PointIndex:
    def __init__(self, x: np.ndarray, y: np.ndarray, bucket_m: float = 200.0):
        self.bucket_m = bucket_m
        if len(x):
            self.x0, self.y0 = float(x.min()), float(y.min())
            self.cols = int((x.max() - self.x0) // bucket_m) + 1
            self.rows = int((y.max() - self.y0) // bucket_m) + 1
        else:
            self.x0 = self.y0 = 0.0
            self.cols = self.rows = 1
        cell = self._cells(x, y)
        self.order = np.argsort(cell, kind="stable")
        self.starts = np.searchsorted(cell[self.order], np.arange(self.rows * self.cols + 1))

    def _cells(self, x, y) -> np.ndarray:
        ix = np.clip(((x - self.x0) // self.bucket_m).astype(np.int64), 0, self.cols - 1)
        iy = np.clip(((y - self.y0) // self.bucket_m).astype(np.int64), 0, self.rows - 1)
        return iy * self.cols + ix

    def _ranges(self, x0: float, y0: float, x1: float, y1: float):
        b = self.bucket_m
        ix0, ix1 = max(0, int((x0 - self.x0) // b)), min(self.cols - 1, int((x1 - self.x0) // b))
        iy0, iy1 = max(0, int((y0 - self.y0) // b)), min(self.rows - 1, int((y1 - self.y0) // b))
        if ix0 > ix1 or iy0 > iy1:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        rows = np.arange(iy0, iy1 + 1) * self.cols
        return self.starts[rows + ix0], self.starts[rows + ix1 + 1]

    def estimate(self, x0: float, y0: float, x1: float, y1: float) -> int:
        """Points in the buckets touching the box (an upper bound of the points inside)."""
        s, e = self._ranges(x0, y0, x1, y1)
        return int((e - s).sum())

    def candidates(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Positions (in the index's order) of the points in the buckets touching the box."""
        s, e = self._ranges(x0, y0, x1, y1)
        keep = e > s
        if not keep.any():
            return np.empty(0, dtype=np.int64)
        return np.concatenate([np.arange(a, b) for a, b in zip(s[keep], e[keep])])


class DensityPyramid:
    def __init__(self, x: np.ndarray, y: np.ndarray, categories: dict[str, tuple[np.ndarray, int]],
                 base_m: float = 20.0, max_levels: int = 12):
        """``categories``: name → (category per point, number of categories)."""
        self.base_m = base_m
        if len(x):
            self.x0, self.y0 = float(x.min()), float(y.min())
            width, height = float(x.max()) - self.x0, float(y.max()) - self.y0
        else:
            self.x0 = self.y0 = 0.0
            width = height = base_m
        cols = int(width // base_m) + 1
        rows = int(height // base_m) + 1
        ix = np.clip(((x - self.x0) // base_m).astype(np.int64), 0, cols - 1)
        iy = np.clip(((y - self.y0) // base_m).astype(np.int64), 0, rows - 1)
        cell = iy * cols + ix
        self.levels: dict[str, list[np.ndarray]] = {}
        for name, (cat, k) in categories.items():
            base = np.stack([np.bincount(cell[cat == c], minlength=rows * cols).reshape(rows, cols)
                             for c in range(k)]).astype(np.int32)
            pyramid = [base]
            while len(pyramid) < max_levels and max(pyramid[-1].shape[1:]) > 64:
                pyramid.append(_halve(pyramid[-1]))
            self.levels[name] = pyramid
        self._images: dict = {}

    def cell_m(self, level: int) -> float:
        return self.base_m * 2 ** level

    def level_for(self, metres_per_cell: float, name: str) -> int:
        """The finest level whose cells are at least ``metres_per_cell`` wide."""
        wanted = max(0, math.ceil(math.log2(max(metres_per_cell, self.base_m) / self.base_m) - 1e-9))
        return min(wanted, len(self.levels[name]) - 1)

    def rgba(self, name: str, level: int, colors: np.ndarray) -> np.ndarray:
        """North-up RGBA image of a level: each cell in its dominant category's colour, opacity
        growing with the log of its count (cached)."""
        key = (name, level, colors.tobytes())
        if key not in self._images:
            counts = self.levels[name][level]
            total = counts.sum(axis=0)
            image = np.zeros((*total.shape, 4), dtype=np.uint8)
            image[..., :3] = colors[counts.argmax(axis=0)]
            peak = total.max()
            if peak > 0:
                alpha = 70 + 185 * np.log1p(total) / np.log1p(peak)
                image[..., 3] = np.where(total > 0, alpha, 0).astype(np.uint8)
            self._images[key] = np.ascontiguousarray(image[::-1])
        return self._images[key]


def _halve(counts: np.ndarray) -> np.ndarray:
    """Sum 2x2 blocks of a (categories, rows, cols) grid."""
    k, r, c = counts.shape
    padded = np.zeros((k, r + r % 2, c + c % 2), dtype=counts.dtype)
    padded[:, :r, :c] = counts
    return padded.reshape(k, padded.shape[1] // 2, 2, padded.shape[2] // 2, 2).sum(axis=(2, 4))
