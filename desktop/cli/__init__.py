"""Command line: ``commune-police [--db PATH]`` starts the GUI; subcommands work headless.

Each verb lives in its own module of this package, which registers its subparser next to its
handler (``register(sub)``; the handler is the parser's ``run`` default). Handlers import what
they need when they run, so that starting the GUI does not pay for every engine, and every
command runs on a machine without a display or Qt's system libraries (except ``map``, which
draws offscreen).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from desktop.cli import (admin, complaints, conflicts, decisions, delegations, encryption, geo, hub, network, privacy,
                         reports, sync, users)
from desktop.cli.common import EXIT_ERROR, VersionAction, unlock_database
from desktop.i18n import LANGUAGES, Translator

COMMANDS = (admin, geo, decisions, users, reports, complaints, delegations, privacy, encryption, sync, hub, conflicts,
            network)  # last: adds `hub serve`, `hub publish`, `device enroll` and `sync --db` to the verbs above
ENV_LANG = "COMMUNE_POLICE_LANG"   # language of the CLI's messages

log = logging.getLogger("commune_police")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="commune-police",
                                description="Administrative police desk of a Moroccan commune.")
    p.add_argument("--db", type=Path, help="commune database (default: the last one opened, else the first-start"
                   " dialog)")
    p.add_argument("--version", action=VersionAction)
    p.add_argument("--lang", choices=LANGUAGES, default=os.environ.get(ENV_LANG, "fr"),
                   help="language of messages (the GUI has its own setting)")
    sub = p.add_subparsers(dest="command")
    for module in COMMANDS:
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tr = Translator(args.lang)
    if args.command in (None, "gui"):
        from desktop.ui.app import run_gui  # Qt only from here on
        return run_gui(args.db)  # None: the remembered database, or the first-start dialog
    from desktop.services.messages import message_for
    try:
        if args.command not in ("init", "demo"):  # those create the database
            unlock_database(args, tr)
        return args.run(args, tr)
    except KeyboardInterrupt:
        print(tr("cli.interrupted"), file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        message = message_for(exc, tr)
        if message is None:
            raise  # a bug: Python prints the traceback, nothing is dressed up as a refusal
        print(message, file=sys.stderr)
        return EXIT_ERROR
