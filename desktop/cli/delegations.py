"""``commune-police delegation list|add|withdraw``: delegations of signature (Law 113-14
arts. 103 and 236)."""
from __future__ import annotations

from desktop.cli.common import EXIT_OK, acting_as, db_arg, iso_date
from desktop.i18n import Translator


def register(sub) -> None:
    sp = sub.add_parser("delegation", help="delegations of signature (Law 113-14 arts. 103 and 236)")
    dsub = sp.add_subparsers(dest="delegation_command", required=True)
    dl = dsub.add_parser("list", help="delegations, in force or not")
    db_arg(dl)
    dl.set_defaults(run=list_all)
    da = dsub.add_parser("add", help="record a delegation decision (the president's password is asked)")
    db_arg(da)
    da.add_argument("--delegate", required=True, help="the delegate's username")
    da.add_argument("--number", required=True, help="number of the delegation decision, e.g. 3/2026")
    da.add_argument("--date", required=True, help="date of the delegation decision, YYYY-MM-DD")
    da.add_argument("--basis", choices=("art103", "art236"), required=True,
                    help="art103: a vice-president; art236: an arrondissement president")
    da.add_argument("--fields", required=True, help="police fields covered, comma-separated catalogue codes (no *: art. 103)")
    da.add_argument("--scope-ar", required=True)
    da.add_argument("--scope-fr", required=True)
    da.add_argument("--capacity-ar", required=True)
    da.add_argument("--capacity-fr", required=True)
    da.add_argument("--until", help="end of validity, YYYY-MM-DD")
    da.add_argument("--bo-number", default="", help="number of the BO-CT that published it (art. 277)")
    da.add_argument("--bo-date", help="date of that BO-CT, YYYY-MM-DD")
    da.add_argument("--district", help="art. 236: the arrondissement's id (default: the delegate's own)")
    da.add_argument("--user", default="president")
    da.set_defaults(run=add)
    dp = dsub.add_parser("publish", help="record a delegation's publication in the BO-CT (art. 277)")
    dp.add_argument("delegation_id")
    db_arg(dp)
    dp.add_argument("--bo-number", required=True)
    dp.add_argument("--bo-date", required=True, help="YYYY-MM-DD")
    dp.add_argument("--user", default="president")
    dp.set_defaults(run=publish)
    dw = dsub.add_parser("withdraw", help="withdraw a delegation, with its reasons (art. 236)")
    dw.add_argument("delegation_id")
    db_arg(dw)
    dw.add_argument("--reason", required=True)
    dw.add_argument("--user", default="president")
    dw.set_defaults(run=withdraw)


def list_all(args, tr: Translator) -> int:
    from desktop.store.db import open_store
    from desktop.store.delegations import list_delegations
    with open_store(args.db, readonly=True) as store:
        rows = list_delegations(store)
    for r in rows:
        state = (tr("cli.withdrawn", date=r["withdrawn_on"]) if r["withdrawn_on"]
                 else f"{r['valid_from']} → {r['valid_to'] or '…'}")
        print(f"{r['number']:>8}  {r['username']:14} {r['legal_basis']}  {','.join(r['scope_fields']):30} {state}  {r['id']}")
    print(tr("cli.delegations_count", n=len(rows)))
    return EXIT_OK


def add(args, tr: Translator) -> int:
    from desktop.services.accounts import add_delegation
    decided = iso_date(args.date, "--date")
    until = iso_date(args.until, "--until")
    fields = [f.strip() for f in args.fields.split(",") if f.strip()]
    with acting_as(args, args.user, tr) as commune:
        delegation_id = add_delegation(commune, args.delegate, args.number, decided, args.basis, fields, args.scope_ar,
                                       args.scope_fr, args.capacity_ar, args.capacity_fr, until, args.bo_number,
                                       iso_date(args.bo_date, "--bo-date"), args.district)
    print(delegation_id)
    return EXIT_OK


def publish(args, tr: Translator) -> int:
    from desktop.services.accounts import record_publication
    published = iso_date(args.bo_date, "--bo-date")
    with acting_as(args, args.user, tr) as commune:
        record_publication(commune, args.delegation_id, args.bo_number, published)
    print(tr("cli.done"))
    return EXIT_OK


def withdraw(args, tr: Translator) -> int:
    from desktop.services.accounts import withdraw_delegation
    with acting_as(args, args.user, tr) as commune:
        withdraw_delegation(commune, args.delegation_id, args.reason)
    print(tr("cli.done"))
    return EXIT_OK
