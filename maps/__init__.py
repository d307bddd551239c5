"""Geo engine: district layers, point-in-district, sampling. No Qt, no import of ``desktop``."""
