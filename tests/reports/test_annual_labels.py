"""Map labels in the report: none covers another (review finding 17: district labels overlapped)."""
from hypothesis import given, settings, strategies as st

from reports.annual import label_boxes


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_labels_at_the_same_place_are_moved_apart():
    boxes = label_boxes([((100, 100), 60), ((100, 100), 60), ((104, 102), 80)], 9.5)
    assert boxes[0] == (70, 98, 130, 107.5)  # the first (largest district) stays at its anchor
    assert not any(overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.tuples(st.floats(0, 120), st.floats(0, 120)), st.floats(20, 90)), max_size=6))
def test_a_few_districts_never_get_overlapping_labels(labels):
    """Up to six labels within a small square (the density of Casablanca's centre) always find
    free places among their 13 candidates each."""
    boxes = label_boxes(labels, 9.5)
    assert len(boxes) == len(labels)
    assert not any(overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
