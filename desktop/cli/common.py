"""What the command-line verbs share: the exit codes, the ``--db`` option, opening a commune
and logging in."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date
from pathlib import Path

from desktop.domain.errors import Refusal
from desktop.i18n import Translator
from desktop.services.commune import Commune, open_commune
from desktop.services.first_start import app_version

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2

# Environment variables the commands read (for scripts; each one is otherwise asked).
ENV_PASSWORD = "COMMUNE_POLICE_PASSWORD"              # the acting account's password
ENV_NEW_PASSWORD = "COMMUNE_POLICE_NEW_PASSWORD"      # an account's new password (user add/password)
ENV_ADMIN_PASSWORD = "COMMUNE_POLICE_ADMIN_PASSWORD"  # the first administrator's (init)
ENV_PKCS12_PASSWORD = "COMMUNE_POLICE_PKCS12_PASSWORD"  # the signing certificate's


def db_arg(sp: argparse.ArgumentParser, required: bool = True) -> None:
    sp.add_argument("--db", type=Path, required=required, default=argparse.SUPPRESS,
                    help="commune database")


def secret(env: str, prompt: str) -> str:
    """A secret from the environment, else asked without echo."""
    return os.environ.get(env) or getpass.getpass(prompt)


def login(commune: Commune, username: str, tr: Translator) -> bool:
    """Act as ``username`` after its password (asked, or COMMUNE_POLICE_PASSWORD); False when refused."""
    password = secret(ENV_PASSWORD, f"{username} — {tr('ui.password')}: ")
    if commune.login(username, password) is None:
        print(tr("ui.login_failed"), file=sys.stderr)
        return False
    return True


def open_as(args, username: str, tr: Translator) -> Commune | None:
    """Open the commune read-write and log in; None (the commune closed) when the login fails."""
    commune = open_commune(args.db)
    if not login(commune, username, tr):
        commune.close()
        return None
    return commune


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
