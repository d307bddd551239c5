"""The USB stick's files (``usbsync``), attacked: an old hub file read in again (it would undo newer
rows and an erasure), a truncated file or another device's, an export that cannot be written or
that would replace the commune's own database."""
import os
from pathlib import Path
from datetime import date


from desktop.domain.errors import Refusal
from desktop.hub.pull import export_for_device
from desktop.services import privacy, sync, usbsync
from tests.builders import make_site
from tests.desktop.hub.helpers import assert_check_ok, device, new_device, push, sync_device
from tests.desktop.hub.test_erase_device import _on_disk

CIN = "BK778899"
READ_ONLY = Path("/tmp/rv/ro")  # ``mount -t tmpfs -o ro tmpfs /tmp/rv/ro`` (root): a write-protected stick


def _read_only_mount() -> bool:
    try:
        return any(line.split()[1] == str(READ_ONLY) and "ro" in line.split()[3].split(",")
                   for line in Path("/proc/mounts").read_text().splitlines())
    except OSError:
        return False


def test_an_old_file_of_this_device_read_in_again_does_not_undo_newer_rows_or_an_erasure(team, tmp_path):
    """The hub's file for this device (F1), taken to it, then a network sync that brought newer rows
    and a Law 09-08 erasure; F1, still on the stick, read in again by mistake."""
    admin = new_device(team, tmp_path, "admin")
    with device(admin) as c:
        owned = make_site(c.store, owner_name="Owner Old", owner_id_kind="cin", owner_id_number=CIN,
                          district_id=team.districts[0])
    with device(admin, "admin") as c, c.store.transaction(c.user.id) as tx:
        tx.update("site", team.sites[0], {"address": "v1"})
    push(admin, team.pg_url)
    tablet = new_device(team, tmp_path, "coord", "coordtab")
    with device(tablet) as c:
        tablet_id = sync.status(c)["device_id"]
    f1 = tmp_path / "F1.bundle"
    f1.write_bytes(export_for_device(team.pg_url, tablet_id))
    usbsync.import_file(tablet, f1)  # read in once, as it should be
    with device(admin, "admin") as c:
        with c.store.transaction(c.user.id) as tx:
            tx.update("site", team.sites[0], {"address": "v2"})
        assert privacy.purge(c.store, c.user, date.today()).sites >= 1
    push(admin, team.pg_url)
    sync_device(tablet, team.pg_url)
    with device(tablet) as c:
        before = (sync.status(c)["cursor"], c.store.scalar("SELECT address FROM site WHERE id = ?", (team.sites[0],)),
                  c.store.scalar("SELECT owner_id_number FROM site WHERE id = ?", (owned,)))
    assert before[1:] == ("v2", "") and _on_disk(tablet, CIN) == []
    try:
        outcome = usbsync.import_file(tablet, f1)["pull"]  # the same old file, again
    except Refusal as exc:
        outcome = exc.key
    with device(tablet) as c:
        after = (sync.status(c)["cursor"], c.store.scalar("SELECT address FROM site WHERE id = ?", (team.sites[0],)),
                 c.store.scalar("SELECT owner_id_number FROM site WHERE id = ?", (owned,)))
    print("before", before, "import", outcome, "after", after, "files with the CIN", _on_disk(tablet, CIN))
    assert after == before and _on_disk(tablet, CIN) == []


def test_a_truncated_file_or_anothers_is_a_refusal_and_changes_nothing(team, tmp_path):
    tablet, other = new_device(team, tmp_path, "agent1"), new_device(team, tmp_path, "agent2")
    with device(other) as c:
        other_id = sync.status(c)["device_id"]
    with device(tablet) as c:
        tablet_id = sync.status(c)["device_id"]
    whole = export_for_device(team.pg_url, tablet_id)
    files = {"other": export_for_device(team.pg_url, other_id), "truncated": whole[: len(whole) // 2],
             "empty": b"", "garbage": b"\x00\xff" * 10}
    with device(other, "agent2") as c:  # another device's push bundle
        make_site(c.store, name="x", district_id=team.districts[1])
        files["a push"] = sync.make_bundle(c)
    tablet.read_bytes()  # (readable before)
    got = {}
    for name, data in files.items():
        path = tmp_path / f"{name}.bundle"
        path.write_bytes(data)
        try:
            usbsync.import_file(tablet, path)
            got[name] = "applied"
        except Refusal as exc:
            got[name] = exc.key
        except Exception as exc:  # noqa: BLE001
            got[name] = f"CRASH {type(exc).__name__}"
    print("answers", got)
    assert_check_ok(tablet)
    assert all(v != "applied" and not v.startswith("CRASH") for v in got.values()), got


def test_an_export_that_cannot_be_written_keeps_the_ops_pending_and_the_next_one_is_ingested(team, tmp_path):
    from desktop.hub import ingest
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        make_site(c.store, name="pending", district_id=team.districts[0])
        pending = sync.status(c)["pending"]
    (tmp_path / "a-file").write_text("")
    targets = [tmp_path / "no-such-dir" / "x.bundle", tmp_path / "a-file" / "x.bundle"]
    if READ_ONLY.is_dir() and not os.access(READ_ONLY, os.W_OK | os.X_OK) or _read_only_mount():
        targets.append(READ_ONLY / "x.bundle")  # a write-protected stick (mounted read-only)
    answers = {}
    for target in targets:
        try:
            usbsync.export_file(tablet, target)
            answers[str(target)] = "written"
        except Refusal as exc:
            answers[str(target)] = exc.key
        except OSError as exc:
            answers[str(target)] = f"raw {type(exc).__name__}: {exc.strerror}"
    print("export answers", answers)
    assert all(v == "sync.cannot_write" for v in answers.values()), answers
    with device(tablet) as c:
        assert sync.status(c)["pending"] == pending > 0
    out = tmp_path / "ok.bundle"
    assert usbsync.export_file(tablet, out) == pending
    receipt = ingest(team.pg_url, out.read_bytes())  # (bundle numbers skipped by the failed exports: accepted)
    rec = tmp_path / "receipt.bundle"
    rec.write_bytes(receipt)
    got = usbsync.import_file(tablet, rec)
    assert got["receipts"][0]["acknowledged"] == pending and got["status"]["pending"] == 0


def test_an_export_saved_over_the_communes_own_database_destroys_it(team, tmp_path):
    """The save dialog lets the officer pick any file, the open database too (Qt asks «replace?»)."""
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        make_site(c.store, name="pending", district_id=team.districts[0])
    try:
        usbsync.export_file(tablet, tablet)
        outcome = "written"
    except Refusal as exc:
        outcome = exc.key
    head = tablet.read_bytes()[:16]
    print("export over the database:", outcome, "file now starts with", head)
    assert head.startswith(b"SQLite format 3") or outcome != "written"
