"""Personal data (Law 09-08): how long it is kept, and who takes it out of the application.

Art. 3 of the law: personal data is kept no longer than the purposes for which it was collected.
``purge`` erases the personal fields of files that are closed and older than the commune's
retention period: the owner's name and identity number of a site with no open case and no activity
since the cut-off date; a closed complaint's complainant, contact, description, answer letter and
place text, and its attachments (scanned letters); inspection drafts left unsubmitted since then. The erasure is journaled (how many rows, the
cut-off, by whom), the tables resealed so that ``check`` stays OK, and the file rewritten (WAL
checkpoint and VACUUM, with ``secure_delete``) so that the values are gone from the disk too. The
copies of the database the application made beside it (before a pull, before a migration) hold the
values as they were: the purge overwrites and removes them (``app_copies``). On an enrolled device
the ops it already sent keep the values until the hub has applied the erasure: the receipt that
says so scrubs them from the outbox (``scrub_outbox``) and the file is rewritten again.

Exports that carry personal data (owners, identity numbers, complainants) are allowed to the roles
with ``personal.export`` only, and each one is journaled: who, what, how many rows.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from desktop.domain.auth import require
from desktop.domain.erasure import ERASED
from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now
from desktop.store import keys, outbox
from desktop.store.db import Store, Transaction
from desktop.store.users import User

CLOSED_COMPLAINTS = ("answered", "rejected", "merged", "forwarded")

# A site's owner is erased when no case of the site is open and nothing happened there since the
# cut-off (no inspection, no case closed).
_SITES = """
    SELECT s.id FROM site s
    WHERE s.deleted_at IS NULL AND (s.owner_name != '' OR s.owner_id_number != '')
      AND NOT EXISTS (SELECT 1 FROM case_file c WHERE c.site_id = s.id AND c.deleted_at IS NULL
                      AND (c.status = 'open' OR coalesce(c.closed_on, '') >= :day))
      AND NOT EXISTS (SELECT 1 FROM inspection i WHERE i.site_id = s.id AND i.inspected_at >= :before)
"""
_COMPLAINTS = f"""
    SELECT id FROM complaint
    WHERE deleted_at IS NULL AND status IN ({", ".join(f"'{s}'" for s in CLOSED_COMPLAINTS)})
      AND coalesce(answered_on, received_on) < :day
      AND (complainant_name != '' OR complainant_contact != '' OR description != '' OR answer_text != ''
           OR location_text != '')
"""


@dataclass
class PurgeCounts:
    before: date
    sites: int = 0
    complaints: int = 0
    attachments: int = 0
    drafts: int = 0
    dry_run: bool = True
    copies: int = 0  # the application's own copies of the database removed (``app_copies``)


def retention_cutoff(store: Store, today: date | None = None) -> date | None:
    """The cut-off date from the commune's retention period (``meta`` ``retention_years``), or None."""
    years = store.meta("retention_years")
    if not years:
        return None
    return (today or date.today()) - timedelta(days=round(365.25 * int(years)))


def set_retention(store: Store, actor: User, years: int) -> None:
    require(actor.role, "privacy.purge")
    if not 1 <= years <= 100:
        raise Refusal("retention_years", years=years)
    with store.transaction(actor.id) as tx:
        tx.set_meta("retention_years", str(years))


def purge(store: Store, actor: User, before: date, *, dry_run: bool = False) -> PurgeCounts:
    """Erase the personal fields of closed files older than ``before``; with ``dry_run`` only count."""
    require(actor.role, "privacy.purge")
    if before > date.today():
        raise Refusal("purge_future", date=before.isoformat())
    args = {"before": before.isoformat(), "day": before.isoformat()}
    sites = [r[0] for r in store.conn.execute(_SITES, args)]
    complaints = [r[0] for r in store.conn.execute(_COMPLAINTS, args)]
    files = store.query(
        "SELECT id, sha256 FROM attachment WHERE owner_type = 'complaint' AND deleted_at IS NULL AND owner_id IN"
        " (SELECT value FROM json_each(?))", (json.dumps(complaints),))
    drafts = [r[0] for r in store.conn.execute(  # forms never submitted: they can hold an owner's identity
        "SELECT id FROM draft WHERE updated_at < ? AND payload != '{}'", (before.isoformat(),))]
    counts = PurgeCounts(before, len(sites), len(complaints), len(files), len(drafts), dry_run)
    if not (sites or complaints or files or drafts):
        return counts
    counts.copies = len(app_copies(store.path))
    if dry_run:
        return counts
    store.conn.execute("PRAGMA secure_delete = ON")  # freed space is zeroed, not left behind
    note = f"retention purge (Law 09-08 art. 3), files closed before {before.isoformat()}"
    if store.sync_capture:  # an enrolled station: erased row by row, each file its own command
        _erase_for_hub(store, actor, sites, complaints, files)
    with store.transaction(actor.id) as tx:
        now = utc_now()
        if not store.sync_capture:
            _erase_in_bulk(tx, actor, now, note, sites, complaints, files)
        tx.bulk_write("draft", "UPDATE draft SET payload = '{}', deleted_at = coalesce(deleted_at, ?), updated_at = ?,"
                      " updated_by = ?, version = version + 1 WHERE id IN (SELECT value FROM json_each(?))",
                      (now, now, actor.id, json.dumps(drafts)), note=note)
        tx.event("privacy", "purge", {"before": before.isoformat(), "sites": len(sites), "drafts": len(drafts),
                                      "complaints": len(complaints), "attachments": len(files)})
    remove_letters(store, [f["sha256"] for f in files])
    compact(store)
    for copy in app_copies(store.path):
        _shred(copy)
        _shred(keys.sidecar(copy))
    return counts


