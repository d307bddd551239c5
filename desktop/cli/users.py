"""``commune-police user list|add|password|disable|enable``: accounts, managed by an administrator."""
from __future__ import annotations

from desktop.cli.common import ENV_NEW_PASSWORD, EXIT_OK, acting_as, db_arg, secret
from desktop.domain.auth import ROLES
from desktop.i18n import Translator


def register(sub) -> None:
    sp = sub.add_parser("user", help="accounts (an administrator's password is asked)")
    usub = sp.add_subparsers(dest="user_command", required=True)
    ul = usub.add_parser("list")
    db_arg(ul)
    ul.set_defaults(run=list_accounts)
    ua = usub.add_parser("add", help="create an account (its password is asked, or COMMUNE_POLICE_NEW_PASSWORD)")
    db_arg(ua)
    ua.add_argument("username")
    ua.add_argument("--role", required=True, choices=ROLES)
    ua.add_argument("--name-ar", default="")
    ua.add_argument("--name-fr", default="")
    ua.add_argument("--district", help="an officer's arrondissement (French name or HCP code)")
    ua.add_argument("--admin", default="admin")
    ua.set_defaults(run=add_account)
    up = usub.add_parser("password", help="set an account's password")
    db_arg(up)
    up.add_argument("username")
    up.add_argument("--admin", default="admin")
    up.set_defaults(run=set_account_password)
    for verb, active in (("disable", False), ("enable", True)):
        ud = usub.add_parser(verb, help=f"{verb} an account (journaled; a disabled account cannot log in)")
        db_arg(ud)
        ud.add_argument("username")
        ud.add_argument("--admin", default="admin")
        ud.set_defaults(run=set_account_active, active=active)


def list_accounts(args, tr: Translator) -> int:
    from desktop.store.db import open_store
    from desktop.store.users import list_users
    with open_store(args.db, readonly=True) as store:
        for u in list_users(store):
            print(f"{u.username:16} {tr.enum('role', u.role):40} {u.full_name_fr}")
    return EXIT_OK


def _new_password(args, tr: Translator) -> str:
    return secret(ENV_NEW_PASSWORD, f"{args.username} — {tr('ui.password')}: ")


def add_account(args, tr: Translator) -> int:
    from desktop.services.accounts import create_account
    with acting_as(args, args.admin, tr) as commune:
        user = create_account(commune, args.username, _new_password(args, tr), args.role, args.name_ar, args.name_fr,
                              args.district)
    print(user.id)
    return EXIT_OK


def set_account_password(args, tr: Translator) -> int:
    from desktop.services.accounts import set_password
    with acting_as(args, args.admin, tr) as commune:
        set_password(commune, args.username, _new_password(args, tr))
    print(tr("cli.done"))
    return EXIT_OK


def set_account_active(args, tr: Translator) -> int:
    from desktop.services.accounts import set_active
    with acting_as(args, args.admin, tr) as commune:
        set_active(commune, args.username, args.active)
    print(tr("cli.done"))
    return EXIT_OK
