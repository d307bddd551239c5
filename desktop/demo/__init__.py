"""A demo Casablanca commune: districts, officers, sites, inspections, cases, signed decisions,
complaints and programmes, built fast and reproducibly from a seed."""
from desktop.demo.builder import DemoSummary, build_demo

__all__ = ["DemoSummary", "build_demo"]
