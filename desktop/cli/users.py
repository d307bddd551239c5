"""``commune-police user list|add|password|disable|enable``: accounts, managed by an administrator."""
from __future__ import annotations

from pathlib import Path

from desktop.cli.common import ENV_NEW_PASSWORD, ENV_PKCS12_PASSWORD, EXIT_OK, acting_as, db_arg, secret
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
    uw = usub.add_parser("passwd", help="change your own password (asked, or COMMUNE_POLICE_PASSWORD for the"
                         " current one and COMMUNE_POLICE_NEW_PASSWORD for the new one)")
    db_arg(uw)
    uw.add_argument("--user", required=True, help="your account")
    uw.set_defaults(run=change_password)
    uc = usub.add_parser("certificate", help="register an account's signing certificate (the president's password"
                         " is asked; a .p12 needs COMMUNE_POLICE_PKCS12_PASSWORD or is asked)")
    db_arg(uc)
    uc.add_argument("username")
    uc.add_argument("--cert", type=Path, required=True, help="PEM, DER or PKCS#12 (.p12)")
    uc.add_argument("--user", default="president")
    uc.set_defaults(run=bind_account_certificate)
    ur = usub.add_parser("role", help="change an account's role and arrondissement (journaled; the last"
                         " administrator keeps that role)")
    db_arg(ur)
    ur.add_argument("username")
    ur.add_argument("role", choices=ROLES)
    ur.add_argument("--district", help="its arrondissement (French name or HCP code); none if left out")
    ur.add_argument("--admin", default="admin")
    ur.set_defaults(run=set_account_role)
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
        encrypted = commune.store.key is not None
    print(tr("cli.done"))
    if args.active and encrypted:  # his wrapped key went when he was disabled
        print(tr("cli.enable_needs_password", username=args.username, admin=args.admin))
    return EXIT_OK


def set_account_role(args, tr: Translator) -> int:
    from desktop.services.accounts import set_role
    with acting_as(args, args.admin, tr) as commune:
        set_role(commune, args.username, args.role, args.district)
    print(tr("cli.done"))
    return EXIT_OK


def bind_account_certificate(args, tr: Translator) -> int:
    from desktop.services.verification import bind_certificate, load_certificate
    password = None
    if args.cert.suffix.lower() in (".p12", ".pfx"):
        password = secret(ENV_PKCS12_PASSWORD, f"{args.cert.name} — {tr('ui.password')}: ")
    cert = load_certificate(args.cert.read_bytes(), password)
    with acting_as(args, args.user, tr) as commune:
        bind_certificate(commune.store, commune.actor, args.username, cert)
    print(tr("cli.done"))
    return EXIT_OK


def change_password(args, tr: Translator) -> int:
    from desktop.store.users import change_own_password
    with acting_as(args, args.user, tr, changing_password=True) as commune:
        new = secret(ENV_NEW_PASSWORD, f"{args.user} — {tr('ui.password')} (new): ")
        change_own_password(commune.store, commune.actor, new)
    print(tr("cli.done"))
    return EXIT_OK
