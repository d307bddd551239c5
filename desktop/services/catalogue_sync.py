"""A device's catalogue extensions, as the hub hands them with a pull (``desktop/hub/catalogue.py``).

The hub's catalogue is the commune's: an enrolled device holds the same extensions in its
``catalogue.d``, so that the violations it offers are those the hub accepts. The files are
checked against the catalogue schema before anything is written (a broken set is refused with
the pull, ``sync.bad_catalogue``); a local file the hub does not hold is moved aside into
``catalogue.d/replaced/<time>/``, never deleted. The new catalogue applies from the next opening
of the commune (an open window keeps the one it started with)."""
from __future__ import annotations

import os
import re

from desktop.domain.catalogue import CatalogueError, catalogue_from_files, extension_files
from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now
from desktop.services.commune import Commune, catalogue_dir

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.json")


def pulled_files(body: dict) -> list[tuple[str, str]] | None:
    """The pull's extensions, checked (names and content); None when the pull carries none."""
    raw = body.get("catalogue")
    if raw is None:
        return None
    try:
        files = [(str(name), str(text)) for name, text in raw]
        bad = [name for name, _ in files if not _NAME.fullmatch(name)]
        if bad:
            raise CatalogueError(bad[0], "not a catalogue file name")
        catalogue_from_files(files)
    except (CatalogueError, TypeError, ValueError) as exc:
        raise Refusal("sync.bad_catalogue", detail=str(exc)[:300]) from exc
    return files


def install(commune: Commune, files: list[tuple[str, str]]) -> bool:
    """Make ``catalogue.d`` hold exactly ``files``; True when something changed."""
    folder = catalogue_dir(commune.path)
    current = dict(extension_files(folder))
    wanted = dict(files)
    if current == wanted:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    aside = folder / "replaced" / utc_now().replace(":", "")
    for name in sorted(set(current) - set(wanted)):
        aside.mkdir(parents=True, exist_ok=True)
        os.replace(folder / name, aside / name)
    for name, text in files:
        if current.get(name) == text:
            continue
        target = folder / name
        temporary = target.with_name(f".{name}.part")
        temporary.write_bytes(text.encode("utf-8"))
        os.replace(temporary, target)
    commune.loaded_catalogue = None  # read again on next use
    return True


def apply(commune: Commune, body: dict) -> bool:
    files = pulled_files(body)
    return files is not None and install(commune, files)


__all__ = ["apply", "install", "pulled_files"]
