"""Encryption at rest (Law 09-08): the commune's data key, wrapped once per user.

An encrypted commune has one random 256-bit data key. The database (SQLCipher) and the
attachments (AES-GCM) are encrypted with keys derived from it (HKDF). The data key itself is kept
only wrapped: for each active account, under a key derived from that account's password with
Argon2id, in a sidecar file beside the database (``commune.sqlite.keys``, mode 0600), which login
reads before the database can be opened. Adding a user or resetting a password wraps the same
data key once more; nothing is re-encrypted. Disabling an account removes its wrapping.

A process that unwrapped the key remembers it for that database (``remember``), so that the
background readers and writers of an open commune open it like the main connection does.
"""
from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from desktop.store.errors import StoreError
from desktop.store.files import write_atomic

FORMAT = 1
ENGINE = "sqlcipher4"  # SQLCipher 4 defaults: AES-256-CBC, HMAC-SHA512, 4096-byte pages, raw key
# Argon2id cost of the key that wraps the data key: the cost of the application's password hashes.
ARGON2 = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
_AAD = b"commune-police data key v1|"
SQLITE_HEADER = b"SQLite format 3\x00"

_unlocked: dict[str, bytes] = {}
_lock = threading.Lock()


def sidecar(db_path: str | Path) -> Path:
    """Where a database's wrapped keys live: beside it, named after it."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".keys")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def new_data_key() -> bytes:
    return os.urandom(32)


def aesgcm(key: bytes):
    """AES-256-GCM with ``key`` (cryptography is imported on first use: the login paints first)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415 - start-up time
    return AESGCM(key)


def invalid_tag() -> type[Exception]:
    from cryptography.exceptions import InvalidTag  # noqa: PLC0415 - start-up time
    return InvalidTag


def subkey(data_key: bytes, purpose: str) -> bytes:
    """A key for one use (``database``, ``attachments``) derived from the data key."""
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415 - start-up time
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: PLC0415 - start-up time
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"commune-police {purpose}".encode()).derive(data_key)


def sqlcipher_key(data_key: bytes) -> str:
    """The PRAGMA key value: a raw 256-bit key (no passphrase derivation at each opening)."""
    return f"\"x'{subkey(data_key, 'database').hex()}'\""


def _kek(password: str, salt: bytes, params: dict) -> bytes:
    from argon2.low_level import Type, hash_secret_raw  # noqa: PLC0415 - start-up time
    return hash_secret_raw(password.encode("utf-8", "surrogatepass"), salt, time_cost=params["time_cost"],
                           memory_cost=params["memory_cost"], parallelism=params["parallelism"],
                           hash_len=32, type=Type.ID)


def wrap(data_key: bytes, username: str, password: str) -> dict:
    """The data key wrapped under ``password`` for ``username`` (AES-256-GCM, Argon2id key)."""
    salt, nonce = os.urandom(16), os.urandom(12)
    wrapped = aesgcm(_kek(password, salt, ARGON2)).encrypt(nonce, data_key, _AAD + username.encode())
    return {"kdf": {"name": "argon2id", **ARGON2}, "salt": _b64(salt), "nonce": _b64(nonce),
            "wrapped": _b64(wrapped)}


def _unwrap(entry: dict, username: str, password: str) -> bytes | None:
    kek = _kek(password, _unb64(entry["salt"]), entry["kdf"])
    try:
        return aesgcm(kek).decrypt(_unb64(entry["nonce"]), _unb64(entry["wrapped"]), _AAD + username.encode())
    except invalid_tag():
        return None


@dataclass
class KeyFile:
    """The sidecar's content: the engine and one wrapped data key per username."""

    path: Path
    users: dict[str, dict]
    engine: str = ENGINE

    def save(self) -> None:
        body = json.dumps({"format": FORMAT, "engine": self.engine, "users": self.users},
                          indent=1, sort_keys=True)
        write_atomic(self.path, body)  # a temporary file of mkstemp: created 0600
        os.chmod(self.path, 0o600)

    def copy_to(self, db_path: str | Path) -> "KeyFile":
        """The same wrappings beside another file encrypted with the same key (a backup)."""
        copy = KeyFile(sidecar(db_path), dict(self.users), self.engine)
        copy.save()
        return copy


