"""``commune-police privacy retention|purge``: how long personal data is kept (Law 09-08 art. 3)."""
from __future__ import annotations

from desktop.cli.common import EXIT_OK, acting_as, db_arg, iso_date
from desktop.domain.errors import Refusal
from desktop.i18n import Translator


def register(sub) -> None:
    sp = sub.add_parser("privacy", help="personal data: retention period and purge (Law 09-08)")
    psub = sp.add_subparsers(dest="privacy_command", required=True)
    rt = psub.add_parser("retention", help="the commune's retention period for closed files")
    db_arg(rt)
    rt.add_argument("--years", type=int, required=True)
    rt.add_argument("--user", default="admin")
    rt.set_defaults(run=retention)
    pg = psub.add_parser("purge", help="erase the personal fields of closed files older than a date")
    db_arg(pg)
    pg.add_argument("--before", help="cut-off date YYYY-MM-DD (default: today minus the retention period)")
    pg.add_argument("--dry-run", action="store_true", help="only count what would be erased")
    pg.add_argument("--user", default="admin")
    pg.set_defaults(run=purge)


def retention(args, tr: Translator) -> int:
    from desktop.services.privacy import set_retention
    with acting_as(args, args.user, tr) as commune:
        set_retention(commune.store, commune.actor, args.years)
    print(tr("cli.done"))
    return EXIT_OK


def purge(args, tr: Translator) -> int:
    from desktop.services.privacy import purge as run_purge
    from desktop.services.privacy import retention_cutoff
    with acting_as(args, args.user, tr) as commune:
        before = iso_date(args.before, "--before") or retention_cutoff(commune.store)
        if before is None:
            raise Refusal("purge_no_date")
        counts = run_purge(commune.store, commune.actor, before, dry_run=args.dry_run)
    key = "cli.purge_dry_run" if args.dry_run else "cli.purge_done"
    print(tr(key, before=before.isoformat(), sites=counts.sites, complaints=counts.complaints,
             attachments=counts.attachments, drafts=counts.drafts, copies=counts.copies))
    return EXIT_OK
