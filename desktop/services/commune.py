"""``open_commune(path) -> Commune``: one open commune database and what goes with it."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from desktop.domain.errors import Refusal
from desktop.store import keys
from desktop.store.commune import CommuneInfo, get_commune
from desktop.store.db import Store, open_store
from desktop.store.users import User, authenticate

if TYPE_CHECKING:
    from desktop.domain.catalogue import Catalogue


def catalogue_dir(db_path: Path) -> Path:
    """A commune's catalogue extensions: ``catalogue.d`` beside its database."""
    return Path(db_path).parent / "catalogue.d"


@dataclass
class Commune:
    """An open commune: its store, its catalogue (with extensions) and the acting user.

    Pass this one object to use cases instead of ``(store, user, catalogue, ...)`` chains.
    Background threads read through ``reader()``, a read-only connection of their own. The
    catalogue is read on first use (the login window does not need it); a broken extension
    raises its CatalogueError then.
    """

    path: Path
    store: Store
    loaded_catalogue: "Catalogue | None" = None  # given by callers that already hold it (the demo, tests)
    user: User | None = None

    @property
    def catalogue(self) -> "Catalogue":
        if self.loaded_catalogue is None:
            from desktop.domain.catalogue import load_catalogue  # noqa: PLC0415 - not needed to paint the login
            self.loaded_catalogue = load_catalogue(catalogue_dir(self.path))
        return self.loaded_catalogue

    @property
    def info(self) -> CommuneInfo | None:
        """The commune's record (names, president), as it is now; None before ``init`` wrote it."""
        return get_commune(self.store)

    @property
    def actor(self) -> User:
        """The logged-in user; a use case that writes refuses without one."""
        if self.user is None:
            raise Refusal("not_logged_in")
        return self.user

    def login(self, username: str, password: str, proof: str | None = None) -> User | None:
        """Authenticate and act as this user from now on; None (and no change) when refused.
        ``proof``: what ``unlock`` returned for this same username and password."""
        user = authenticate(self.store, username, password, proof)
        if user is not None:
            self.user = user
        return user

    @contextmanager
    def reader(self) -> Iterator[Store]:
        """A read-only store on the same file, for work off the GUI thread."""
        store = open_store(self.path, readonly=True)
        try:
            yield store
        finally:
            store.close()

    @contextmanager
    def writer(self) -> Iterator[Store]:
        """A read-write store on the same file, for a long write off the GUI thread; its commits
        are told to this commune's listeners like the main store's."""
        store = open_store(self.path)
        store.share_listeners(self.store)
        try:
            yield store
        finally:
            store.close()

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Commune":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_commune(path: str | Path, *, readonly: bool = False, create: bool = False) -> Commune:
    """Open a commune database (its catalogue, with the commune's extension, is read on first use);
    every failure is the user's StoreError. An encrypted one opens once ``unlock`` has been given
    a password in this process (else StoreError ``encrypted_locked``)."""
    path = Path(path)
    return Commune(path, open_store(path, readonly=readonly, create=create))


def needs_password(path: str | Path) -> bool:
    """True when the database is encrypted and this process does not hold its key yet: the
    login must ``unlock`` it before anything can be read (names, demo accounts)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            clear = fh.read(16) == keys.SQLITE_HEADER
    except OSError:
        return False  # opening it says what is wrong
    return not clear and keys.is_encrypted(path) and keys.remembered(path) is None


def unlock(path: str | Path, username: str, password: str) -> str | None:
    """Unwrap an encrypted commune's data key with this account's password (kept for this
    process: the main store, background readers and writers all open with it). A wrong password
    or an account without a key is refused (StoreError ``wrong_password``) and changes nothing;
    a clear database needs nothing. Returns the proof for ``Commune.login`` (None: no key opened)."""
    if needs_password(path):
        return keys.unlock(path, username, password)
    return None


def unlock_and_login(path: str | Path, username: str, password: str) -> Commune:
    """The commune opened read-write with ``username`` logged in (the CLI's and the login
    window's path on an encrypted commune); a refused login is ``ui.login_failed``."""
    proof = unlock(path, username, password)
    commune = open_commune(path)
    if commune.login(username, password, proof) is None:
        commune.close()
        raise Refusal("ui.login_failed")
    return commune
