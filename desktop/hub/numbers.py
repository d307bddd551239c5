"""Register numbers, taken only at the hub: one counter per (series, year), a number reserved for
one document (by its id) in one transaction, unique and gap-free across every device.

A reservation is idempotent: the same document asking again (its signing station lost the answer,
or its signature failed and is tried again) gets the number it already holds, so a retry neither
skips nor doubles a number. The counter row is locked by the upsert, so concurrent reservations
queue on it and each commits the next number."""
from __future__ import annotations

from typing import Any

import psycopg

from datetime import date, datetime, timedelta

from desktop.domain.errors import Refusal
from desktop.domain.ids import LOCAL_TZ
from desktop.domain.ladder import SERIES, document_series

SCHEMA = """
CREATE TABLE IF NOT EXISTS register_counter (
    series text NOT NULL, year integer NOT NULL, last integer NOT NULL,
    PRIMARY KEY (series, year));
CREATE TABLE IF NOT EXISTS register_number (
    series text NOT NULL, year integer NOT NULL, number integer NOT NULL CHECK (number > 0),
    document_id text NOT NULL, device_id text NOT NULL, user_name text NOT NULL,
    reserved_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (series, year, number), UNIQUE (series, document_id));
"""


def ensure_schema(conn: Any) -> None:
    """Create the numbering tables if missing; the first time, take over the numbers the commune
    already gave (its signed documents, copied in by ``init_hub``), series by series (arrêtés,
    notices, letters: ``ladder.SERIES``): each year's counter continues from them, so the hub never
    hands out a number the register already holds."""
    with conn.transaction():
        fresh = conn.execute("SELECT to_regclass('register_counter') IS NULL").fetchone()[0]
        conn.execute(SCHEMA)
        has_decisions = conn.execute("SELECT to_regclass('decision') IS NOT NULL").fetchone()[0]
        if fresh and has_decisions:
            conn.execute(
                "INSERT INTO register_number (series, year, number, document_id, device_id, user_name)"
                " SELECT series, year, number, id, coalesce(device_id, ''), coalesce(signed_by, '') FROM decision"
                " WHERE number IS NOT NULL AND year IS NOT NULL")
            conn.execute("INSERT INTO register_counter (series, year, last) SELECT series, year, max(number)"
                         " FROM decision WHERE number IS NOT NULL AND year IS NOT NULL GROUP BY series, year")


def reserve(conn: Any, series: str, year: int, document_id: str, device_id: str, user_name: str) -> int:
    """The number of ``document_id`` in ``series``: the one it holds (whatever the year asked), else
    the next one of ``year``, committed before returning (``conn``: psycopg, not in a transaction)."""
    if series not in SERIES:
        raise Refusal("net.bad_request")
    for _ in range(3):
        try:
            return _reserve_once(conn, series, year, document_id, device_id, user_name)
        except psycopg.errors.UniqueViolation:
            continue  # the same document reserved concurrently: its number is there now
    raise RuntimeError("register number: reservation kept colliding")


def _reserve_once(conn: Any, series: str, year: int, document_id: str, device_id: str, user_name: str) -> int:
    with conn.transaction():
        held = conn.execute("SELECT number FROM register_number WHERE series = %s AND document_id = %s",
                            (series, document_id)).fetchone()
        if held is not None:
            return int(held[0])
        number = conn.execute(
            "INSERT INTO register_counter (series, year, last) VALUES (%s, %s, 1)"
            " ON CONFLICT (series, year) DO UPDATE SET last = register_counter.last + 1 RETURNING last",
            (series, year)).fetchone()[0]
        conn.execute("INSERT INTO register_number (series, year, number, document_id, device_id, user_name)"
                     " VALUES (%s, %s, %s, %s, %s, %s)", (series, year, number, document_id, device_id, user_name))
        return int(number)


MAX_DOCUMENT_ID = 64  # a document's id (a uuid7: 36 characters)


def check_request(conn: Any, series: str, year: int, document_id: str, today: date | None = None) -> None:
    """A device's reservation (``POST /numbers``) as the signing station asks it: for a document
    signed now (this year's register, a day's clock difference allowed at the turn of the year),
    of a known series, and, when the hub holds the document already, a draft of a known kind of
    that series (``ladder.document_series``); anything else is refused and no number is taken."""
    today = today or datetime.now(LOCAL_TZ).date()
    if year not in {(today - timedelta(days=1)).year, today.year, (today + timedelta(days=1)).year}:
        raise Refusal("net.number_year", year=year, current=today.year)
    if series not in SERIES or not document_id.strip() or len(document_id) > MAX_DOCUMENT_ID:
        raise Refusal("net.bad_request")
    if conn.execute("SELECT to_regclass('decision') IS NULL").fetchone()[0]:
        return
    held = conn.execute("SELECT kind, status, deleted_at FROM decision WHERE id = %s", (document_id,)).fetchone()
    if held is None:
        return  # drafted on the signing station and not synced yet
    from reports.documents import load_templates  # noqa: PLC0415 - the document kinds, on first use
    kind, status, deleted = held
    if kind not in load_templates()["documents"] or document_series(kind) != series or status != "draft" \
            or deleted is not None:
        raise Refusal("net.number_document", kind=kind, series=series)


def numbers(conn: Any, series: str, year: int) -> list[tuple[int, str]]:
    """(number, document id) of a series' year, in order."""
    rows = conn.execute("SELECT number, document_id FROM register_number WHERE series = %s AND year = %s"
                        " ORDER BY number", (series, year)).fetchall()
    return [(int(n), d) for n, d in rows]
