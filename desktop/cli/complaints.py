"""``commune-police complaints import|export``: complaints in the Open311 GeoReport v2 shape."""
from __future__ import annotations

from pathlib import Path

from desktop.cli.common import EXIT_OK, acting_as, db_arg
from desktop.i18n import Translator


def register(sub) -> None:
    sp = sub.add_parser("complaints", help="complaints exchanged in the Open311 GeoReport v2 shape")
    csub = sp.add_subparsers(dest="complaints_command", required=True)
    ci = csub.add_parser("import", help="import service requests (all or none)")
    ci.add_argument("file", type=Path)
    db_arg(ci)
    ci.add_argument("--format", choices=("open311",), default="open311")
    ci.add_argument("--user", default="coordinateur")
    ci.set_defaults(run=import_requests)
    ce = csub.add_parser("export", help="export the complaints (no complainant's contact)")
    db_arg(ce)
    ce.add_argument("--format", choices=("open311",), default="open311")
    ce.add_argument("--out", type=Path, required=True)
    ce.set_defaults(run=export_requests)


def export_requests(args, tr: Translator) -> int:
    from desktop.services.commune import open_commune
    from desktop.store.complaints import export_open311
    with open_commune(args.db, readonly=True) as commune:
        n = export_open311(commune.store, commune.catalogue, args.out)
    _journal_export(args.db, "open311", n)
    print(tr("cli.complaints_exported", path=str(args.out), n=n))
    return EXIT_OK


def _journal_export(db, what: str, rows: int) -> None:
    """Every export is journaled (review M2); a read-only medium keeps no journal of it (the file
    holds no personal data: no complainant, no free text, the place rounded)."""
    import getpass
    from desktop.services.privacy import journal_export
    from desktop.store.db import open_store
    from desktop.store.errors import StoreError
    try:
        with open_store(db) as store:
            journal_export(store, None, what, rows, personal=False, who=f"os:{getpass.getuser()}")
    except StoreError:
        pass


def import_requests(args, tr: Translator) -> int:
    from desktop.store.complaints import import_open311
    with acting_as(args, args.user, tr) as commune:
        n = import_open311(commune.store, commune.actor, commune.catalogue, args.file)
    print(tr("cli.complaints_imported", n=n))
    return EXIT_OK
