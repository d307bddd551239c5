"""``commune-police gui | demo | check | init``: the commune database itself."""
from __future__ import annotations

import sys
from pathlib import Path

from desktop.cli.common import (ENV_ADMIN_PASSWORD, ENV_PKCS12_PASSWORD, EXIT_OK, EXIT_PROBLEMS, acting_as, db_arg,
                                secret)
from desktop.domain.errors import Refusal
from desktop.i18n import Translator
from reports.numbers import grouped


def register(sub) -> None:
    sp = sub.add_parser("gui", help="start the application (the default)")
    db_arg(sp, required=False)
    sp = sub.add_parser("demo", help="build a demo Casablanca commune")
    db_arg(sp)
    sp.add_argument("--inspections", type=int, default=20_000)
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--encrypt", action="store_true",
                    help="encrypt it at rest like a real commune (each demo password opens it)")
    sp.set_defaults(run=demo)
    sp = sub.add_parser("check", help="verify a database: integrity, foreign keys, attachments, journal")
    db_arg(sp)
    sp.add_argument("--anchor", type=Path, action="append", default=[],
                    help="a checkpoint file (journal checkpoint): the journal must extend it")
    sp.set_defaults(run=check)
    sp = sub.add_parser("journal", help="the journal: checkpoints that anchor it outside the file")
    jsub = sp.add_subparsers(dest="journal_command", required=True)
    jc = jsub.add_parser("checkpoint", help="write a checkpoint signed with a commune certificate"
                         " (COMMUNE_POLICE_PKCS12_PASSWORD or asked)")
    db_arg(jc)
    jc.add_argument("--out", type=Path, required=True)
    jc.add_argument("--pkcs12", type=Path, required=True)
    jc.set_defaults(run=checkpoint)
    sp = sub.add_parser("init", help="create an empty commune database with its administrator")
    db_arg(sp)
    sp.add_argument("--commune-ar", required=True)
    sp.add_argument("--commune-fr", required=True)
    sp.add_argument("--admin", default="admin", help="administrator's username")
    sp.add_argument("--casablanca-districts", action="store_true",
                    help="load the 16 arrondissements of Casablanca shipped with the application")
    sp.add_argument("--ca", type=Path, help="the commune's certificate authority (PEM): only certificates it"
                    " issued will sign; without it, nothing signs until `ca set`")
    sp.add_argument("--no-encrypt", dest="encrypt", action="store_false",
                    help="leave the database and attachments in clear (they are encrypted at rest by default,"
                    " each account's password unwrapping the key)")
    sp.set_defaults(run=init)
    sp = sub.add_parser("commune", help="the commune's identity as its documents print it")
    msub = sp.add_subparsers(dest="commune_command", required=True)
    ms = msub.add_parser("set", help="set names, wilaya, prefecture, the governor's title, the president (the"
                         " administrator's password is asked)")
    db_arg(ms)
    from desktop.store.commune import IDENTITY_FIELDS
    for name in IDENTITY_FIELDS:
        ms.add_argument("--" + name.replace("_", "-"), dest=name)
    ms.add_argument("--user", default="admin")
    ms.set_defaults(run=commune_set)
    sp = sub.add_parser("ca", help="the commune's certificate authority (trust anchor)")
    csub = sp.add_subparsers(dest="ca_command", required=True)
    cs = csub.add_parser("set", help="set the trust anchor (the president's password is asked)")
    db_arg(cs)
    cs.add_argument("--ca", type=Path, required=True, help="a PEM or DER CA certificate")
    cs.add_argument("--user", default="president")
    cs.set_defaults(run=ca_set)
    ct = csub.add_parser("tsa", help="the timestamp authority that makes signatures outlive their certificates")
    db_arg(ct)
    group = ct.add_mutually_exclusive_group(required=True)
    group.add_argument("--url", help="the authority's RFC 3161 address (http or https)")
    group.add_argument("--none", action="store_true", help="no timestamp authority (signatures are PAdES B-B)")
    ct.add_argument("--tsa-ca", type=Path, help="the authority that issued the TSA's certificate (PEM), when not the commune's")
    ct.add_argument("--user", default="president")
    ct.set_defaults(run=ca_tsa)
    cr = csub.add_parser("revoke", help="revoke a signing certificate: nothing signs with it from then on")
    db_arg(cr)
    what = cr.add_mutually_exclusive_group(required=True)
    what.add_argument("--cert", type=Path, help="the certificate (PEM or DER)")
    what.add_argument("--account", help="the certificate bound to this account")
    cr.add_argument("--reason", required=True)
    cr.add_argument("--on", help="the day the revocation takes effect (YYYY-MM-DD; today)")
    cr.add_argument("--ca-key", type=Path, help="the commune CA's private key (PEM; COMMUNE_POLICE_PKCS12_PASSWORD"
                    " if encrypted): also issue the CA's new CRL")
    cr.add_argument("--user", default="president")
    cr.set_defaults(run=ca_revoke)
    cc = csub.add_parser("crl", help="keep the CA's revocation list (--crl FILE), or publish it (--out FILE)")
    db_arg(cc)
    io_group = cc.add_mutually_exclusive_group(required=True)
    io_group.add_argument("--crl", type=Path, help="a CRL issued by the commune's CA (PEM or DER)")
    io_group.add_argument("--out", type=Path, help="write the CRL kept (PEM)")
    cc.add_argument("--user", default="president")
    cc.set_defaults(run=ca_crl)
    cl = csub.add_parser("list", help="the trust anchor, its CRL, the timestamp authority and revoked certificates")
    db_arg(cl)
    cl.set_defaults(run=ca_list)


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

    summary = build_demo(args.db, inspections=args.inspections, seed=args.seed, progress=progress,
                         encrypt=args.encrypt)
    if tty:
        print(file=sys.stderr)
    rate = summary.inspections / summary.seconds if summary.seconds else 0
    print(f"{tr('cli.demo_built')}: {summary.path}")
    print("  " + tr("cli.demo_summary", inspections=grouped(summary.inspections), sites=grouped(summary.sites),
                    officers=summary.officers, seconds=f"{summary.seconds:.1f}", rate=grouped(round(rate))))
    print(f"{tr('cli.demo_accounts')}:")
    for username, password, role in summary.accounts:
        print(f"  {username:14} {password:16} {tr.enum('role', role)}")
    e = summary.enforcement or {}
    if e:
        print("  " + tr("cli.demo_enforcement", cases=grouped(e["cases"]), steps=grouped(e["steps"]), signed=e["signed"],
                        drafts=e["drafts"], complaints=grouped(e["complaints"]), programmes=e["programmes"]))
        print(f"{tr('cli.demo_certificates')} ({tr('ui.password')}: {summary.cert_password}):")
        for path in sorted(e["certs"].iterdir()):
            print(f"  {path}")
    return EXIT_OK


