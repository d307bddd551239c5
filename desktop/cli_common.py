"""What the command-line verbs share."""
from __future__ import annotations

import getpass
import os
import sys

from desktop.i18n import Translator


def login(store, username: str, tr: Translator):
    """The account, after its password (asked, or COMMUNE_POLICE_PASSWORD); None when refused."""
    from desktop.store.users import authenticate
    password = os.environ.get("COMMUNE_POLICE_PASSWORD") or getpass.getpass(f"{username} — {tr('ui.password')}: ")
    user = authenticate(store, username, password)
    if user is None:
        print(tr("ui.login_failed"), file=sys.stderr)
    return user
