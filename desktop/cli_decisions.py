"""``commune-police decision list|pdf|sign|verify``."""
from __future__ import annotations

import json
import os
import sys

from desktop.cli_common import login
from desktop.i18n import Translator

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def known_refusal(exc: Exception, tr: Translator) -> str | None:
    """The user's message for a refusal of the enforcement engine, or None for anything else."""
    from desktop.domain.ladder import LadderError
    from desktop.store.decisions import NotAuthorisedToSign
    from reports.documents import TemplateError
    from reports.signing import SigningError
    if isinstance(exc, SigningError):
        return tr("sign." + exc.code, **exc.params) + (f"\n  ({exc.detail})" if exc.detail else "")
    if isinstance(exc, NotAuthorisedToSign):
        return tr("sign.not_authorised", field=exc.field_code)
    from desktop.domain.auth import PermissionDenied
    if isinstance(exc, PermissionDenied):
        return tr("store.permission_denied")
    if isinstance(exc, ValueError) and type(exc) is ValueError:
        return str(exc)
    if isinstance(exc, TemplateError):
        return tr("sign.template_error", kind=exc.kind, lang=exc.lang, problem=exc.problem)
    if isinstance(exc, LadderError):
        return str(exc)
    from desktop.domain.complaints import ComplaintError
    from desktop.store.programmes import ProgrammeError
    if isinstance(exc, (ComplaintError, ProgrammeError)):
        return complaint_message(exc, tr)
    return None


def decision_command(args, tr: Translator) -> int:
    return {"list": _list, "pdf": _pdf, "sign": _sign, "verify": _verify}[args.decision_command](args, tr)


def _list(args, tr: Translator) -> int:
    from desktop.store.db import open_store
    from desktop.store.decisions import register
    with open_store(args.db, readonly=True) as store:
        rows = register(store, args.year)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    for r in rows:
        number = f"{r['number']}/{r['year']}" if r["number"] else "—"
        late = " ⚠" if r["governor_late"] else ""
        print(f"{number:>10}  {r['status']:6}  {r['kind']:20} {r['field_code']:14} {r['site_name'] or '':28}"
              f" {r['governor_due'] or '':10}{late}  {r['id']}")
    print(f"{len(rows)} decision(s)")
    return EXIT_OK


def _pdf(args, tr: Translator) -> int:
    from desktop.store.db import open_store
    from desktop.store.decisions import document, signed_pdf
    from reports.documents import render_document
    with open_store(args.db, readonly=True) as store:
        row, doc = document(store, args.decision_id)
        if row["status"] == "signed":
            data = signed_pdf(store, args.decision_id)
        else:
            if args.doc_lang:
                doc.langs = tuple(args.doc_lang.split("+"))
            data = render_document(doc)
    tmp = args.out.with_name(f".{args.out.name}.part")
    tmp.write_bytes(data)
    tmp.replace(args.out)
    print(f"{args.out} ({row['status']})")
    return EXIT_OK


def _sign(args, tr: Translator) -> int:
    from desktop.domain.catalogue import load_catalogue  # noqa: F401 - catalogue errors surface early
    from desktop.store.db import open_store
    from desktop.store.decisions import sign_decision
    with open_store(args.db) as store:
        user = login(store, args.user, tr)
        if user is None:
            return EXIT_ERROR
        import getpass
        p12_password = os.environ.get("COMMUNE_POLICE_PKCS12_PASSWORD") or getpass.getpass(f"{args.pkcs12.name}: ")
        number = sign_decision(store, user, args.decision_id, args.pkcs12, p12_password)
        year = store.scalar("SELECT year FROM decision WHERE id = ?", (args.decision_id,))
    print(tr("sign.signed", number=f"{number}/{year}"))
    return EXIT_OK


def _verify(args, tr: Translator) -> int:
    from cryptography import x509
    from reports.signing import SigningError, verify_pdf
    roots = []
    if args.ca:
        roots.append(x509.load_pem_x509_certificate(args.ca.read_bytes()))
    elif getattr(args, "db", None):
        from desktop.store.db import open_store
        with open_store(args.db, readonly=True) as store:
            pem = store.meta("ca_pem")
        if pem:
            roots.append(x509.load_pem_x509_certificate(pem.encode()))
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise SigningError("pdf_unreadable", str(exc)) from exc
    result = verify_pdf(data, roots or None)
    if not result.signed:
        print(tr("sign.verify_unsigned"))
        return EXIT_PROBLEMS
    print(f"{tr('sign.signer')}: {result.signer}\n{tr('sign.signed_at')}: {result.signed_at}")
    if result.ok:
        print("OK — " + tr("sign.verify_ok") + ("" if result.trusted else f" ({tr('sign.trust_not_checked')})"))
        return EXIT_OK
    print(tr("sign.verify_failed"))
    for problem in result.problems:
        print(f"  - {problem}")
    return EXIT_PROBLEMS


