"""Data shipped with the application: fonts, the legal catalogue, translations, district layers.

The installed application reads these files from here, never from the development tree's
``../shared`` folder.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    """Absolute path of a shipped resource file."""
    return ROOT.joinpath(*parts)
