"""Accounts: creation, authentication, listing."""
from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from desktop.domain.auth import DUMMY_HASH, ROLES, check_new_password, hash_password, require, verify_password
from desktop.domain.errors import Refusal
from desktop.store import keys
from desktop.store.db import Store, Transaction
from desktop.store.errors import StoreError

log = logging.getLogger("commune_police.store")
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@dataclass(frozen=True)
class User:
    id: str
    username: str
    full_name_ar: str
    full_name_fr: str
    role: str
    district_id: str | None = None

    def name(self, lang: str) -> str:
        return (self.full_name_ar or self.full_name_fr) if lang == "ar" else (self.full_name_fr or self.full_name_ar)


_COLUMNS = "id, username, full_name_ar, full_name_fr, role, district_id"


_KEEP = object()


@contextmanager
def account_write(store: Store, actor_id: str | None, username: str, password=_KEEP) -> Iterator[Transaction]:
    """A transaction that writes an account; in an encrypted commune the account's wrapped data
    key follows it: wrapped under ``password`` (a new account, a new password) or removed (None:
    disabled), its digest recorded in ``meta`` by the same transaction. The key file is written
    first and put back as it was when the transaction fails."""
    if store.key is None or password is _KEEP:
        with store.transaction(actor_id) as tx:
            yield tx
        return
    name = username.strip().lower()
    if password is None:
        before, digest = keys.remove_wrapping(store.path, name), ""
    else:
        before, digest = keys.set_wrapping(store.path, store.key, name, password)
    try:
        with store.transaction(actor_id) as tx:
            yield tx
            tx.set_meta(keys.META_PREFIX + name, digest)
    except BaseException:
        keys.restore_wrapping(store.path, name, before)
        raise


def create_user(store: Store, actor: User | None, username: str, password: str, role: str,
                full_name_ar: str = "", full_name_fr: str = "", district_id: str | None = None,
                password_hash: str | None = None) -> User:
    """Create an account. ``actor`` None is allowed only for the first account of a database."""
    if actor is None:
        if store.scalar("SELECT count(*) FROM [user]"):
            raise StoreError("permission_denied", "an account must be created by an administrator")
    else:
        require(actor.role, "user.manage")
    if role not in ROLES:
        raise Refusal("unknown_role", role=role)
    username = username.strip().lower()
    if not username:
        raise Refusal("username_empty")
    if not USERNAME.fullmatch(username):  # ASCII only: no homoglyph of another account ('аdmin')
        raise Refusal("username_invalid", username=username)
    if store.scalar("SELECT 1 FROM [user] WHERE username = ?", (username,)):
        raise StoreError("username_taken", username=username)
    if password_hash is None:
        check_new_password(password)
    with account_write(store, actor.id if actor else None, username, password or _KEEP) as tx:
        uid = tx.insert("user", {"username": username, "role": role, "full_name_ar": full_name_ar,
                                 "full_name_fr": full_name_fr, "district_id": district_id,
                                 "password_hash": password_hash or hash_password(password)})
    return User(uid, username, full_name_ar, full_name_fr, role, district_id)


def authenticate(store: Store, username: str, password: str, proof: str | None = None) -> User | None:
    """The user if the password matches an active account, else None (never says which failed).

    Failed logins are throttled: after ``FAILURES_BEFORE_DELAY`` failures in a row for one name, each
    further attempt waits (doubling, up to ``MAX_DELAY`` seconds); a writable database journals
    each failure (``login_failed``) and a success after failures."""
    name = username.strip().lower()
    failures = _failures.get(name, 0)
    if failures >= FAILURES_BEFORE_DELAY:
        time.sleep(min(MAX_DELAY, 0.25 * 2 ** (failures - FAILURES_BEFORE_DELAY)))
    rows = store.query(f"SELECT {_COLUMNS}, password_hash FROM [user]"
                       " WHERE username = ? AND active = 1 AND deleted_at IS NULL", (name,))
    if not rows:
        verify_password(password, DUMMY_HASH)  # same cost as a wrong password
        _failed(store, name, None)
        return None
    row = rows[0]
    stored_hash = row.pop("password_hash")
    # ``proof``: this password just opened the account's current wrapped key (keys.unlock), which
    # proves it as well as the hash would; else (an old key file, a clear commune) the hash decides
    proven = bool(proof) and store.meta(keys.META_PREFIX + name) == proof
    if not proven and not verify_password(password, stored_hash):
        _failed(store, name, row["id"])
        return None
    _failures.pop(name, None)
    return User(**row)


