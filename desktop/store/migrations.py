"""Numbered schema migrations. Each runs in its own transaction with ``PRAGMA user_version``.

Never edit a migration that has shipped: add the next number.
"""
from __future__ import annotations

AUDIT = """
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by TEXT,
    updated_by TEXT,
    device_id TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    deleted_at TEXT"""

# Tables of user data: a DELETE is refused by trigger (tombstones only).
USER_TABLES = ("commune", "district", "user", "site", "authorisation", "inspection", "finding",
               "attachment", "draft")


def _no_delete(table: str) -> str:
    return (f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON [{table}] "
            f"BEGIN SELECT RAISE(ABORT, 'user data is never deleted: set deleted_at'); END;")


M1 = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE commune (
    id TEXT PRIMARY KEY,
    name_ar TEXT NOT NULL, name_fr TEXT NOT NULL,
    wilaya_ar TEXT NOT NULL DEFAULT '', wilaya_fr TEXT NOT NULL DEFAULT '',
    president_ar TEXT NOT NULL DEFAULT '', president_fr TEXT NOT NULL DEFAULT '',{AUDIT}
);

CREATE TABLE district (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    name_ar TEXT NOT NULL, name_fr TEXT NOT NULL,
    population INTEGER, households INTEGER, area_km2 REAL,
    geometry TEXT,{AUDIT}
);

CREATE TABLE [user] (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    full_name_ar TEXT NOT NULL DEFAULT '', full_name_fr TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('officer','coordinator','president','reviewer','administrator')),
    password_hash TEXT NOT NULL,
    district_id TEXT REFERENCES district(id),
    active INTEGER NOT NULL DEFAULT 1,{AUDIT}
);

CREATE TABLE site (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('establishment','building','building_site','public_spot')),
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    activity TEXT NOT NULL DEFAULT '',
    district_id TEXT REFERENCES district(id),
    lon REAL, lat REAL,
    owner_name TEXT NOT NULL DEFAULT '',
    owner_id_kind TEXT NOT NULL DEFAULT 'none' CHECK (owner_id_kind IN ('cin','rc','none')),
    owner_id_number TEXT NOT NULL DEFAULT '',{AUDIT}
);
CREATE INDEX site_name ON site(name COLLATE NOCASE);
CREATE INDEX site_district ON site(district_id);

CREATE TABLE authorisation (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES site(id),
    reference TEXT NOT NULL,
    expires_on TEXT,{AUDIT}
);
CREATE INDEX authorisation_site ON authorisation(site_id);

CREATE TABLE inspection (
    id TEXT PRIMARY KEY,
    field_code TEXT NOT NULL,
    site_id TEXT NOT NULL REFERENCES site(id),
    inspected_at TEXT NOT NULL,
    lead_officer_id TEXT NOT NULL REFERENCES [user](id),
    second_officer_id TEXT REFERENCES [user](id),
    lon REAL, lat REAL,
    district_id TEXT REFERENCES district(id),
    checklist TEXT NOT NULL DEFAULT '{{}}',
    notes TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL CHECK (outcome IN ('compliant','violations','awareness','closed','refused')),
    origin_type TEXT NOT NULL CHECK (origin_type IN
        ('programme','campaign','complaint_citizen','complaint_president','follow_up','own_initiative')),
    origin_ref TEXT NOT NULL DEFAULT '',
    origin_reason TEXT NOT NULL DEFAULT '',
    followup_of TEXT REFERENCES inspection(id),
    finding_count INTEGER NOT NULL DEFAULT 0,{AUDIT}
);
CREATE INDEX inspection_date ON inspection(inspected_at);
CREATE INDEX inspection_district_field_date ON inspection(district_id, field_code, inspected_at);
CREATE INDEX inspection_field_date ON inspection(field_code, inspected_at);
CREATE INDEX inspection_district_date ON inspection(district_id, inspected_at);
CREATE INDEX inspection_outcome_date ON inspection(outcome, inspected_at);
CREATE INDEX inspection_site_date ON inspection(site_id, inspected_at);
CREATE INDEX inspection_lead_date ON inspection(lead_officer_id, inspected_at);
CREATE INDEX inspection_second ON inspection(second_officer_id);

