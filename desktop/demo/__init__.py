"""A demo Casablanca commune: districts, officers, sites, inspections, cases, signed decisions,
complaints and programmes, built fast and reproducibly from a seed."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from desktop.demo.builder import DemoSummary, build_demo

__all__ = ["DemoSummary", "build_demo", "ensure_demo"]


def ensure_demo(path: Path, inspections: int,
                progress: Callable[[int, int], None] | None = None) -> Path:
    """The demo commune at ``path``, built if it is not there yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        build_demo(path, inspections=inspections, progress=progress)
    return path
