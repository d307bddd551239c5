"""Where the application keeps a commune's data, and what happens at the very first start.

Part of the application layer (no Qt): the GUI's first-start dialog and the command line share
it; ``commune-police init`` creates a commune with ``create_commune`` as the dialog does. The data live
in the user's folders as the platform names them (platformdirs: ``~/.local/share/commune-police``
on Linux, ``%LOCALAPPDATA%\\commune-police`` on Windows), never beside the executable: the
installed program is replaced whole by an update, and its folder may not be writable at all.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from desktop.domain.auth import MIN_PASSWORD_LENGTH
from desktop.store import keys
from desktop.store.commune import add_district
from desktop.store.commune import create_commune as insert_commune
from desktop.store.db import open_store
from desktop.store.errors import StoreError
from desktop.store.users import create_user

APP_NAME = "commune-police"
DISTRIBUTION = "commune-police"
# Set by the installer test and the start-up benchmark: the GUI saves its first window (the
# login, or the first-start dialog) as a PNG at this path once painted, then quits.
SNAPSHOT_ENV = "COMMUNE_POLICE_SNAPSHOT"
# The demo offered at first start: big enough to look like a commune's year, built in seconds.
DEMO_INSPECTIONS = 5_000


def app_version() -> str:
    """The installed version (the distribution's metadata, also shipped in the bundle)."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - a fifth of a second
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # a source tree run without installing
        return "0+unknown"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db() -> Path:
    """The commune database used when none is named (``--db``) or remembered."""
    return data_dir() / "commune.sqlite"


def device_db() -> Path:
    """A device enrolled at the commune's hub from the first start (its replica)."""
    return data_dir() / "appareil.sqlite"


def demo_db() -> Path:
    """The demo commune, in a folder of its own (its certificates and files sit beside it)."""
    return data_dir() / "demo" / "commune-demo.sqlite"


def remembered_db(last_db: str) -> Path | None:
    """The database to open without asking: the last one opened if it is still there, else the
    default one if it exists; None means this is a first start (nothing to open yet)."""
    if last_db and Path(last_db).is_file():
        return Path(last_db)
    if default_db().is_file():
        return default_db()
    return None


def snapshot_request() -> Path | None:
    value = os.environ.get(SNAPSHOT_ENV, "").strip()
    return Path(value) if value else None


@dataclass
class NewCommune:
    name_ar: str
    name_fr: str
    admin: str = "admin"
    password: str = ""
    password_again: str = ""
    casablanca_districts: bool = False
    encrypt: bool = True  # a real commune is encrypted at rest (Law 09-08); ``init --no-encrypt`` opts out


def problems(new: NewCommune, path: Path) -> list[str]:
    """Message keys (resources/i18n) of what prevents creating this commune; empty when fine."""
    found = []
    if not new.name_ar.strip() or not new.name_fr.strip():
        found.append("first.need_names")
    if not re.fullmatch(r"[A-Za-z0-9._-]{2,40}", new.admin):
        found.append("first.bad_admin")
    if len(new.password) < MIN_PASSWORD_LENGTH:
        found.append("first.short_password")
    elif new.password != new.password_again:
        found.append("first.passwords_differ")
    if path.exists():
        found.append("first.exists")
    return found


def create_commune(path: Path, new: NewCommune) -> Path:
    """An empty commune database with its administrator (``commune-police init`` and the
    first-start dialog)."""
    if path.exists():
        raise StoreError("already_exists", path=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = None
    if new.encrypt:  # its data key, wrapped for the administrator as his account is created
        key = keys.new_data_key()
        keys.create_keys(path, key)
        keys.remember(path, key)
    with open_store(path, create=True, key=key) as store:
        admin = create_user(store, None, new.admin, new.password, "administrator")
        with store.transaction(admin.id) as tx:
            insert_commune(tx, name_ar=new.name_ar.strip(), name_fr=new.name_fr.strip())
            if new.casablanca_districts:
                from maps.districts import load_shipped_districts  # noqa: PLC0415 - the geo engine
                for f in load_shipped_districts():
                    add_district(tx, f.code, f.name_ar, f.name_fr, f.population, f.households,
                                 f.area_km2, f.geometry)
    return path