CREATE TABLE finding (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspection(id),
    violation_code TEXT NOT NULL,
    measure_value REAL,
    note TEXT NOT NULL DEFAULT '',{AUDIT}
);
CREATE INDEX finding_inspection ON finding(inspection_id);
CREATE INDEX finding_code ON finding(violation_code);

CREATE TABLE attachment (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    original_name TEXT NOT NULL DEFAULT '',
    owner_type TEXT NOT NULL,
    owner_id TEXT NOT NULL,{AUDIT}
);
CREATE INDEX attachment_owner ON attachment(owner_type, owner_id);
CREATE INDEX attachment_hash ON attachment(sha256);

CREATE TABLE draft (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES [user](id),
    payload TEXT NOT NULL,{AUDIT}
);
CREATE INDEX draft_user ON draft(user_id);

CREATE TABLE journal (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    actor TEXT,
    device_id TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    op TEXT NOT NULL,
    changes TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
""" + "\n".join(_no_delete(t) for t in USER_TABLES)

# 2: inspections whose location falls in no district are flagged (kept, never dropped); a
# covering index serves the map's points and the per-district counts without reading the wide
# inspection rows (a full scan of a million of them reads 700 MB, this index 90 MB).
M2 = """
ALTER TABLE inspection ADD COLUMN outside_district INTEGER NOT NULL DEFAULT 0;
CREATE INDEX inspection_geo_counts ON inspection(district_id, field_code, outcome, inspected_at,
    finding_count, lon, lat, outside_district) WHERE deleted_at IS NULL;
"""

# 3: the enforcement ladder: cases, their steps, delegations of signature, the decision register.
M3 = f"""
CREATE TABLE case_file (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES site(id),
    field_code TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_on TEXT NOT NULL,
    closed_on TEXT,{AUDIT}
);
CREATE INDEX case_site ON case_file(site_id, field_code, status);
CREATE INDEX case_status ON case_file(status, opened_on);

CREATE TABLE case_finding (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES case_file(id),
    finding_id TEXT NOT NULL REFERENCES finding(id),{AUDIT}
);
CREATE INDEX case_finding_case ON case_finding(case_id);

CREATE TABLE case_step (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES case_file(id),
    step TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    opened_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    owner_id TEXT REFERENCES [user](id),
    done_on TEXT,
    result TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{{}}',{AUDIT}
);
CREATE INDEX case_step_case ON case_step(case_id, opened_on);
CREATE INDEX case_step_open ON case_step(status, due_on);

CREATE TABLE delegation (
    id TEXT PRIMARY KEY,
    delegate_id TEXT NOT NULL REFERENCES [user](id),
    number TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    legal_basis TEXT NOT NULL CHECK (legal_basis IN ('art103', 'art236')),
    scope_fields TEXT NOT NULL,
    scope_ar TEXT NOT NULL,
    scope_fr TEXT NOT NULL,
    capacity_ar TEXT NOT NULL,
    capacity_fr TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    withdrawn_on TEXT,
    withdrawal_reason TEXT NOT NULL DEFAULT '',{AUDIT}
);

CREATE TABLE decision (
    id TEXT PRIMARY KEY,
    case_id TEXT REFERENCES case_file(id),
    step_id TEXT REFERENCES case_step(id),
    kind TEXT NOT NULL,
    field_code TEXT NOT NULL,
    year INTEGER,
    number INTEGER,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed')),
    langs TEXT NOT NULL DEFAULT 'ar',
    content TEXT NOT NULL,
    content_sha256 TEXT,
    pdf_sha256 TEXT,
    signed_on TEXT,
    signed_by TEXT REFERENCES [user](id),
    delegation_id TEXT REFERENCES delegation(id),
    oversight_class TEXT NOT NULL,
    delivered_on TEXT, delivery_method TEXT, delivery_receiver TEXT,
    transmitted_on TEXT, receipt_on TEXT, governor_observation TEXT NOT NULL DEFAULT '',
    appeal_on TEXT, appeal_ref TEXT NOT NULL DEFAULT '',{AUDIT},
    UNIQUE (year, number)
);
CREATE INDEX decision_case ON decision(case_id);
CREATE INDEX decision_register ON decision(year, number);
""" + "\n".join(_no_delete(t) for t in ("case_file", "case_finding", "case_step", "delegation", "decision"))

# 4: why inspections happen: complaints (citizens, arrondissement presidents, the Chikaya portal)
# and campaign programmes with their brigades; inspections link to them.
M4 = f"""
CREATE TABLE complaint (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL CHECK (channel IN ('desk', 'phone', 'letter', 'chikaya', 'district_president', 'open311')),
    received_on TEXT NOT NULL,
    field_code TEXT NOT NULL DEFAULT '',
    district_id TEXT REFERENCES district(id),
    lon REAL, lat REAL,
    location_text TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL,
    complainant_kind TEXT NOT NULL CHECK (complainant_kind IN ('citizen', 'district_president', 'anonymous')),
    complainant_name TEXT NOT NULL DEFAULT '',
    complainant_contact TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'received'
        CHECK (status IN ('received', 'accepted', 'merged', 'forwarded', 'rejected', 'answered')),
    merged_into TEXT REFERENCES complaint(id),
    forwarded_to TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    answer_due TEXT NOT NULL,
    answered_on TEXT,
    answer_text TEXT NOT NULL DEFAULT '',{AUDIT}
);
CREATE INDEX complaint_status ON complaint(status, answer_due);

CREATE TABLE complaint_inspection (
    id TEXT PRIMARY KEY,
    complaint_id TEXT NOT NULL REFERENCES complaint(id),
    inspection_id TEXT NOT NULL REFERENCES inspection(id),{AUDIT}
);
CREATE INDEX complaint_inspection_c ON complaint_inspection(complaint_id);
CREATE INDEX complaint_inspection_i ON complaint_inspection(inspection_id);

CREATE TABLE programme (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('weekly', 'complaint_wave', 'seasonal')),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    districts TEXT NOT NULL,
    fields TEXT NOT NULL,
    target_visits INTEGER NOT NULL DEFAULT 0,
    agreed_with TEXT NOT NULL DEFAULT '',
    agreed_on TEXT,
    theme TEXT NOT NULL DEFAULT '',{AUDIT}
);

