"""``commune-police report annual`` and ``commune-police opendata``."""
from __future__ import annotations

import sys
from datetime import date, timedelta

from desktop.i18n import Translator

EXIT_OK, EXIT_ERROR = 0, 2


def _scope(args):
    from desktop.store.indicators import Scope, year_scope
    if args.year:
        return year_scope(args.year)
    if not (args.date_from and args.date_to):
        return None
    start, last = date.fromisoformat(args.date_from), date.fromisoformat(args.date_to)
    return Scope(start, last + timedelta(days=1)) if last >= start else None


def report_command(args, tr: Translator) -> int:
    from desktop.domain.catalogue import load_catalogue
    from desktop.report_builder import write_report
    from desktop.store.db import open_store
    try:
        scope = _scope(args)
    except ValueError as exc:
        print(f"--from/--to: YYYY-MM-DD ({exc})", file=sys.stderr)
        return EXIT_ERROR
    if scope is None:
        print(tr("rep.period_required"), file=sys.stderr)
        return EXIT_ERROR
    with open_store(args.db, readonly=True) as store:
        size = write_report(store, load_catalogue(), scope, args.report_lang, args.out)
    print(f"{args.out} ({size // 1024} KB)")
    return EXIT_OK


def opendata_command(args, tr: Translator) -> int:
    from desktop.domain.catalogue import load_catalogue
    from desktop.opendata import export_open_data
    from desktop.store.db import open_store
    from desktop.store.indicators import year_scope
    with open_store(args.db, readonly=True) as store:
        files = export_open_data(store, load_catalogue(), year_scope(args.year), args.out)
    for f in files:
        print(f)
    return EXIT_OK
