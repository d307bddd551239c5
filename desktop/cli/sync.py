"""``commune-police sync export|import``: a device's bundles on a USB stick (no network).

``sync export --db DB --out FILE`` writes the device's pending ops, signed; ``sync import --db DB
FILE`` reads what the hub gave back (``hub export``: its receipt and the rows to pull, or a bare
receipt). A plain ``sync --db DB`` (push then pull over HTTPS) is the network transport's verb,
registered on the same parser by ``desktop.cli.network``."""
from __future__ import annotations

from pathlib import Path

from desktop.cli.common import EXIT_OK, db_arg
from desktop.i18n import Translator


def register(sub) -> None:
    sp = sub.add_parser("sync", help="sync with the commune hub (sub-verbs: export, import for a USB stick)")
    db_arg(sp, required=False)
    ssub = sp.add_subparsers(dest="sync_command")
    se = ssub.add_parser("export", help="write the device's pending ops to a signed bundle file")
    db_arg(se, required=False)
    se.add_argument("--out", type=Path, required=True)
    se.set_defaults(run=export_bundle)
    si = ssub.add_parser("import", help="read the hub's file (receipt, rows to pull)")
    db_arg(si, required=False)
    si.add_argument("file", type=Path)
    si.set_defaults(run=import_file)


def _db(args) -> Path:
    from desktop.domain.errors import Refusal
    db = getattr(args, "db", None)
    if db is None:
        raise Refusal("sync.db_required")
    return Path(db)


def export_bundle(args, tr: Translator) -> int:
    from desktop.services.usbsync import export_file
    print(tr("sync.exported", n=export_file(_db(args), args.out), path=str(args.out)))
    return EXIT_OK


def import_file(args, tr: Translator) -> int:
    from desktop.services import usbsync
    result = usbsync.import_file(_db(args), args.file)
    for receipt in result["receipts"]:
        print(tr("sync.receipt_applied", n=receipt["acknowledged"], conflicts=receipt["conflicts"]))
    if result["pull"] is not None:
        print(tr("sync.pulled", n=result["pull"]["rows"], kept=result["pull"]["skipped"]))
    print(tr("sync.status_line", pending=result["status"]["pending"], conflicts=result["status"]["conflicts"]))
    return EXIT_OK