CREATE TABLE programme_brigade (
    id TEXT PRIMARY KEY,
    programme_id TEXT NOT NULL REFERENCES programme(id),
    day TEXT NOT NULL,
    lead_officer_id TEXT NOT NULL REFERENCES [user](id),
    second_officer_id TEXT REFERENCES [user](id),
    district_id TEXT REFERENCES district(id),{AUDIT}
);
CREATE INDEX programme_brigade_day ON programme_brigade(day);
CREATE INDEX programme_brigade_programme ON programme_brigade(programme_id);

ALTER TABLE inspection ADD COLUMN programme_id TEXT REFERENCES programme(id);
ALTER TABLE inspection ADD COLUMN complaint_id TEXT REFERENCES complaint(id);
CREATE INDEX inspection_programme ON inspection(programme_id);
""" + "\n".join(_no_delete(t) for t in ("complaint", "complaint_inspection", "programme", "programme_brigade"))

# 5: lawful documents (legal review 2026-11): a delegation is used only once published in the
# BO-CT (OL 113-14 art. 277), and an art. 236 delegation covers its arrondissement only.
M5 = """
ALTER TABLE delegation ADD COLUMN bo_number TEXT NOT NULL DEFAULT '';
ALTER TABLE delegation ADD COLUMN bo_date TEXT;
ALTER TABLE delegation ADD COLUMN district_id TEXT REFERENCES district(id);
"""

# Issue 11 (security): a signing certificate bound to its account; every table is sealed in the
# journal right after this migration (db.open_store), so that `check` covers the rows already there.
M6 = """
ALTER TABLE [user] ADD COLUMN cert_sha256 TEXT;
ALTER TABLE [user] ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
"""
ROW_HASHES_FROM = 6

# 8 (issue 11, long-term signatures): the commune revokes a signing certificate (by the
# president, journaled like the trust anchor); signing with it is refused from then on and
# `decision verify --db` names a decision signed after it.
M8 = f"""
CREATE TABLE certificate_revocation (
    id TEXT PRIMARY KEY,
    cert_sha256 TEXT NOT NULL,
    serial TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    user_id TEXT REFERENCES [user](id),
    revoked_on TEXT NOT NULL,
    reason TEXT NOT NULL,{AUDIT}
);
CREATE UNIQUE INDEX certificate_revocation_cert ON certificate_revocation(cert_sha256) WHERE deleted_at IS NULL;
""" + _no_delete("certificate_revocation")

# 9 (issue 12, the hub): the outbox of an enrolled device (its ops, a hash chain per device, kept
# until the hub's receipt), the conflicts and refusals the hub reported, and the sync state
# (clock, pull cursor). Keys are not named ``id``: these tables are the sync's own record, checked
# by the outbox chain, not rows of the commune.
M9 = """
CREATE TABLE sync_op (
    op_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL UNIQUE,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('insert', 'update', 'tombstone')),
    base_version INTEGER,
    old TEXT NOT NULL,
    new TEXT NOT NULL,
    hlc TEXT NOT NULL,
    actor TEXT,
    at TEXT NOT NULL,
    tx TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    acked_at TEXT,
    result TEXT
);
CREATE INDEX sync_op_pending ON sync_op(acked_at, seq);
CREATE INDEX sync_op_row ON sync_op(tbl, row_id);
CREATE TRIGGER sync_op_no_delete BEFORE DELETE ON sync_op
    BEGIN SELECT RAISE(ABORT, 'the outbox is append-only'); END;
