"""The hash-chained journal on its own: what verify() catches when the file is changed behind the
application's back (the append-only triggers dropped first, as someone editing the file would)."""
import sqlite3

import pytest

from desktop.store import journal
from desktop.store.migrations import MIGRATIONS

DEVICE = "device-1"


@pytest.fixture
def conn():
    """The real schema, in memory: the chain is all these tests look at."""
    c = sqlite3.connect(":memory:", isolation_level=None)
    for _number, script in MIGRATIONS:
        c.executescript(script)
    yield c
    c.close()


def write(conn, n: int) -> list[str]:
    hashes = []
    for i in range(n):
        conn.execute("BEGIN")
        hashes.append(journal.append(conn, actor=f"user-{i % 2}", device_id=DEVICE, entity="site",
                                     entity_id=f"site-{i}", op="insert", changes={"name": f"Café {i}", "n": i}))
        conn.execute("COMMIT")
    return hashes


def tamper(conn, sql: str, params=()) -> None:
    conn.execute("DROP TRIGGER IF EXISTS journal_no_update")
    conn.execute("DROP TRIGGER IF EXISTS journal_no_delete")
    conn.execute(sql, params)


def problems(conn) -> list[tuple[int, str]]:
    return [(p.seq, p.problem) for p in journal.verify(conn)[1]]


def test_an_empty_journal_is_sound(conn):
    assert journal.verify(conn) == (0, [])


def test_an_untouched_chain_is_sound(conn):
    hashes = write(conn, 6)
    assert journal.verify(conn) == (6, [])
    rows = conn.execute("SELECT seq, prev_hash, hash FROM journal ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0][1] == journal.GENESIS and [r[2] for r in rows] == hashes
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, 6))  # each entry holds the previous hash


def test_the_triggers_refuse_changes(conn):
    write(conn, 2)
    for sql in ("UPDATE journal SET actor = 'x' WHERE seq = 1", "DELETE FROM journal WHERE seq = 1"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)


@pytest.mark.parametrize("column,value", [("actor", "someone-else"), ("changes", '{"name":"Café 9","n":2}'),
                                          ("at", "2020-01-01T00:00:00Z"), ("entity_id", "site-99")])
def test_an_edited_entry_is_found(conn, column, value):
    write(conn, 5)
    tamper(conn, f"UPDATE journal SET {column} = ? WHERE seq = 3", (value,))
    assert problems(conn) == [(3, "entry content does not match its hash")]


def test_an_edited_entry_with_its_hash_recomputed_breaks_the_next_link(conn):
    write(conn, 5)
    row = conn.execute("SELECT seq, id, at, actor, device_id, entity, entity_id, op, changes, prev_hash"
                       " FROM journal WHERE seq = 3").fetchone()
    forged = journal.entry_hash(*row[:3], "someone-else", *row[4:])
    tamper(conn, "UPDATE journal SET actor = 'someone-else', hash = ? WHERE seq = 3", (forged,))
    assert problems(conn) == [(4, "previous-hash link broken")]


def test_a_deleted_entry_is_found(conn):
    write(conn, 5)
    tamper(conn, "DELETE FROM journal WHERE seq = 3")
    assert journal.verify(conn)[0] == 4
    assert problems(conn) == [(4, "entry missing before seq 4 (expected 3)"), (4, "previous-hash link broken")]


def test_a_deleted_first_entry_is_found(conn):
    write(conn, 3)
    tamper(conn, "DELETE FROM journal WHERE seq = 1")
    assert problems(conn) == [(2, "entry missing before seq 2 (expected 1)"), (2, "previous-hash link broken")]


def test_reordered_entries_are_found(conn):
    write(conn, 5)
    # Swap entries 2 and 3: each keeps its content and hash but takes the other's place.
    tamper(conn, "UPDATE journal SET seq = -2 WHERE seq = 2")
    conn.execute("UPDATE journal SET seq = 2 WHERE seq = 3")
    conn.execute("UPDATE journal SET seq = 3 WHERE seq = -2")
    found = problems(conn)
    assert (2, "previous-hash link broken") in found and (2, "entry content does not match its hash") in found
    assert (3, "previous-hash link broken") in found and (3, "entry content does not match its hash") in found
    assert {seq for seq, _ in found} == {2, 3, 4}  # entry 4 follows the wrong hash


def test_verify_stops_at_the_limit(conn):
    write(conn, 12)
    tamper(conn, "UPDATE journal SET actor = 'x'")
    count, found = journal.verify(conn, limit=5)
    assert len(found) == 5 and [p.seq for p in found] == [1, 2, 3, 4, 5]
    assert count == 5  # it stopped walking there


def test_the_hash_covers_every_column():
    args = dict(seq=1, entry_id="e", at="t", actor="a", device_id="d", entity="x", entity_id="i", op="o",
                changes="{}", prev_hash=journal.GENESIS)
    base = journal.entry_hash(**args)
    for name in args:
        changed = dict(args, **{name: 2 if name == "seq" else "other"})
        assert journal.entry_hash(**changed) != base, name


def test_canonical_form_does_not_depend_on_key_order():
    assert journal.canonical({"b": 1, "a": "é"}) == journal.canonical({"a": "é", "b": 1}) == '{"a":"é","b":1}'
