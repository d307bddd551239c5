"""``commune-police encrypt``: encrypt a clear commune database and its attachments in place."""
from __future__ import annotations

from desktop.cli.common import ENV_PASSWORD, EXIT_OK, db_arg, secret
from desktop.i18n import Translator


def register(sub) -> None:
    sp = sub.add_parser("encrypt", help="encrypt a commune database and its attachments at rest (an administrator's"
                        " password, asked or COMMUNE_POLICE_PASSWORD, unwraps the key; the other accounts get"
                        " theirs when the administrator sets their password)")
    db_arg(sp)
    sp.add_argument("--admin", default="admin")
    sp.set_defaults(run=encrypt)


def encrypt(args, tr: Translator) -> int:
    from desktop.services.encryption import encrypt_commune
    unlocked_by = getattr(args, "unlocked_by", None)
    password = unlocked_by[1] if unlocked_by else secret(ENV_PASSWORD, f"{args.admin} — {tr('ui.password')}: ")
    result = encrypt_commune(args.db, args.admin, password)
    print(tr("cli.encrypted" if result.converted else "cli.already_encrypted", path=str(result.path),
             attachments=result.attachments))
    if result.need_password:
        print(tr("cli.encrypt_need_password", admin=args.admin))
        for username in result.need_password:
            print(f"  {username}")
    if result.clear_copies:
        print(tr("cli.encrypt_clear_copies"))
        for path in result.clear_copies:
            print(f"  {path}")
    return EXIT_OK
