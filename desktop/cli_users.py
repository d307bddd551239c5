"""``commune-police user list|add|password``: accounts, managed by an administrator."""
from __future__ import annotations

import getpass
import os
import sys

from desktop.cli_common import login
from desktop.i18n import Translator

EXIT_OK, EXIT_ERROR = 0, 2


def user_command(args, tr: Translator) -> int:
    from desktop.domain.auth import hash_password
    from desktop.store.db import open_store
    from desktop.store.users import create_user, list_users
    if args.user_command == "list":
        with open_store(args.db, readonly=True) as store:
            for u in list_users(store):
                print(f"{u.username:16} {tr.enum('role', u.role):40} {u.full_name_fr}")
        return EXIT_OK
    with open_store(args.db) as store:
        admin = login(store, args.admin, tr)
        if admin is None:
            return EXIT_ERROR
        password = os.environ.get("COMMUNE_POLICE_NEW_PASSWORD") or getpass.getpass(f"{args.username} — {tr('ui.password')}: ")
        if len(password) < 8:
            print("password: 8 characters at least", file=sys.stderr)
            return EXIT_ERROR
        if args.user_command == "add":
            district = None
            if args.district:
                district = store.scalar("SELECT id FROM district WHERE name_fr = ? OR code = ?", (args.district, args.district))
                if district is None:
                    print(f"--district: unknown arrondissement {args.district!r}", file=sys.stderr)
                    return EXIT_ERROR
            user = create_user(store, admin, args.username, password, args.role, full_name_ar=args.name_ar,
                               full_name_fr=args.name_fr, district_id=district)
            print(user.id)
            return EXIT_OK
        from desktop.domain.auth import require
        require(admin.role, "user.manage")
        target = store.scalar("SELECT id FROM [user] WHERE username = ?", (args.username.lower(),))
        if target is None:
            print(f"unknown account {args.username!r}", file=sys.stderr)
            return EXIT_ERROR
        with store.transaction(admin.id) as tx:
            tx.update("user", target, {"password_hash": hash_password(password)})
    print("OK")
    return EXIT_OK
