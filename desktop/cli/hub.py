"""``commune-police hub init|upgrade|catalogue|import|export|revoke|quarantine``: the commune hub on
PostgreSQL, by hand (``hub serve`` is the network transport's verb)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from desktop.cli.common import EXIT_OK
from desktop.i18n import Translator


def register(sub) -> None:
    sp = sub.add_parser("hub", help="the commune hub on PostgreSQL")
    hsub = sp.add_subparsers(dest="hub_command", required=True)
    hi = hsub.add_parser("init", help="create a hub in an empty PostgreSQL database, seeded from a commune")
    hi.add_argument("--pg", required=True, help="libpq URL, e.g. postgresql://postgres@127.0.0.1:5432/hub")
    hi.add_argument("--from", dest="source", type=Path, required=True, help="the commune's database")
    hi.set_defaults(run=init)
    hu = hsub.add_parser("upgrade", help="bring the hub to this version's schema (new tables and columns)")
    hu.add_argument("--pg", required=True)
    hu.add_argument("--from", dest="source", type=Path, required=True,
                    help="a commune database of the new version holding the whole commune (coordinator's station)")
    hu.set_defaults(run=upgrade)
    hc = hsub.add_parser("catalogue", help="replace the commune's catalogue extensions at the hub (devices get them"
                                          " with their next sync)")
    hc.add_argument("--pg", required=True)
    hc.add_argument("--from", dest="source", type=Path, required=True,
                    help="a folder of catalogue extension files (*.json), e.g. the coordinator's catalogue.d")
    hc.set_defaults(run=catalogue)
    hm = hsub.add_parser("import", help="ingest a device's bundle file; prints the receipt (or --out FILE)")
    hm.add_argument("--pg", required=True)
    hm.add_argument("file", type=Path)
    hm.add_argument("--out", type=Path, help="write the signed receipt to this file")
    hm.set_defaults(run=import_bundle)
    he = hsub.add_parser("export", help="the file to take back to a device: its receipt and its rows")
    he.add_argument("--pg", required=True)
    he.add_argument("--device", required=True)
    he.add_argument("--out", type=Path, required=True)
    he.set_defaults(run=export)
    hr = hsub.add_parser("revoke", help="revoke a lost or stolen device (its key refused from now on)")
    hr.add_argument("--pg", required=True)
    hr.add_argument("--device", required=True)
    hr.add_argument("--by", default=None, help="who revokes (journaled)")
    hr.set_defaults(run=revoke)
    hq = hsub.add_parser("quarantine", help="the bundles revoked devices sent afterwards, for review (never applied)")
    hq.add_argument("--pg", required=True)
    hq.add_argument("--device", help="only this device's")
    hq.add_argument("--json", action="store_true")
    hq.set_defaults(run=quarantine)
    hk = hsub.add_parser("check", help="the hub's chain and every device's chain of ops")
    hk.add_argument("--pg", required=True)
    hk.set_defaults(run=check)
    hc = hsub.add_parser("conflicts", help="the hub's queue of conflicts and refusals")
    hc.add_argument("--pg", required=True)
    hc.add_argument("--json", action="store_true")
    hc.set_defaults(run=conflicts)


def init(args, tr: Translator) -> int:
    from desktop.hub import init_hub
    result = init_hub(args.pg, args.source)
    print(tr("hub.initialised", hub=result["hub_id"], n=sum(result["rows"].values())))
    return EXIT_OK


def upgrade(args, tr: Translator) -> int:
    from desktop.hub.upgrade import upgrade_hub
    result = upgrade_hub(args.pg, args.source)
    added = len(result["tables"]) + sum(len(c) for c in result["columns"].values())
    print(tr("hub.upgraded", before=result["from"], after=result["to"], n=added))
    return EXIT_OK


def catalogue(args, tr: Translator) -> int:
    from desktop.hub.catalogue import set_catalogue
    result = set_catalogue(args.pg, args.source)
    print(tr("hub.catalogue_set", n=len(result["files"]), files=", ".join(result["files"]) or "—"))
    return EXIT_OK


def import_bundle(args, tr: Translator) -> int:
    from desktop.services.usbsync import read_file, write_file
    from desktop.domain.bundle import join, peek, split
    from desktop.hub import ingest
    receipts = []
    parts = split(read_file(args.file))
    for part in parts:  # a device's backlog: its bundles in order
        receipt = ingest(args.pg, part)
        receipts.append(receipt)
        body = peek(receipt)
        statuses = list(body["results"].values())
        print(tr("hub.ingested", device=body["device_id"], n=len(statuses), applied=statuses.count("applied"),
                 conflicts=len(body["conflicts"])), file=sys.stderr)
        ops = peek(part).get("ops") or []
        if ops and body["through_seq"] < ops[-1]["seq"]:  # stopped early: the rest in the device's next file
            print(tr("hub.import_stopped", left=len(parts) - len(receipts)), file=sys.stderr)
            break
    if args.out:
        write_file(args.out, join(receipts))
    else:
        print(join(receipts).decode("utf-8"))
    return EXIT_OK


def export(args, tr: Translator) -> int:
    from desktop.services.usbsync import write_file
    from desktop.hub import export_for_device
    write_file(args.out, export_for_device(args.pg, args.device))
    print(tr("hub.exported", device=args.device, path=str(args.out)))
    return EXIT_OK


def revoke(args, tr: Translator) -> int:
    from desktop.hub import revoke as revoke_device
    revoke_device(args.pg, args.device, args.by)
    print(tr("hub.revoked", device=args.device))
    return EXIT_OK


def quarantine(args, tr: Translator) -> int:
    from desktop.hub.devices import quarantined
    items = quarantined(args.pg, args.device)
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=1, default=str))
        return EXIT_OK
    if not items:
        print(tr("hub.quarantine_empty"))
    for item in items:
        signed = tr("hub.quarantine_signed" if item["signed"] else "hub.quarantine_not_signed")
        print(tr("hub.quarantine_line", at=str(item["received_at"])[:16].replace("T", " "), user=item["username"] or "?",
                 device=item["device_id"][:8].upper(), n=len(item["ops"]), signed=signed))
        for op in item["ops"]:
            print(f"  {op['seq']:>6}  {op['tbl']:<20} {op['kind']:<9} {op['row_id']}  {op['hlc']}")
    return EXIT_OK


def check(args, tr: Translator) -> int:
    from desktop.cli.common import EXIT_PROBLEMS
    from desktop.hub.check import check_hub
    counts, problems = check_hub(args.pg)
    for problem in problems:
        print(problem)
    print(tr("hub.checked", journal=counts["journal"], devices=counts["devices"], ops=counts["ops"]))
    print("OK" if not problems else tr("hub.check_problems", n=len(problems)))
    return EXIT_OK if not problems else EXIT_PROBLEMS


def conflicts(args, tr: Translator) -> int:
    from desktop.hub import list_conflicts
    rows = list_conflicts(args.pg)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        return EXIT_OK
    from desktop.cli.conflicts import print_rows
    print_rows(rows, tr)
    return EXIT_OK