CREATE TRIGGER sync_op_no_rewrite BEFORE UPDATE OF op_id, device_id, seq, tbl, row_id, kind, base_version, old,
    new, hlc, actor, at, tx, prev_hash, hash ON sync_op
    BEGIN SELECT RAISE(ABORT, 'an op is never rewritten'); END;

CREATE TABLE sync_conflict (
    conflict_id TEXT PRIMARY KEY,
    op_id TEXT NOT NULL,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    column_name TEXT,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    device_value TEXT,
    hub_value TEXT,
    reported_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open'
);
CREATE INDEX sync_conflict_status ON sync_conflict(status, reported_at);

CREATE TABLE sync_state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# 10 (written as 7 on its branch; numbered after 8 and 9, which shipped first): lawful documents (legal review D, B5): arrêtés, notices and letters are numbered per year in
# their own series. SQLite cannot drop the table's UNIQUE (year, number): the table is rebuilt with
# the same columns in the same order (the row hashes cover the first columns, so they stay valid)
# and ``series`` appended. Numbers already given stay as they were (they are printed on signed
# documents); each series goes on from its own highest number. Letters already registered lose the
# art. 116 deadline they were wrongly given (no decision delivered to a person).
# The commune's prefecture («عمالة الدار البيضاء») heads its documents under the wilaya, and the
# governor's exact title is the commune's to set (legal review B7).
_DECISION_COLUMNS = ("id, case_id, step_id, kind, field_code, year, number, status, langs, content, content_sha256,"
                     " pdf_sha256, signed_on, signed_by, delegation_id, oversight_class, delivered_on, delivery_method,"
                     " delivery_receiver, transmitted_on, receipt_on, governor_observation, appeal_on, appeal_ref,"
                     " created_at, updated_at, created_by, updated_by, device_id, version, deleted_at")