def remove_letters(store: Store, shas: list[str]) -> int:
    """Remove the stored files (an erased complaint's scanned letters) that no live row needs."""
    gone = [sha for sha in dict.fromkeys(shas) if sha and not store.scalar(
        "SELECT 1 FROM attachment WHERE sha256 = ? AND deleted_at IS NULL", (sha,))]
    for sha in gone:
        store.attachments.remove(sha)
    return len(gone)


def app_copies(db_path: Path) -> list[Path]:
    """The copies of the database the application made beside it, which hold the values as they were:
    the copy before the last pull (``sync.backup_before_pull``: ``<db>.before-pull``), the copies
    before a schema migration (``db.backup_path``: ``<stem>.backup-vN-<time><suffix>``), a copy
    left half-written (each with its key file when the commune is encrypted)."""
    db_path = Path(db_path)
    found = [db_path.with_name(db_path.name + n) for n in (".before-pull", ".before-pull.part")]
    found += sorted(db_path.parent.glob(f"{db_path.stem}.backup-v*{db_path.suffix}"))
    return [p for p in found if p.is_file() and p != db_path]


def _shred(path: Path) -> None:
    """Overwrite a file with zeros, then remove it (what ``secure_delete`` does to SQLite's freed
    pages; a flash disk may still keep the old blocks: the commune's data is encrypted at rest)."""
    if not path.is_file():
        return
    try:
        size = path.stat().st_size
        with open(path, "r+b") as fh:
            for start in range(0, size, 1 << 20):
                fh.write(bytes(min(1 << 20, size - start)))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        pass
    path.unlink(missing_ok=True)


def _erase_in_bulk(tx: Transaction, actor: User, now: str, note: str, sites: list[str], complaints: list[str],
                   files: list[dict]) -> None:
    """The erasure on a standalone commune: one set-based write per table."""
    for table, ids in (("site", sites), ("complaint", complaints)):
        sets = ", ".join(f"{c} = '{v}'" for c, v in ERASED[table].items())
        tx.bulk_write(table, f"UPDATE {table} SET {sets}, updated_at = ?, updated_by = ?, version = version + 1"
                      " WHERE id IN (SELECT value FROM json_each(?))", (now, actor.id, json.dumps(ids)), note=note)
    for f in files:
        tx.tombstone("attachment", f["id"])


def _erase_for_hub(store: Store, actor: User, sites: list[str], complaints: list[str], files: list[dict]) -> None:
    """The erasure on a station enrolled at a hub: row by row, each as an op that carries no erased
    value (``Transaction.update(erase=True)``), which the hub applies and scrubs from what it keeps;
    a site, or a complaint with its scanned letters, per transaction (the hub refuses one whose
    file changed since it was read here without refusing the others)."""
    letters: dict[str, list[str]] = {}
    for f in store.query("SELECT id, owner_id FROM attachment WHERE id IN (SELECT value FROM json_each(?))",
                         (json.dumps([f["id"] for f in files]),)):
        letters.setdefault(f["owner_id"], []).append(f["id"])
    for table, ids in (("site", sites), ("complaint", complaints)):
        for row_id in ids:
            with store.transaction(actor.id) as tx:
                tx.update(table, row_id, ERASED[table], erase=True)
                for attachment in letters.get(row_id, []) if table == "complaint" else []:
                    tx.tombstone("attachment", attachment)


def scrub_outbox(store: Store, rewrite: bool = False) -> dict:
    """After a receipt, or a pull that listed erasures new to this device: the erased values out of
    the acknowledged ops and reported conflicts of each row whose erasure the hub has now applied
    (``outbox.redact_erased``, one journaled transaction recording how many and by which erasures),
    then the file rewritten (``compact``) and the application's copies beside it removed
    (``app_copies``) when any was, or when ``rewrite`` (the pull overwrote an erased row: its old
    values are in the freed pages and in the copy made before the pull)."""
    with store.transaction(None) as tx:
        done = outbox.redact_erased(tx.conn)
        if done["ops"] or done["conflicts"]:
            tx.event("privacy", "outbox_redacted", done)
    if done["ops"] or done["conflicts"] or rewrite:
        store.conn.execute("PRAGMA secure_delete = ON")
        compact(store)  # the old values left in the WAL and the freed pages: the file rebuilt
        for copy in app_copies(store.path):  # made before this receipt: they hold the ops unscrubbed
            _shred(copy)
            _shred(keys.sidecar(copy))
    return done


def compact(store: Store) -> None:
    """Rewrite the file so that erased values leave no trace: the WAL copied in and emptied, the
    database rebuilt (VACUUM), the WAL emptied again."""
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.conn.execute("VACUUM")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def journal_export(store: Store, actor: User | None, what: str, rows: int, personal: bool, who: str = "") -> None:
    """A personal-data export is allowed to ``personal.export`` roles only and is journaled (who,
    what, how many rows); other exports are journaled too when the database is writable."""
    if personal:
        if actor is None:
            raise Refusal("export_login_required")
        require(actor.role, "personal.export")
    if store.readonly:
        if personal:
            raise Refusal("export_needs_journal")
        return
    with store.transaction(actor.id if actor else None) as tx:
        tx.event("export", what, {"rows": rows, "personal": personal, **({"who": who} if who else {})})

