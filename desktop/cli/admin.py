"""``commune-police gui | demo | check | init``: the commune database itself."""
from __future__ import annotations

import sys

from desktop.cli.common import (ENV_ADMIN_PASSWORD, EXIT_OK, EXIT_PROBLEMS, db_arg, secret)
from desktop.domain.errors import Refusal
from desktop.i18n import Translator


def register(sub) -> None:
    sp = sub.add_parser("gui", help="start the application (the default)")
    db_arg(sp, required=False)
    sp = sub.add_parser("demo", help="build a demo Casablanca commune")
    db_arg(sp)
    sp.add_argument("--inspections", type=int, default=20_000)
    sp.add_argument("--seed", type=int, default=1)
    sp.set_defaults(run=demo)
    sp = sub.add_parser("check", help="verify a database: integrity, foreign keys, attachments, journal")
    db_arg(sp)
    sp.set_defaults(run=check)
    sp = sub.add_parser("init", help="create an empty commune database with its administrator")
    db_arg(sp)
    sp.add_argument("--commune-ar", required=True)
    sp.add_argument("--commune-fr", required=True)
    sp.add_argument("--admin", default="admin", help="administrator's username")
    sp.add_argument("--casablanca-districts", action="store_true",
                    help="load the 16 arrondissements of Casablanca shipped with the application")
    sp.set_defaults(run=init)


def demo(args, tr: Translator) -> int:
    from desktop.demo import build_demo
    if args.inspections < 0:
        raise Refusal("negative_count")
    args.db.parent.mkdir(parents=True, exist_ok=True)
    tty = sys.stderr.isatty()

    last_tenth = [-1]

    def progress(done: int, total: int) -> None:
        if tty:
            print(f"\r{done:,}/{total:,} ({done * 100 // total}%)", end="", file=sys.stderr, flush=True)
        elif total and done * 10 // total != last_tenth[0]:  # a log or `make`: one line per tenth
            last_tenth[0] = done * 10 // total
            print(f"{done:,}/{total:,} ({done * 100 // total}%)", file=sys.stderr, flush=True)

    summary = build_demo(args.db, inspections=args.inspections, seed=args.seed, progress=progress)
    if tty:
        print(file=sys.stderr)
    rate = summary.inspections / summary.seconds if summary.seconds else 0
    print(f"{tr('cli.demo_built')}: {summary.path}")
    print(f"  {summary.inspections:,} inspections, {summary.sites:,} sites, {summary.officers} agents,"
          f" {summary.seconds:.1f} s ({rate:,.0f} inspections/s)")
    print(f"{tr('cli.demo_accounts')}:")
    for username, password, role in summary.accounts:
        print(f"  {username:14} {password:16} {tr.enum('role', role)}")
    e = summary.enforcement or {}
    if e:
        print(f"  {e['cases']:,} cases, {e['steps']:,} ladder steps, {e['signed']} signed decisions, {e['drafts']} drafts,"
              f" {e['complaints']:,} complaints, {e['programmes']} weekly programmes")
        print(f"{tr('cli.demo_certificates')} ({tr('ui.password')}: {summary.cert_password}):")
        for path in sorted(e["certs"].iterdir()):
            print(f"  {path}")
    return EXIT_OK


def check(args, tr: Translator) -> int:
    from desktop.store.check import check_store
    from desktop.store.db import open_store
    with open_store(args.db, readonly=True) as store:
        report = check_store(store)
    counts = ", ".join(f"{k}: {v:,}" for k, v in report.counts.items())
    if report.ok:
        print(f"OK — {tr('cli.check_ok')} ({counts})")
        return EXIT_OK
    print(f"{tr('cli.check_failed')} ({len(report.problems)}):")
    for problem in report.problems:
        print(f"  - {problem}")
    return EXIT_PROBLEMS


def init(args, tr: Translator) -> int:
    from desktop.domain.auth import check_new_password
    from desktop.services.first_start import NewCommune, create_commune
    from desktop.store.errors import StoreError
    if args.db.exists():
        raise StoreError("already_exists", path=str(args.db))
    password = secret(ENV_ADMIN_PASSWORD, f"{args.admin} — {tr('ui.password')}: ")
    check_new_password(password)
    create_commune(args.db, NewCommune(args.commune_ar, args.commune_fr, args.admin, password, password,
                                       args.casablanca_districts))
    print(tr("cli.commune_created", path=str(args.db), admin=args.admin))
    return EXIT_OK