def read_keys(db_path: str | Path) -> KeyFile:
    path = sidecar(db_path)
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError("keys_missing", path=str(db_path), keys=str(path)) from None
    except (OSError, ValueError) as exc:
        raise StoreError("keys_unreadable", str(exc), path=str(db_path), keys=str(path)) from exc
    if not isinstance(body, dict) or body.get("format") != FORMAT or not isinstance(body.get("users"), dict):
        raise StoreError("keys_unreadable", "unknown format", path=str(db_path), keys=str(path))
    return KeyFile(path, body["users"], body.get("engine", ENGINE))


def is_encrypted(db_path: str | Path) -> bool:
    """True for a database written encrypted: its sidecar exists, or its first bytes are not
    SQLite's header (a file of whole pages: an encrypted one whose sidecar is missing)."""
    db_path = Path(db_path)
    if sidecar(db_path).exists():
        return True
    try:
        with db_path.open("rb") as fh:
            head = fh.read(16)
        size = db_path.stat().st_size
    except OSError:
        return False
    return head != SQLITE_HEADER and size >= 1024 and size % 1024 == 0


def _normal(username: str) -> str:
    return username.strip().lower()


# The database's ``meta`` keeps, per account, the digest of its current wrapping, written in the
# same transaction as the password hash: a wrapping just opened with a password whose digest is
# the current one proves that password (users.authenticate then skips a second Argon2id), and a
# wrapping restored from an old key file proves nothing (its digest is not the current one).
META_PREFIX = "key_wrapping."


def entry_digest(entry: dict) -> str:
    import hashlib  # noqa: PLC0415 - start-up time
    return hashlib.sha256(json.dumps(entry, sort_keys=True).encode()).hexdigest()


def unlock(db_path: str | Path, username: str, password: str) -> str:
    """The data key of an encrypted database, unwrapped with this account's password, and
    remembered for this database in this process. Refused (``wrong_password``) when the account
    has no key or the password does not open it; nothing is written either way. Returns the
    proof (``entry_digest`` of the wrapping opened) for ``users.authenticate``."""
    keys = read_keys(db_path)
    name = _normal(username)
    entry = keys.users.get(name)
    if entry is None:
        from desktop.domain.auth import DUMMY_HASH, verify_password  # noqa: PLC0415 - start-up time
        verify_password(password, DUMMY_HASH)  # as long as a wrong password: no name is confirmed
        raise StoreError("wrong_password", path=str(db_path))
    try:
        key = _unwrap(entry, name, password)
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError("keys_unreadable", str(exc), path=str(db_path), keys=str(keys.path)) from exc
    if key is None:
        raise StoreError("wrong_password", path=str(db_path))
    remember(db_path, key)
    return entry_digest(entry)


def _registry_key(db_path: str | Path) -> str:
    return str(Path(db_path).resolve())


def remember(db_path: str | Path, data_key: bytes) -> None:
    with _lock:
        _unlocked[_registry_key(db_path)] = data_key


def forget(db_path: str | Path) -> None:
    with _lock:
        _unlocked.pop(_registry_key(db_path), None)


def remembered(db_path: str | Path) -> bytes | None:
    with _lock:
        return _unlocked.get(_registry_key(db_path))


def create_keys(db_path: str | Path, data_key: bytes, wrappings: dict[str, dict] | None = None) -> KeyFile:
    """A new sidecar for a database about to be encrypted with ``data_key``."""
    keys = KeyFile(sidecar(db_path), dict(wrappings or {}))
    keys.save()
    return keys


def set_wrapping(db_path: str | Path, data_key: bytes, username: str, password: str) -> tuple[dict | None, str]:
    """Wrap the data key for ``username`` under ``password`` (a new account, a new password);
    returns the wrapping it replaced (to put back if the database write fails) and the new
    one's digest (for ``META_PREFIX``)."""
    keys = read_keys(db_path)
    name = _normal(username)
    before = keys.users.get(name)
    keys.users[name] = wrap(data_key, name, password)
    keys.save()
    return before, entry_digest(keys.users[name])


def restore_wrapping(db_path: str | Path, username: str, entry: dict | None) -> None:
    """Put back what ``set_wrapping``/``remove_wrapping`` replaced (its database write failed)."""
    keys = read_keys(db_path)
    name = _normal(username)
    if entry is None:
        keys.users.pop(name, None)
    else:
        keys.users[name] = entry
    keys.save()


def remove_wrapping(db_path: str | Path, username: str) -> dict | None:
    """A disabled account can no longer unwrap the data key."""
    keys = read_keys(db_path)
    before = keys.users.pop(_normal(username), None)
    if before is not None:
        keys.save()
    return before