_LETTERS = "('referral_letter', 'public_force_request')"
_NOTICES = "('formal_notice', 'stop_and_fee')"
M10 = f"""
CREATE TABLE decision_v10 (
    id TEXT PRIMARY KEY,
    case_id TEXT REFERENCES case_file(id),
    step_id TEXT REFERENCES case_step(id),
    kind TEXT NOT NULL,
    field_code TEXT NOT NULL,
    year INTEGER,
    number INTEGER,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed')),
    langs TEXT NOT NULL DEFAULT 'ar',
    content TEXT NOT NULL,
    content_sha256 TEXT,
    pdf_sha256 TEXT,
    signed_on TEXT,
    signed_by TEXT REFERENCES [user](id),
    delegation_id TEXT REFERENCES delegation(id),
    oversight_class TEXT NOT NULL,
    delivered_on TEXT, delivery_method TEXT, delivery_receiver TEXT,
    transmitted_on TEXT, receipt_on TEXT, governor_observation TEXT NOT NULL DEFAULT '',
    appeal_on TEXT, appeal_ref TEXT NOT NULL DEFAULT '',{AUDIT},
    series TEXT NOT NULL DEFAULT 'arrete' CHECK (series IN ('arrete', 'notice', 'letter')),
    UNIQUE (series, year, number)
);
INSERT INTO decision_v10 ({_DECISION_COLUMNS}, series)
    SELECT {_DECISION_COLUMNS.replace("oversight_class", f"CASE WHEN kind IN {_LETTERS} THEN 'letter' ELSE oversight_class END")},
           CASE WHEN kind IN {_LETTERS} THEN 'letter' WHEN kind IN {_NOTICES} THEN 'notice' ELSE 'arrete' END
    FROM decision;
DROP TABLE decision;
ALTER TABLE decision_v10 RENAME TO decision;
CREATE INDEX decision_case ON decision(case_id);
CREATE INDEX decision_register ON decision(series, year, number);
{_no_delete("decision")}
ALTER TABLE commune ADD COLUMN prefecture_ar TEXT NOT NULL DEFAULT '';
ALTER TABLE commune ADD COLUMN prefecture_fr TEXT NOT NULL DEFAULT '';
ALTER TABLE commune ADD COLUMN governor_ar TEXT NOT NULL DEFAULT '';
ALTER TABLE commune ADD COLUMN governor_fr TEXT NOT NULL DEFAULT '';
"""

# 11 (Law 09-08 art. 3.1(e)): after a retention purge the device's outbox must not keep the erased
# values in the ops it already sent. One UPDATE gets through the append-only trigger: an op the hub
# acknowledged, never redacted before, whose row has a later erasure op the hub acknowledged as
# applied, may have the erasable columns of its old/new values set to their erased values (nothing
# else changed) and be marked ``redacted`` = {"columns": [...], "by": erasure op id}. Its hash stays
# (computed over the original values): ``check`` verifies such an op by its link and its mark
# (``desktop.domain.erasure``). The erased values per table are written out here, as they were when
# this migration shipped.
_ERASABLE = ('{"complaint":{"answer_text":"","complainant_contact":"","complainant_name":"","description":"",'
             '"location_text":""},"site":{"owner_id_kind":"none","owner_id_number":"","owner_name":""}}')
_OP_IDENTITY = ("op_id", "device_id", "seq", "tbl", "row_id", "kind", "base_version", "hlc", "actor", "at", "tx",
                "prev_hash", "hash", "acked_at", "result")


def _values_redacted(part: str) -> str:
    """SQL: NEW.<part> has the keys of OLD.<part>, each value as it was or, for a column the mark
    names, the column's erased value."""
    return f"""(SELECT count(*) FROM json_each(NEW.{part})) = (SELECT count(*) FROM json_each(OLD.{part}))
        AND NOT EXISTS (SELECT 1 FROM json_each(NEW.{part}) n LEFT JOIN json_each(OLD.{part}) o ON o.key = n.key
            WHERE o.key IS NULL OR NOT ((n.type IS o.type AND n.value IS o.value)
                OR (n.key IN (SELECT value FROM json_each(NEW.redacted, '$.columns')) AND n.type = 'text'
                    AND n.value IS json_extract('{_ERASABLE}', '$.' || OLD.tbl || '.' || n.key))))"""


