"""The point index and the density pyramid, against counts made point by point."""
import numpy as np
import pytest

from maps.grid import DensityPyramid, PointIndex, _halve


def clustered_points(n: int, seed: int):
    """Uniform background plus two dense clusters (a city's shape: most buckets empty or small)."""
    rng = np.random.default_rng(seed)
    k = n // 3
    x = np.concatenate([rng.uniform(-8000, 9000, n - 2 * k), rng.normal(1500, 300, k), rng.normal(-5000, 80, k)])
    y = np.concatenate([rng.uniform(-6000, 7000, n - 2 * k), rng.normal(-800, 300, k), rng.normal(4000, 80, k)])
    return x, y


def test_index_order_is_bucket_by_bucket():
    x, y = clustered_points(20_000, 1)
    index = PointIndex(x, y, bucket_m=250.0)
    assert sorted(index.order.tolist()) == list(range(len(x)))
    cells = index._cells(x[index.order], y[index.order])
    assert (np.diff(cells) >= 0).all()
    assert index.starts[0] == 0 and index.starts[-1] == len(x)


def test_index_queries_match_a_brute_force_count():
    x, y = clustered_points(20_000, 2)
    index = PointIndex(x, y, bucket_m=200.0)
    ox, oy = x[index.order], y[index.order]  # candidates are positions in this order
    rng = np.random.default_rng(3)
    for _ in range(200):
        cx, cy = rng.uniform(-9000, 10000), rng.uniform(-7000, 8000)
        w, h = rng.choice([50.0, 400.0, 3000.0, 20000.0]) * rng.uniform(0.2, 1.0, 2)
        x0, y0, x1, y1 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
        inside = (ox >= x0) & (ox <= x1) & (oy >= y0) & (oy <= y1)
        candidates = index.candidates(x0, y0, x1, y1)
        assert len(np.unique(candidates)) == len(candidates) == index.estimate(x0, y0, x1, y1)
        assert set(np.flatnonzero(inside).tolist()) <= set(candidates.tolist())
        # only the buckets touching the box: no candidate is more than a bucket away from it
        b = index.bucket_m
        assert ((ox[candidates] >= x0 - b) & (ox[candidates] <= x1 + b)
                & (oy[candidates] >= y0 - b) & (oy[candidates] <= y1 + b)).all()


def test_index_edges_and_empty():
    x, y = clustered_points(3000, 4)
    index = PointIndex(x, y)
    assert index.estimate(x.min(), y.min(), x.max(), y.max()) == len(x)
    assert index.candidates(x.max() + 0.01, y.min(), x.max() + 5000, y.max()).size > 0  # the last buckets touch it
    assert index.candidates(x.max() + 201, y.min(), x.max() + 5000, y.max()).size == 0  # beyond every bucket
    assert index.estimate(-1e9, -1e9, -1e8, -1e8) == 0
    empty = PointIndex(np.empty(0), np.empty(0))
    assert empty.estimate(-1, -1, 1, 1) == 0 and empty.candidates(-1, -1, 1, 1).size == 0


def brute_counts(x, y, cat, k, x0, y0, cell, rows, cols):
    counts = np.zeros((k, rows, cols), dtype=np.int64)
    ix = np.floor((x - x0) / cell).astype(int)
    iy = np.floor((y - y0) / cell).astype(int)
    for c, r, q in zip(cat, iy, ix):
        counts[c, r, q] += 1
    return counts


def test_pyramid_levels_match_brute_force_counts():
    x, y = clustered_points(30_000, 5)
    cat = np.random.default_rng(6).integers(0, 3, len(x))
    pyramid = DensityPyramid(x, y, {"c": (cat, 3)}, base_m=20.0)
    levels = pyramid.levels["c"]
    assert len(levels) > 3 and max(levels[-1].shape[1:]) <= 64 < max(levels[-2].shape[1:])
    for level, counts in enumerate(levels):
        assert counts.sum() == len(x) and counts.shape[0] == 3
        assert (counts.sum(axis=(1, 2)) == np.bincount(cat, minlength=3)).all()
        if level in (0, 2, len(levels) - 1):
            expected = brute_counts(x, y, cat, 3, pyramid.x0, pyramid.y0, pyramid.cell_m(level), *counts.shape[1:])
            assert np.array_equal(counts, expected)


def test_pyramid_level_for_a_cell_size():
    x, y = clustered_points(5000, 7)
    pyramid = DensityPyramid(x, y, {"c": (np.zeros(len(x), dtype=int), 1)}, base_m=20.0)
    last = len(pyramid.levels["c"]) - 1
    assert [pyramid.level_for(m, "c") for m in (1.0, 20.0, 20.5, 40.0, 41.0, 80.0)] == [0, 0, 1, 1, 2, 2]
    assert pyramid.level_for(1e7, "c") == last
    for m in (25.0, 70.0, 150.0):
        level = pyramid.level_for(m, "c")
        assert pyramid.cell_m(level) >= m > pyramid.cell_m(level - 1)


def test_pyramid_image_dominant_colour_and_opacity():
    x = np.array([5.0, 5.0, 5.0, 30.0, 30.0, 65.0])
    y = np.array([5.0, 5.0, 5.0, 5.0, 5.0, 45.0])
    cat = np.array([1, 1, 0, 0, 2, 2])
    colors = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], dtype=np.uint8)
    pyramid = DensityPyramid(x, y, {"c": (cat, 3)}, base_m=20.0)
    image = pyramid.rgba("c", 0, colors)
    assert image.shape == (3, 4, 4)  # 60 m x 40 m of 20 m cells; row 0 is the north
    south, north = image[-1], image[0]
    assert south[0].tolist() == [0, 255, 0, 255]   # three points, two green: the peak, opaque
    assert south[1, :3].tolist() == [255, 0, 0]    # a tie goes to the first category
    assert 70 <= south[1, 3] < 255
    assert north[3, :3].tolist() == [0, 0, 255]
    assert north[3, 3] == pytest.approx(70 + 185 * np.log(2) / np.log(4), abs=1)
    assert (image[..., 3] > 0).sum() == 3           # empty cells transparent
    assert pyramid.rgba("c", 0, colors) is image    # cached


def test_halve_sums_blocks_of_odd_grids():
    counts = np.arange(2 * 5 * 3).reshape(2, 5, 3)
    halved = _halve(counts)
    assert halved.shape == (2, 3, 2) and halved.sum() == counts.sum()
    assert halved[1, 0, 0] == counts[1, 0:2, 0:2].sum() and halved[0, 2, 1] == counts[0, 4, 2]