def check(args, tr: Translator) -> int:
    from desktop.store.check import check_store
    from desktop.store.db import open_store
    from desktop.store.errors import StoreError
    try:
        with open_store(args.db, readonly=True) as store:
            if store.read_only_medium:  # said, so that nobody wonders why nothing can be written
                print(tr("cli.read_only_medium"))
            report = check_store(store)
            if args.anchor:
                from desktop.services.checkpoint import check_anchor
                for anchor in args.anchor:
                    report.problems += check_anchor(store, anchor)
                report.counts["checkpoints"] = len(args.anchor)
    except StoreError as exc:
        if exc.code != "corrupt":
            raise
        print(f"{tr('cli.check_failed')} (1):\n  - {tr('store.corrupt', **exc.params)} ({exc.detail})")
        return EXIT_PROBLEMS  # a damaged file is a problem found, as the README says (exit 1)
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
    anchor = None
    if args.ca:
        from desktop.services.verification import load_certificate
        anchor = load_certificate(args.ca.read_bytes())
    create_commune(args.db, NewCommune(args.commune_ar, args.commune_fr, args.admin, password, password,
                                       args.casablanca_districts, encrypt=args.encrypt))
    if anchor is not None:
        from desktop.services.verification import set_trust_anchor
        from desktop.store.db import open_store
        with open_store(args.db) as store:
            set_trust_anchor(store, None, anchor)
    print(tr("cli.commune_created", path=str(args.db), admin=args.admin))
    return EXIT_OK


def commune_set(args, tr: Translator) -> int:
    from desktop.store.commune import IDENTITY_FIELDS, set_identity
    fields = {k: getattr(args, k) for k in IDENTITY_FIELDS if getattr(args, k) is not None}
    with acting_as(args, args.user, tr) as commune:
        set_identity(commune.store, commune.actor, **fields)
    print(tr("cli.commune_set"))
    return EXIT_OK


