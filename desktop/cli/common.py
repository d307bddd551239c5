"""What the command-line verbs share: the exit codes, the ``--db`` option, opening a commune
and logging in."""
from __future__ import annotations

import argparse
import getpass
import os
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

from desktop.domain.errors import Refusal
from desktop.i18n import Translator
from desktop.services.commune import Commune, open_commune
from desktop.services.first_start import app_version

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
EXIT_UNVERIFIED = 3  # a signature intact but checked against no trust anchor

# Environment variables the commands read (for scripts; each one is otherwise asked).
ENV_PASSWORD = "COMMUNE_POLICE_PASSWORD"              # the acting account's password
ENV_NEW_PASSWORD = "COMMUNE_POLICE_NEW_PASSWORD"      # an account's new password (user add/password)
ENV_ADMIN_PASSWORD = "COMMUNE_POLICE_ADMIN_PASSWORD"  # the first administrator's (init)
ENV_PKCS12_PASSWORD = "COMMUNE_POLICE_PKCS12_PASSWORD"  # the signing certificate's
ENV_USER = "COMMUNE_POLICE_USER"  # whose password opens an encrypted commune for a reading command


def db_arg(sp: argparse.ArgumentParser, required: bool = True) -> None:
    sp.add_argument("--db", type=Path, required=required, default=argparse.SUPPRESS,
                    help="commune database")


def secret(env: str, prompt: str) -> str:
    """A secret from the environment, else asked without echo; no input at all (``</dev/null``, a
    script without the variable) is a refusal naming the variable, not a traceback."""
    value = os.environ.get(env)
    if value:
        return value
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise Refusal("secret_missing", variable=env) from None


def unlock_database(args, tr: Translator) -> None:
    """Before a command runs on an encrypted commune (``--db``): its data key unwrapped with a
    user's password — the acting account's (``--user``/``--admin``), else COMMUNE_POLICE_USER or
    asked — and the password kept for ``acting_as`` (asked once). Nothing for a clear database."""
    from desktop.services.commune import needs_password, unlock
    db = getattr(args, "db", None)
    if db is None or not needs_password(db):
        return
    try:
        username = getattr(args, "user", None) or getattr(args, "admin", None) or os.environ.get(ENV_USER) \
            or _only_account(db) or input(f"{tr('ui.username')}: ")
        password = secret(ENV_PASSWORD, f"{username} — {tr('ui.password')}: ")
    except EOFError:  # nobody to ask (a script without COMMUNE_POLICE_USER/PASSWORD)
        from desktop.store.errors import StoreError
        raise StoreError("encrypted_locked", path=str(db)) from None
    args.unlocked_by = (username.strip().lower(), password, unlock(db, username, password))


def _only_account(db) -> str | None:
    """A device's replica opens with one account (its enrolled user): no need to ask whose."""
    from desktop.store import keys
    try:
        wrapped = keys.read_keys(db).users
    except Exception:  # noqa: BLE001 - a missing or bad key file is said by the unlock that follows
        return None
    return next(iter(wrapped)) if len(wrapped) == 1 else None


@contextmanager
def acting_as(args, username: str, tr: Translator, *, changing_password: bool = False) -> Iterator[Commune]:
    """The commune opened read-write with ``username`` logged in after its password (asked, or
    COMMUNE_POLICE_PASSWORD); a refused login is a refusal, and the commune is closed after.
    An account whose password someone else reset acts only to change it (``user passwd``)."""
    from desktop.store.users import password_reset
    with open_commune(args.db) as commune:
        unlocked_by = getattr(args, "unlocked_by", None)
        proof = None
        if unlocked_by and unlocked_by[0] == username.strip().lower():
            _name, password, proof = unlocked_by  # asked once, when the encrypted commune was opened
        else:
            password = secret(ENV_PASSWORD, f"{username} — {tr('ui.password')}: ")
        user = commune.login(username, password, proof)
        if user is None:
            raise Refusal("ui.login_failed")
        reset = password_reset(commune.store, user)
        if reset is not None and not changing_password:
            raise Refusal("password_change_required", by=reset["by"] or "—", at=reset["at"][:16].replace("T", " "))
        yield commune


def iso_date(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option's value, or a refusal naming the option."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Refusal("bad_date", option=option, value=value) from None


class VersionAction(argparse.Action):
    """``--version``: the version is looked up only when asked (reading the installed metadata
    takes a fifth of a second, too much for every start)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="show the version and exit"):  # noqa: A002 - argparse's name
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog} {app_version()}")
        parser.exit()