def _no_rewrite(erasure: str) -> str:
    """The outbox's append-only trigger, letting through only the redaction ``erasure`` (SQL: the
    erasure named by ``NEW.redacted``'s ``by`` stands for this op's row) proves."""
    return f"""DROP TRIGGER sync_op_no_rewrite;
CREATE TRIGGER sync_op_no_rewrite BEFORE UPDATE OF op_id, device_id, seq, tbl, row_id, kind, base_version, old,
    new, hlc, actor, at, tx, prev_hash, hash, redacted ON sync_op
    WHEN NOT coalesce((
        OLD.acked_at IS NOT NULL AND OLD.redacted IS NULL AND NEW.redacted IS NOT NULL
        AND {" AND ".join(f"NEW.{c} IS OLD.{c}" for c in _OP_IDENTITY)}
        AND json_valid(NEW.redacted) AND json_type(NEW.redacted, '$.columns') = 'array'
        AND {erasure}
        AND json_type('{_ERASABLE}', '$.' || OLD.tbl) = 'object'
        AND NOT EXISTS (SELECT 1 FROM json_each(NEW.redacted, '$.columns') c
            WHERE c.type != 'text' OR c.value NOT IN (SELECT key FROM json_each('{_ERASABLE}', '$.' || OLD.tbl)))
        AND {_values_redacted("old")}
        AND {_values_redacted("new")}), 0)
    BEGIN SELECT RAISE(ABORT, 'an op is never rewritten'); END;
"""


_OWN_ERASURE = """EXISTS (SELECT 1 FROM sync_op e WHERE e.op_id = json_extract(NEW.redacted, '$.by')
            AND e.tbl = OLD.tbl AND e.row_id = OLD.row_id AND e.seq > OLD.seq AND e.kind = 'update' AND e.old = '{}'
            AND e.acked_at IS NOT NULL AND e.result = 'applied')"""
M11 = "\nALTER TABLE sync_op ADD COLUMN redacted TEXT;\n" + _no_rewrite(_OWN_ERASURE)

# 12 (Law 09-08 art. 3.1(e)): the erasures other devices made reach this one in a pull, each signed
# by the hub (``desktop.domain.erasure.statement``); the device keeps them (``sync_erasure``,
# append-only: the hub's signature, and ``through_seq``, the last op of this outbox when the
# erasure first arrived: the ops it covers). An acknowledged op of that row up to ``through_seq``
# may then be redacted by it as by an erasure of its own (``check`` verifies the hub's signature).
M12 = """
CREATE TABLE sync_erasure (
    op_id TEXT PRIMARY KEY,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    columns TEXT NOT NULL,
    sig TEXT NOT NULL,
    through_seq INTEGER NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX sync_erasure_row ON sync_erasure(tbl, row_id);
CREATE TRIGGER sync_erasure_no_delete BEFORE DELETE ON sync_erasure
    BEGIN SELECT RAISE(ABORT, 'the outbox is append-only'); END;
CREATE TRIGGER sync_erasure_no_rewrite BEFORE UPDATE ON sync_erasure
    BEGIN SELECT RAISE(ABORT, 'an op is never rewritten'); END;
""" + _no_rewrite(f"""({_OWN_ERASURE}
            OR EXISTS (SELECT 1 FROM sync_erasure h WHERE h.op_id = json_extract(NEW.redacted, '$.by')
                AND h.tbl = OLD.tbl AND h.row_id = OLD.row_id AND h.through_seq >= OLD.seq))""")

MIGRATIONS: list[tuple[int, str]] = [(1, M1), (2, M2), (3, M3), (4, M4), (5, M5), (6, M6), (8, M8), (9, M9), (10, M10),
                                     (11, M11), (12, M12)]
LATEST = MIGRATIONS[-1][0]
