"""``commune-police report annual`` and ``commune-police opendata``."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from desktop.cli.common import EXIT_OK, db_arg, iso_date
from desktop.domain.errors import Refusal
from desktop.i18n import Translator


def register(sub) -> None:
    sp = sub.add_parser("report", help="activity reports")
    rsub = sp.add_subparsers(dest="report_command", required=True)
    ra = rsub.add_parser("annual", help="the activity report to the governor, for a year or any period")
    db_arg(ra)
    ra.add_argument("--year", type=int, help="a calendar year (or give --from and --to)")
    ra.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD")
    ra.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD")
    ra.add_argument("--out", type=Path, required=True)
    ra.add_argument("--lang", dest="report_lang", choices=("ar", "fr"), default="ar")
    ra.set_defaults(run=annual)

    sp = sub.add_parser("opendata", help="aggregated and de-identified data for publication")
    db_arg(sp)
    sp.add_argument("--year", type=int, required=True)
    sp.add_argument("--out", type=Path, required=True, help="a folder: CSV, GeoJSON and the data dictionary")
    sp.set_defaults(run=opendata)


def _scope(args):
    from desktop.store.indicators import Scope, year_scope
    if args.year:
        return year_scope(args.year)
    start, last = iso_date(args.date_from, "--from"), iso_date(args.date_to, "--to")
    if not (start and last) or last < start:
        raise Refusal("rep.period_required")
    return Scope(start, last + timedelta(days=1))


def annual(args, tr: Translator) -> int:
    from desktop.services.commune import open_commune
    from desktop.services.report import write_report
    scope = _scope(args)
    with open_commune(args.db, readonly=True) as commune:
        size = write_report(commune.store, commune.catalogue, scope, args.report_lang, args.out)
    print(f"{args.out} ({size // 1024} KB)")
    return EXIT_OK


def opendata(args, tr: Translator) -> int:
    from desktop.services.commune import open_commune
    from desktop.services.opendata import export_open_data
    from desktop.store.indicators import year_scope
    with open_commune(args.db, readonly=True) as commune:
        files = export_open_data(commune.store, commune.catalogue, year_scope(args.year), args.out)
    for f in files:
        print(f)
    return EXIT_OK
