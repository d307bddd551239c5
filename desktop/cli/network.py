"""``hub serve``, ``hub publish``, ``device enroll``, ``sync``: the commune hub over the network.

The ``hub`` and ``sync`` verbs are shared with the file transport's commands (``hub init``,
``sync export``…, registered by their own module): this one adds its sub-verbs to the same parsers.
``sync --db DB`` alone pushes then pulls over the network."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from desktop.cli.common import ENV_PASSWORD, EXIT_OK, db_arg, secret
from desktop.domain.errors import Refusal
from desktop.i18n import Translator


def group(sub, name: str, help_text: str) -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """The top-level verb ``name`` (made if no module made it yet) and its sub-verbs' action."""
    parser = sub.choices.get(name) or sub.add_parser(name, help=help_text)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return parser, action
    return parser, parser.add_subparsers(dest=f"{name}_command")


def register(sub) -> None:
    _hub, hsub = group(sub, "hub", "the commune hub (PostgreSQL)")
    sp = hsub.add_parser("serve", help="serve the hub over HTTPS (plain HTTP on the loopback only)")
    sp.add_argument("--pg", required=True, help="the hub's PostgreSQL URL")
    sp.add_argument("--listen", default="127.0.0.1:8443", help="HOST:PORT (default 127.0.0.1:8443)")
    sp.add_argument("--tls-cert", help="the commune's certificate (PEM)")
    sp.add_argument("--tls-key", help="its private key (PEM)")
    sp.add_argument("--workers", type=int, default=None,
                    help="worker processes (default: one per CPU, here %d)" % (os.cpu_count() or 1))
    sp.set_defaults(run=serve)
    sp = hsub.add_parser("publish", help="publish the hub's tables (no personal data) for the province")
    sp.add_argument("--pg", required=True)
    sp.add_argument("--commune", required=True, help="the commune's name (names the publication)")
    sp.set_defaults(run=publish)

    _dev, dsub = group(sub, "device", "this device and its hub")
    sp = dsub.add_parser("enroll", help="enrol a new device database with a hub and pull its slice"
                         f" (password asked, or {ENV_PASSWORD})")
    db_arg(sp)
    sp.add_argument("--hub", required=True, help="the hub's URL, https://HOST:PORT")
    sp.add_argument("--user", required=True)
    sp.add_argument("--district", help="the arrondissement whose slice this device holds")
    sp.add_argument("--no-encrypt", action="store_true",
                    help="keep the replica in clear (by default it is encrypted under the user's password)")
    sp.add_argument("--fingerprint", help="the SHA-256 fingerprint of the hub's certificate, as the commune gives"
                    " it: enrolment refused if the hub shows another (else asked to confirm at a terminal)")
    sp.set_defaults(run=enroll)

    sync_parser, _ssub = group(sub, "sync", "synchronise with the hub (push, then pull)")
    if not any(a.dest == "db" for a in sync_parser._actions):
        db_arg(sync_parser, required=False)
    sync_parser.set_defaults(run=sync_network)


def serve(args, tr: Translator) -> int:
    from desktop.hub.serve import check_listen, serve as run_server
    check_listen(args.listen, args.tls_cert, args.tls_key)  # refused before anything starts
    if args.workers is not None and args.workers < 1:
        raise Refusal("net.bad_workers", workers=args.workers)
    scheme = "https" if args.tls_cert else "http"
    print(tr("net.serving", url=f"{scheme}://{args.listen}"), file=sys.stderr)
    run_server(args.pg, args.listen, args.tls_cert, args.tls_key, workers=args.workers)
    return EXIT_OK


def publish(args, tr: Translator) -> int:
    import psycopg

    from desktop.hub import replication
    name = replication.publication_name(args.commune)
    with psycopg.connect(args.pg, autocommit=True) as conn:
        tables = replication.publish(conn, name)
    print(tr("net.published", name=name, tables=", ".join(tables)))
    return EXIT_OK


_YES = frozenset({"o", "oui", "y", "yes", "ن", "نعم"})


def _bare(fingerprint: str) -> str:
    return "".join(c for c in fingerprint.upper() if c in "0123456789ABCDEF")


def _trust(shown: str | None, expected: str | None, tr: Translator) -> None:
    """The hub's certificate, pinned from now on, is the commune's: its fingerprint is the one
    given (``--fingerprint``, colons and case aside), or, at a terminal, confirmed by the person
    enrolling (a machine in the middle at the first contact would else be pinned for good).
    A script without ``--fingerprint`` enrols as before."""
    if expected is not None:
        if shown is None or _bare(shown) != _bare(expected):
            raise Refusal("net.fingerprint_mismatch", found=shown or "—", expected=expected)
        return
    if shown and sys.stdin.isatty():
        try:
            answer = input(tr("net.fingerprint_confirm"))
        except EOFError:
            answer = ""
        if answer.strip().lower() not in _YES:
            raise Refusal("net.fingerprint_not_confirmed")


def enroll(args, tr: Translator) -> int:
    from desktop.services import netsync
    certificate, fp = netsync.hub_fingerprint(args.hub)
    if fp:
        print(tr("net.fingerprint", fingerprint=fp))
    _trust(fp, args.fingerprint, tr)
    password = secret(ENV_PASSWORD, f"{args.user} — {tr('ui.password')}: ")
    result = netsync.enroll_device(Path(args.db), args.hub, args.user, password, args.district, certificate,
                                   encrypt=not args.no_encrypt)
    from desktop.domain.complaints import device_code
    device = result.status.get("device_id", "")
    print(tr("net.enrolled", device=device, code=device_code(device) if device else "—", url=args.hub,
             user=args.user, rows=result.pull.get("rows", 0)))  # the code: as «Appareils» names the device
    return EXIT_OK


def sync_network(args, tr: Translator) -> int:
    from desktop.domain.errors import Refusal
    from desktop.services import netsync
    if getattr(args, "db", None) is None:
        raise Refusal("sync.db_required")
    result = netsync.sync_now(Path(args.db))
    print(netsync.receipt_line(result, tr))
    return EXIT_OK
