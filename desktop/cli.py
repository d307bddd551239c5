"""Command line: ``commune-police [--db PATH]`` starts the GUI; subcommands work headless.

Qt is imported only when the GUI starts, so every other command runs on a machine without a
display or Qt's system libraries.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from desktop.first_start import VersionAction
from desktop.i18n import LANGUAGES, Translator

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def default_db() -> Path:
    from desktop.first_start import default_db as in_user_data
    return in_user_data()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="commune-police",
                                description="Administrative police desk of a Moroccan commune.")
    p.add_argument("--db", type=Path, help="commune database (default: the user's data folder)")
    p.add_argument("--version", action=VersionAction)
    p.add_argument("--lang", choices=LANGUAGES, default=os.environ.get("COMMUNE_POLICE_LANG", "fr"),
                   help="language of messages (the GUI has its own setting)")
    sub = p.add_subparsers(dest="command")

    def db_arg(sp, required=True):
        sp.add_argument("--db", type=Path, required=required, default=argparse.SUPPRESS)

    sp = sub.add_parser("gui", help="start the application (the default)")
    db_arg(sp, required=False)
    sp = sub.add_parser("demo", help="build a demo Casablanca commune")
    db_arg(sp)
    sp.add_argument("--inspections", type=int, default=20_000)
    sp.add_argument("--seed", type=int, default=1)
    sp = sub.add_parser("check", help="verify a database: integrity, foreign keys, attachments, journal")
    db_arg(sp)
    sp = sub.add_parser("init", help="create an empty commune database with its administrator")
    db_arg(sp)
    sp.add_argument("--commune-ar", required=True)
    sp.add_argument("--commune-fr", required=True)
    sp.add_argument("--admin", default="admin", help="administrator's username")
    sp.add_argument("--casablanca-districts", action="store_true",
                    help="load the 16 arrondissements of Casablanca shipped with the application")

    sp = sub.add_parser("districts", help="the commune's district layer")
    dsub = sp.add_subparsers(dest="districts_command", required=True)
    imp = dsub.add_parser("import", help="replace the district layer (GeoJSON, GeoPackage, Shapefile)")
    imp.add_argument("file", type=Path)
    db_arg(imp)
    imp.add_argument("--name-ar", help="field holding the Arabic name")
    imp.add_argument("--name-fr", help="field holding the French name")
    imp.add_argument("--population", help="field holding the population")
    imp.add_argument("--user", default="admin", help="administrator account (password asked, or from"
                     " COMMUNE_POLICE_PASSWORD)")
    imp.add_argument("--force", action="store_true", help="import even a layer far from the commune's data")

    sp = sub.add_parser("map", help="render the map to a PNG or PDF file, without the GUI")
    db_arg(sp)
    sp.add_argument("--out", type=Path, required=True)
    sp.add_argument("--mode", choices=("points", "choropleth"), default="points")
    sp.add_argument("--color-by", choices=("field", "outcome"), default="field")
    sp.add_argument("--measure", choices=("inspections", "violations"), default="inspections")
    sp.add_argument("--field", help="only this police field (catalogue code)")
    sp.add_argument("--year", type=int, help="only this calendar year")
    sp.add_argument("--size", default="1600x1100", help="image size in pixels, WIDTHxHEIGHT")

    sp = sub.add_parser("inspections", help="inspections")
    isub = sp.add_subparsers(dest="inspections_command", required=True)
    exp = isub.add_parser("export", help="inspections with district and findings, for QGIS")
    db_arg(exp)
    exp.add_argument("--format", choices=("gpkg", "geojson", "csv"), required=True)
    exp.add_argument("--out", type=Path, required=True)
    exp.add_argument("--field", help="only this police field (catalogue code)")
    exp.add_argument("--year", type=int, help="only this calendar year")

    sp = sub.add_parser("decision", help="the decision register: list, PDF, sign, verify")
    dec = sp.add_subparsers(dest="decision_command", required=True)
    ls = dec.add_parser("list", help="decisions (drafts and signed) with their oversight deadlines")
    db_arg(ls)
    ls.add_argument("--year", type=int)
    ls.add_argument("--json", action="store_true")
    pdf = dec.add_parser("pdf", help="write a decision's PDF (the signed one once signed)")
    pdf.add_argument("decision_id")
    db_arg(pdf)
    pdf.add_argument("--out", type=Path, required=True)
    pdf.add_argument("--lang", dest="doc_lang", choices=("ar", "ar+fr"), default=None,
                     help="languages of a draft's PDF (a signed one is as it was signed)")
    sign = dec.add_parser("sign", help="sign a draft (the president or a recorded delegate)")
    sign.add_argument("decision_id")
    db_arg(sign)
    sign.add_argument("--pkcs12", type=Path, required=True)
    sign.add_argument("--user", default="president", help="the signing account (its password is asked, or"
                      " COMMUNE_POLICE_PASSWORD)")
    ver = dec.add_parser("verify", help="check a signed PDF: intact, valid, trusted")
    ver.add_argument("file", type=Path)
    ver.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="trust the commune's authority kept there")
    ver.add_argument("--ca", type=Path, help="a PEM certificate of the authority to trust")

    sp = sub.add_parser("user", help="accounts (an administrator's password is asked)")
    usub = sp.add_subparsers(dest="user_command", required=True)
    ul = usub.add_parser("list")
    db_arg(ul)
    ua = usub.add_parser("add", help="create an account (its password is asked, or COMMUNE_POLICE_NEW_PASSWORD)")
    db_arg(ua)
    ua.add_argument("username")
    ua.add_argument("--role", required=True, choices=("officer", "coordinator", "president", "reviewer", "administrator"))
    ua.add_argument("--name-ar", default="")
    ua.add_argument("--name-fr", default="")
    ua.add_argument("--district", help="an officer's arrondissement (French name or HCP code)")
    ua.add_argument("--admin", default="admin")
    up = usub.add_parser("password", help="set an account's password")
    db_arg(up)
    up.add_argument("username")
    up.add_argument("--admin", default="admin")

    sp = sub.add_parser("report", help="activity reports")
    rsub = sp.add_subparsers(dest="report_command", required=True)
    ra = rsub.add_parser("annual", help="the activity report to the governor, for a year or any period")
    db_arg(ra)
    ra.add_argument("--year", type=int, help="a calendar year (or give --from and --to)")
    ra.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD")
    ra.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD")
    ra.add_argument("--out", type=Path, required=True)
    ra.add_argument("--lang", dest="report_lang", choices=("ar", "fr"), default="ar")

    sp = sub.add_parser("opendata", help="aggregated and de-identified data for publication")
    db_arg(sp)
    sp.add_argument("--year", type=int, required=True)
    sp.add_argument("--out", type=Path, required=True, help="a folder: CSV, GeoJSON and the data dictionary")

    sp = sub.add_parser("complaints", help="complaints exchanged in the Open311 GeoReport v2 shape")
    csub = sp.add_subparsers(dest="complaints_command", required=True)
    ci = csub.add_parser("import", help="import service requests (all or none)")
    ci.add_argument("file", type=Path)
    db_arg(ci)
    ci.add_argument("--format", choices=("open311",), default="open311")
    ci.add_argument("--user", default="coordinateur")
    ce = csub.add_parser("export", help="export the complaints (no complainant's contact)")
    db_arg(ce)
    ce.add_argument("--format", choices=("open311",), default="open311")
    ce.add_argument("--out", type=Path, required=True)

    sp = sub.add_parser("delegation", help="delegations of signature (Law 113-14 arts. 103 and 236)")
    dsub2 = sp.add_subparsers(dest="delegation_command", required=True)
    dl = dsub2.add_parser("list", help="delegations, in force or not")
    db_arg(dl)
    da = dsub2.add_parser("add", help="record a delegation decision (the president's password is asked)")
    db_arg(da)
    da.add_argument("--delegate", required=True, help="the delegate's username")
    da.add_argument("--number", required=True, help="number of the delegation decision, e.g. 3/2026")
    da.add_argument("--date", required=True, help="date of the delegation decision, YYYY-MM-DD")
    da.add_argument("--basis", choices=("art103", "art236"), required=True,
                    help="art103: a vice-president; art236: an arrondissement president")
    da.add_argument("--fields", required=True, help="police fields covered, comma-separated catalogue codes, or *")
    da.add_argument("--scope-ar", required=True)
    da.add_argument("--scope-fr", required=True)
    da.add_argument("--capacity-ar", required=True)
    da.add_argument("--capacity-fr", required=True)
    da.add_argument("--until", help="end of validity, YYYY-MM-DD")
    da.add_argument("--user", default="president")
    dw = dsub2.add_parser("withdraw", help="withdraw a delegation, with its reasons (art. 236)")
    dw.add_argument("delegation_id")
    db_arg(dw)
    dw.add_argument("--reason", required=True)
    dw.add_argument("--user", default="president")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    tr = Translator(args.lang)
    command = args.command or "gui"
    from desktop.domain.catalogue import CatalogueError
    from desktop.store.errors import StoreError
    try:
        if command == "gui":
            from desktop.ui.app import run_gui  # Qt only from here on
            return run_gui(args.db)  # None: the remembered database or the first-start dialog
        from desktop.cli_decisions import complaints_command, decision_command, delegation_command
        from desktop.cli_reports import opendata_command, report_command
        from desktop.cli_users import user_command
        from desktop.cli_geo import districts_command, inspections_command, map_command
        handlers = {"demo": _demo, "check": _check, "init": _init, "districts": districts_command,
                    "map": map_command, "inspections": inspections_command, "decision": decision_command,
                    "delegation": delegation_command, "complaints": complaints_command,
                    "report": report_command, "opendata": opendata_command, "user": user_command}
        return handlers[command](args, tr)
    except StoreError as exc:
        print(f"{tr('store.' + exc.code, **exc.params)}\n  ({exc.detail or exc.code})" if exc.detail
              else tr("store." + exc.code, **exc.params), file=sys.stderr)
        return EXIT_ERROR
    except CatalogueError as exc:
        print(tr("catalogue.error", str(exc)), file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - known refusals get their message, bugs go on
        from desktop.cli_decisions import known_refusal
        message = known_refusal(exc, tr)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR


def _demo(args, tr: Translator) -> int:
    from desktop.demo import build_demo
    if args.inspections < 0:
        print("--inspections must be zero or more", file=sys.stderr)
        return EXIT_ERROR
    args.db.parent.mkdir(parents=True, exist_ok=True)
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if tty:
            print(f"\r{done:,}/{total:,} ({done * 100 // total}%)", end="", file=sys.stderr, flush=True)

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


def _check(args, tr: Translator) -> int:
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


def _init(args, tr: Translator) -> int:
    from desktop.store.commune import add_district, create_commune
    from desktop.store.db import open_store
    from desktop.store.errors import StoreError
    from desktop.store.users import create_user
    if args.db.exists():
        raise StoreError("already_exists", path=str(args.db))
    password = os.environ.get("COMMUNE_POLICE_ADMIN_PASSWORD") or getpass.getpass("Mot de passe / كلمة المرور: ")
    if len(password) < 8:
        print("password: 8 characters at least", file=sys.stderr)
        return EXIT_ERROR
    args.db.parent.mkdir(parents=True, exist_ok=True)
    with open_store(args.db, create=True) as store:
        admin = create_user(store, None, args.admin, password, "administrator")
        with store.transaction(admin.id) as tx:
            create_commune(tx, name_ar=args.commune_ar, name_fr=args.commune_fr)
            if args.casablanca_districts:
                from maps.districts import load_shipped_districts
                for f in load_shipped_districts():
                    add_district(tx, f.code, f.name_ar, f.name_fr, f.population, f.households,
                                 f.area_km2, f.geometry)
    print(f"{args.db}: {args.commune_fr} / {args.admin}")
    return EXIT_OK