FAILURES_BEFORE_DELAY = 3
MAX_DELAY = 8.0
_failures: dict[str, int] = {}  # per process: consecutive failures per username


def _failed(store: Store, name: str, user_id: str | None) -> None:
    _failures[name] = _failures.get(name, 0) + 1
    if store.readonly:
        return
    try:
        with store.transaction(None) as tx:
            tx._journal("login", user_id, "login_failed", {"username": name[:64], "in_a_row": _failures[name]})
    except StoreError:
        log.warning("could not journal a failed login for %s", name[:64])


def set_active(store: Store, actor: User, user_id: str, active: bool) -> None:
    """Disable (a departed officer) or re-enable an account; journaled. One cannot disable oneself."""
    require(actor.role, "user.manage")
    if user_id == actor.id and not active:
        raise Refusal("cannot_disable_self")
    # disabled: his wrapped key goes (he can no longer open an encrypted commune); enabled again,
    # he needs a new password from the administrator to get one
    with account_write(store, actor.id, get_user(store, user_id).username, _KEEP if active else None) as tx:
        tx.update("user", user_id, {"active": 1 if active else 0})


def get_user(store: Store, user_id: str) -> User:
    rows = store.query(f"SELECT {_COLUMNS} FROM [user] WHERE id = ?", (user_id,))
    if not rows:
        raise StoreError("record_missing", f"user {user_id}")
    return User(**rows[0])


def list_users(store: Store, role: str | None = None) -> list[User]:
    sql = f"SELECT {_COLUMNS} FROM [user] WHERE deleted_at IS NULL AND active = 1"
    params: tuple = ()
    if role:
        sql += " AND role = ?"
        params = (role,)
    return [User(**r) for r in store.query(sql + " ORDER BY full_name_fr, username", params)]


def officers(store: Store) -> list[User]:
    """Everyone who can go in the field: officers and coordinators."""
    return [u for u in list_users(store) if u.role in ("officer", "coordinator")]


def find_user(store: Store, username: str) -> User:
    """The account with this username (any state), or a refusal naming it."""
    rows = store.query(f"SELECT {_COLUMNS} FROM [user] WHERE username = ? AND deleted_at IS NULL",
                       (username.strip().lower(),))
    if not rows:
        raise Refusal("unknown_account", username=username)
    return User(**rows[0])


def set_password(store: Store, actor: User, user_id: str, password: str) -> None:
    """An administrator sets an account's password (the rules of ``check_new_password`` apply)."""
    require(actor.role, "user.manage")
    check_new_password(password)
    with account_write(store, actor.id, get_user(store, user_id).username, password) as tx:
        # someone else's password: its holder must change it at the next login (and is told)
        tx.update("user", user_id, {"password_hash": hash_password(password),
                                    "must_change_password": 0 if user_id == actor.id else 1})


def change_own_password(store: Store, user: User, password: str) -> None:
    """The logged-in user's own new password (clears a reset by the administrator)."""
    check_new_password(password)
    with account_write(store, user.id, user.username, password) as tx:
        tx.update("user", user.id, {"password_hash": hash_password(password), "must_change_password": 0})


def password_reset(store: Store, user: User) -> dict | None:
    """``{"by": username, "at": time}`` when someone else set this account's password since its
    holder last changed it (to be shown to the holder, who must change it); else None."""
    if not store.scalar("SELECT must_change_password FROM [user] WHERE id = ?", (user.id,)):
        return None
    row = store.query("SELECT j.at, u.username FROM journal j LEFT JOIN [user] u ON u.id = j.actor"
                      " WHERE j.entity = 'user' AND j.entity_id = ? AND j.changes LIKE '%\"password_hash\"%'"
                      " ORDER BY j.seq DESC LIMIT 1", (user.id,))
    return {"by": row[0]["username"] if row else "", "at": row[0]["at"] if row else ""}


def bind_certificate(store: Store, actor: User, user_id: str, cert_sha256: str) -> None:
    """Register the signing certificate (SHA-256 fingerprint) of an account: only the president,
    who holds signing power, does it; signing then refuses any other certificate for that account."""
    require(actor.role, "delegation.manage")
    with store.transaction(actor.id) as tx:
        tx.update("user", user_id, {"cert_sha256": cert_sha256.lower()})
