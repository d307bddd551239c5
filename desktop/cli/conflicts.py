"""``commune-police conflicts list --db DB [--json]``: what the hub refused or flagged of this
device's work (the hub's value stands until the coordinator decides)."""
from __future__ import annotations

import json

from desktop.cli.common import EXIT_OK, db_arg
from desktop.i18n import Translator


def register(sub) -> None:
    sp = sub.add_parser("conflicts", help="conflicts and refusals the hub reported")
    csub = sp.add_subparsers(dest="conflicts_command", required=True)
    cl = csub.add_parser("list")
    db_arg(cl)
    cl.add_argument("--json", action="store_true")
    cl.add_argument("--all", action="store_true", help="resolved ones too")
    cl.set_defaults(run=list_conflicts)


def print_rows(rows: list[dict], tr: Translator) -> None:
    if not rows:
        print(tr("sync.no_conflicts"))
    for r in rows:
        column = r.get("column_name") or "—"
        print(tr("sync.conflict_line", table=r["tbl"], row=r["row_id"], column=column,
                 reason=tr("sync.reason." + r["reason"]), device=json.dumps(r.get("device_value"), ensure_ascii=False,
                                                                          default=str),
                 hub=json.dumps(r.get("hub_value"), ensure_ascii=False, default=str)))


def list_conflicts(args, tr: Translator) -> int:
    from desktop.services import sync
    from desktop.services.commune import open_commune
    with open_commune(args.db, readonly=True) as commune:
        rows = sync.list_conflicts(commune, None if args.all else "open")
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
    else:
        print_rows(rows, tr)
    return EXIT_OK