def ca_set(args, tr: Translator) -> int:
    from desktop.services.verification import load_certificate, set_trust_anchor
    cert = load_certificate(args.ca.read_bytes())
    with acting_as(args, args.user, tr) as commune:
        set_trust_anchor(commune.store, commune.actor, cert)
    print(tr("cli.done"))
    return EXIT_OK


def ca_tsa(args, tr: Translator) -> int:
    from desktop.services.trust import set_timestamp_authority
    from desktop.services.verification import load_certificate
    tsa_ca = load_certificate(args.tsa_ca.read_bytes()) if args.tsa_ca else None
    with acting_as(args, args.user, tr) as commune:
        set_timestamp_authority(commune.store, commune.actor, None if args.none else args.url, tsa_ca)
    print(tr("cli.tsa_none") if args.none else tr("cli.done"))
    return EXIT_OK


def ca_revoke(args, tr: Translator) -> int:
    from desktop.cli.common import iso_date
    from desktop.services.trust import issue_crl, revoke_certificate
    from desktop.services.verification import load_certificate
    cert = load_certificate(args.cert.read_bytes()) if args.cert else None
    key = _ca_key(args.ca_key, tr) if args.ca_key else None
    with acting_as(args, args.user, tr) as commune:
        sha = revoke_certificate(commune.store, commune.actor, args.reason, cert=cert, username=args.account,
                                 on=iso_date(args.on, "--on"))
        if key is not None:
            issue_crl(commune.store, commune.actor, key)
    print(tr("cli.certificate_revoked", fingerprint=sha[:16]))
    return EXIT_OK


def _ca_key(path: Path, tr: Translator):
    import os
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from reports.signing import SigningError
    data = path.read_bytes()
    password = os.environ.get(ENV_PKCS12_PASSWORD)
    try:
        return load_pem_private_key(data, password.encode() if password and b"ENCRYPTED" in data else None)
    except (ValueError, TypeError) as exc:
        raise SigningError("certificate_unreadable", str(exc), path=str(path)) from exc


def ca_crl(args, tr: Translator) -> int:
    from cryptography.hazmat.primitives.serialization import Encoding
    from desktop.services.trust import commune_crl, load_crl, set_crl
    from desktop.store.db import open_store
    from desktop.store.files import write_atomic
    if args.out:
        with open_store(args.db, readonly=True) as store:
            crl = commune_crl(store)
        if crl is None:
            raise Refusal("no_crl")
        write_atomic(args.out, crl.public_bytes(Encoding.PEM))
        print(f"{args.out}")
        return EXIT_OK
    crl = load_crl(args.crl.read_bytes())
    with acting_as(args, args.user, tr) as commune:
        set_crl(commune.store, commune.actor, crl)
    print(tr("cli.done"))
    return EXIT_OK


def ca_list(args, tr: Translator) -> int:
    from desktop.services.trust import commune_crl, commune_roots, revocations, tsa_url
    from desktop.store.db import open_store
    with open_store(args.db, readonly=True) as store:
        roots, crl, tsa, revoked = commune_roots(store), commune_crl(store), tsa_url(store), revocations(store)
    print(f"CA: {roots[0].subject.rfc4514_string() if roots else tr('cli.no_trust_anchor')}")
    print(f"CRL: {crl.last_update_utc.date().isoformat() + ' → ' + (crl.next_update_utc.date().isoformat() if crl.next_update_utc else '—') if crl else '—'}")
    print(f"TSA: {tsa or tr('cli.tsa_none')}")
    for r in revoked:
        print(f"  {r['revoked_on']}  {r['cert_sha256'][:16]}  {r['username'] or r['subject']}  {r['reason']}")
    return EXIT_OK


def checkpoint(args, tr: Translator) -> int:
    from desktop.services.checkpoint import write_checkpoint
    from desktop.store.db import open_store
    password = secret(ENV_PKCS12_PASSWORD, f"{args.pkcs12.name} — {tr('ui.password')}: ")
    with open_store(args.db, readonly=True) as store:
        body = write_checkpoint(store, args.out, args.pkcs12, password)
    print(f"{args.out}: journal {body['seq']} {body['head']}")
    return EXIT_OK