def delegation_command(args, tr: Translator) -> int:
    from datetime import date
    from desktop.store.db import open_store
    from desktop.store.decisions import add_delegation, withdraw_delegation
    if args.delegation_command == "list":
        with open_store(args.db, readonly=True) as store:
            rows = store.query("SELECT d.id, d.number, d.decided_on, d.legal_basis, d.scope_fields, d.valid_from,"
                               " d.valid_to, d.withdrawn_on, u.username FROM delegation d JOIN [user] u ON u.id = d.delegate_id"
                               " ORDER BY d.decided_on")
        for r in rows:
            state = f"withdrawn {r['withdrawn_on']}" if r["withdrawn_on"] else f"{r['valid_from']} → {r['valid_to'] or '…'}"
            print(f"{r['number']:>8}  {r['username']:14} {r['legal_basis']}  {','.join(json.loads(r['scope_fields'])):30} {state}  {r['id']}")
        print(f"{len(rows)} delegation(s)")
        return EXIT_OK
    with open_store(args.db) as store:
        user = login(store, args.user, tr)
        if user is None:
            return EXIT_ERROR
        if args.delegation_command == "withdraw":
            withdraw_delegation(store, user, args.delegation_id, date.today(), args.reason)
            print("OK")
            return EXIT_OK
        delegate = store.query("SELECT id FROM [user] WHERE username = ?", (args.delegate.lower(),))
        if not delegate:
            print(f"--delegate: unknown account {args.delegate!r}", file=sys.stderr)
            return EXIT_ERROR
        from desktop.store.users import get_user
        try:
            decided = date.fromisoformat(args.date)
            until = date.fromisoformat(args.until) if args.until else None
        except ValueError as exc:
            print(f"date: YYYY-MM-DD ({exc})", file=sys.stderr)
            return EXIT_ERROR
        fields = [f.strip() for f in args.fields.split(",") if f.strip()]
        from desktop.domain.catalogue import load_catalogue
        catalogue = load_catalogue()
        unknown = [f for f in fields if f != "*" and not catalogue.has_field(f)]
        if unknown or not fields:
            print(f"--fields: unknown police field(s) {', '.join(unknown) or '(none given)'}", file=sys.stderr)
            return EXIT_ERROR
        delegation_id = add_delegation(store, user, get_user(store, delegate[0]["id"]), args.number, decided, args.basis,
                                       fields, args.scope_ar, args.scope_fr, args.capacity_ar, args.capacity_fr,
                                       decided, until)
    print(delegation_id)
    return EXIT_OK


def complaints_command(args, tr: Translator) -> int:
    from desktop.domain.catalogue import load_catalogue
    from desktop.store.complaints import export_open311, import_open311
    from desktop.store.db import open_store
    catalogue = load_catalogue()
    if args.complaints_command == "export":
        with open_store(args.db, readonly=True) as store:
            n = export_open311(store, catalogue, args.out)
        print(f"{args.out}: {n} service requests")
        return EXIT_OK
    with open_store(args.db) as store:
        user = login(store, args.user, tr)
        if user is None:
            return EXIT_ERROR
        n = import_open311(store, user, catalogue, args.file)
    print(f"{n} complaints imported")
    return EXIT_OK


def problem_text(code: str, tr: Translator, **params) -> str:
    """A complaint, programme or validation code in the user's language."""
    for prefix in ("c.", "v."):
        text = tr(prefix + code, **params)
        if text != prefix + code:
            return text
    return code


# Form fields a complaint problem can name, and the label the intake form shows for each.
FORM_LABELS = {"channel": "cp.channel", "reference": "cp.reference", "received_on": "cp.received",
               "field_code": "ui.field", "complainant": "cp.complainant", "description": "cp.description",
               "location": "cp.location"}


def complaint_message(exc, tr: Translator) -> str:
    text = problem_text(exc.code, tr, **{k: v for k, v in exc.params.items() if k not in ("problems", "field")})
    details = exc.params.get("problems") or []
    if details and details[0][1] == exc.code and details[0][0] in FORM_LABELS:
        text = f"{tr(FORM_LABELS[details[0][0]])}: {text}"  # the headline is the first problem
        details = details[1:]
    lines = []
    for problem in details[:50]:
        label, code, reference = (*problem, "")[:3] if len(problem) >= 2 else ("", problem[0], "")
        label = tr(FORM_LABELS[label]) if label in FORM_LABELS else label
        lines.append(f"\n  - {label}{f' ({reference})' if reference else ''}: {problem_text(code, tr, reference=reference)}")
    return text + "".join(lines)
