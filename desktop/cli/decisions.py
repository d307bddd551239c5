"""``commune-police decision list|pdf|sign|verify``: the decision register."""
from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from desktop.cli.common import ENV_PKCS12_PASSWORD, EXIT_OK, EXIT_PROBLEMS, EXIT_UNVERIFIED, acting_as, db_arg, secret
from desktop.i18n import Translator


def register(sub) -> None:
    sp = sub.add_parser("decision", help="the decision register: list, PDF, sign, verify")
    dec = sp.add_subparsers(dest="decision_command", required=True)
    ls = dec.add_parser("list", help="decisions (drafts and signed) with their oversight deadlines")
    db_arg(ls)
    ls.add_argument("--year", type=int)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(run=list_decisions)
    pdf = dec.add_parser("pdf", help="write a decision's PDF (the signed one once signed)")
    pdf.add_argument("decision_id")
    db_arg(pdf)
    pdf.add_argument("--out", type=Path, required=True)
    pdf.add_argument("--lang", dest="doc_lang", choices=("ar", "ar+fr"), default=None,
                     help="languages of a draft's PDF (a signed one is as it was signed)")
    pdf.set_defaults(run=write_pdf)
    sign = dec.add_parser("sign", help="sign a draft (the president or a recorded delegate)")
    sign.add_argument("decision_id")
    db_arg(sign)
    sign.add_argument("--pkcs12", type=Path, required=True)
    sign.add_argument("--user", default="president", help="the signing account (its password is asked, or"
                      " COMMUNE_POLICE_PASSWORD)")
    sign.set_defaults(run=sign_draft)
    ver = dec.add_parser("verify", help="check a signed PDF: intact, valid, trusted")
    ver.add_argument("file", type=Path)
    ver.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="trust the commune's authority kept there")
    ver.add_argument("--ca", type=Path, help="a PEM certificate of the authority to trust")
    ver.add_argument("--tsa-ca", type=Path, help="with --ca: the authority of the timestamp authority (PEM)")
    ver.add_argument("--at", help="validate as of this date (YYYY-MM-DD; today): a timestamped signature"
                     " still verifies after its certificate expired")
    ver.set_defaults(run=verify)


def list_decisions(args, tr: Translator) -> int:
    from desktop.store.db import open_store
    from desktop.store.decisions import register as decision_register
    with open_store(args.db, readonly=True) as store:
        rows = decision_register(store, args.year)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    for r in rows:
        number = f"{r['number']}/{r['year']}" if r["number"] else "—"
        late = " ⚠" if r["governor_late"] else ""
        print(f"{number:>10}  {r['status']:6}  {r['kind']:20} {r['field_code']:14} {r['site_name'] or '':28}"
              f" {r['governor_due'] or '':10}{late}  {r['id']}")
    print(tr("cli.decisions_count", n=len(rows)))
    return EXIT_OK


def write_pdf(args, tr: Translator) -> int:
    from desktop.services.commune import open_commune
    from desktop.services.paperwork import decision_pdf
    from desktop.store.files import write_atomic
    with open_commune(args.db, readonly=True) as commune:
        status, data = decision_pdf(commune, args.decision_id, tuple(args.doc_lang.split("+")) if args.doc_lang else None)
    write_atomic(args.out, data)
    print(f"{args.out} ({status})")
    return EXIT_OK


def sign_draft(args, tr: Translator) -> int:
    from desktop.services.paperwork import sign_decision
    with acting_as(args, args.user, tr) as commune:
        p12_password = secret(ENV_PKCS12_PASSWORD, f"{args.pkcs12.name}: ")
        number = sign_decision(commune, args.decision_id, args.pkcs12, p12_password)
        year = commune.store.scalar("SELECT year FROM decision WHERE id = ?", (args.decision_id,))
        tsa = commune.store.meta("tsa_url")
    print(tr("sign.signed", number=f"{number}/{year}"))
    if not tsa:  # said every time: without a timestamp the signature dies with its certificate
        print(tr("sign.no_tsa_configured"))
    return EXIT_OK


def verify(args, tr: Translator) -> int:
    """OK (0) only when the signature was checked against a trust anchor (and, with ``--db``, the
    file is a decision of the register signed by whoever was entitled to); a signature that is
    intact but checked against nothing is "unverified" (3), never OK."""
    from cryptography import x509
    from desktop.services.verification import verify_file, verify_registered
    at = None
    if args.at:
        from desktop.cli.common import iso_date
        day = iso_date(args.at, "--at")
        at = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc) if day else None
    if getattr(args, "db", None):
        from desktop.store.db import open_store
        with open_store(args.db, readonly=True) as store:
            result = verify_registered(store, args.file, at)
    else:
        roots = [x509.load_pem_x509_certificate(args.ca.read_bytes())] if args.ca else []
        tsa = [x509.load_pem_x509_certificate(args.tsa_ca.read_bytes())] if args.tsa_ca else []
        result = verify_file(args.file, roots, at, tsa)
    if not result.signed:
        print(tr("sign.verify_unsigned"))
        return EXIT_PROBLEMS
    print(f"{tr('sign.signer')}: {result.signer}\n{tr('sign.signed_at')}: {result.signed_at}")
    print(f"PAdES {result.level}" + (f" — {tr('sign.timestamp')}: {result.timestamp}" if result.timestamp
                                     else f" — {tr('sign.no_timestamp')}"))
    if result.ok and result.trusted is None:
        print(tr("sign.verify_unverified"))
        return EXIT_UNVERIFIED
    if result.ok:
        print("OK — " + tr("sign.verify_ok"))
        return EXIT_OK
    print(tr("sign.verify_failed"))
    for problem in result.problems:
        print(f"  - {problem}")
    return EXIT_PROBLEMS
