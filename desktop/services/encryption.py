"""Encryption at rest (Law 09-08), the use cases: converting a clear commune, and encrypted device
replicas. See ``desktop/store/keys.py`` for the key scheme and ``desktop/store/encryption.py``
for the crash-safe copy."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from desktop.domain.auth import require
from desktop.domain.errors import Refusal
from desktop.store import keys
from desktop.store.db import Store, attachments_dir, open_store
from desktop.store.encryption import encrypt_attachments, encrypt_in_place, export_encrypted
from desktop.store.errors import StoreError
from desktop.store.users import authenticate


@dataclass
class EncryptionResult:
    path: Path
    converted: bool                     # False: it was already encrypted (attachments finished)
    attachments: int                    # attachments encrypted by this run
    need_password: list[str] = field(default_factory=list)  # active accounts with no key yet
    clear_copies: list[Path] = field(default_factory=list)  # backups beside it, still in clear


def _clear_copies(db_path: Path) -> list[Path]:
    found = []
    for p in sorted(db_path.parent.glob(f"{db_path.stem}.backup-*{db_path.suffix}")):
        try:
            with p.open("rb") as fh:
                if fh.read(16) == keys.SQLITE_HEADER:
                    found.append(p)
        except OSError:
            continue
    return found


def _accounts_without_key(store: Store) -> list[str]:
    wrapped = set(keys.read_keys(store.path).users)
    rows = store.query("SELECT username FROM [user] WHERE active = 1 AND deleted_at IS NULL ORDER BY username")
    return [r["username"] for r in rows if r["username"] not in wrapped]


def encrypt_commune(db_path: str | Path, username: str, password: str) -> EncryptionResult:
    """Encrypt a clear commune in place (``commune-police encrypt``), by an administrator whose
    password wraps the new data key. The other accounts get theirs when the administrator sets
    their password (listed in the result). Run again after an interruption, it finishes the job."""
    db_path = Path(db_path)
    if keys.remembered(db_path) is None and not _is_clear(db_path):
        keys.unlock(db_path, username, password)
    with open_store(db_path) as store:
        user = authenticate(store, username, password)
        if user is None:
            raise Refusal("ui.login_failed")
        require(user.role, "user.manage")
        converted = store.key is None
    name = username.strip().lower()
    if converted:
        data_key = keys.new_data_key()
        entry = keys.wrap(data_key, name, password)
        encrypt_in_place(db_path, {name: entry}, data_key)
        keys.remember(db_path, data_key)
        with open_store(db_path) as store, store.transaction(user.id) as tx:
            tx.set_meta(keys.META_PREFIX + name, keys.entry_digest(entry))
    with open_store(db_path) as store:
        done = encrypt_attachments(store)
        return EncryptionResult(db_path, converted, done, _accounts_without_key(store), _clear_copies(db_path))


def _is_clear(db_path: Path) -> bool:
    try:
        with db_path.open("rb") as fh:
            return fh.read(16) == keys.SQLITE_HEADER
    except OSError as exc:
        raise StoreError("not_found" if not db_path.exists() else "cannot_open", str(exc), path=str(db_path)) from exc


def create_encrypted_replica(target: str | Path, username: str, password: str, *, source: Store | None = None,
                             data_key: bytes | None = None) -> bytes:
    """An encrypted commune database at ``target`` for a device (enrolment), openable with
    ``username``'s ``password`` (its sidecar holds that one wrapping; more are added like any
    account's). With ``source``, a copy of that commune (clear or encrypted, read as it is now),
    its attachments copied encrypted; without, an empty commune database (schema, device id).
    ``data_key``: the key to encrypt with (default: the source's when it is encrypted, else a new
    one). Returns the data key, also remembered for ``target`` in this process."""
    target = Path(target)
    if target.exists():
        raise StoreError("already_exists", path=str(target))
    data_key = data_key or (source.key if source is not None else None) or keys.new_data_key()
    name = username.strip().lower()
    work = target.with_name(target.name + ".encrypting")
    work.unlink(missing_ok=True)
    entry = keys.wrap(data_key, name, password)
    keys.create_keys(target, data_key, {name: entry})
    try:
        if source is None:
            open_store(target, create=True, key=data_key).close()
        else:
            export_encrypted(source, work, data_key)
            work.replace(target)
    except BaseException:
        keys.sidecar(target).unlink(missing_ok=True)
        work.unlink(missing_ok=True)
        raise
    keys.remember(target, data_key)
    with open_store(target, key=data_key) as replica, replica.transaction(None) as tx:
        tx.set_meta(keys.META_PREFIX + name, keys.entry_digest(entry))
    if source is not None and attachments_dir(source.path).is_dir():
        with open_store(target, key=data_key) as replica:
            for sha_dir in sorted(p for p in attachments_dir(source.path).iterdir() if p.is_dir()):
                for f in sorted(sha_dir.iterdir()):
                    sha = sha_dir.name + f.name
                    try:
                        source.attachments.path_for(sha)
                    except StoreError:
                        continue  # a temporary file, not an attachment
                    replica.attachments.put_bytes(source.attachments.read(sha), "")
    return data_key
