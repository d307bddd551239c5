"""Delegations of signature (Law 113-14 arts. 103 and 236): recorded, listed, withdrawn."""
from __future__ import annotations

import json
from datetime import date

from desktop.domain.auth import require
from desktop.domain.errors import Refusal
from desktop.store.db import Store
from desktop.store.users import User

# Who may receive a delegation of signature: the council's elected members working in the
# application (vice-presidents are coordinators). Never an officer, the governor's reviewer, nor
# the administrator, who manages accounts and must not obtain signing power.
DELEGATE_ROLES = ("coordinator",)


def add_delegation(store: Store, user: User, delegate: User, number: str, decided_on: date, legal_basis: str,
                   fields: list[str], scope_ar: str, scope_fr: str, capacity_ar: str, capacity_fr: str,
                   valid_from: date, valid_to: date | None = None, *, bo_number: str = "",
                   bo_date: date | None = None, district_id: str | None = None) -> str:
    """Record a delegation decision. Art. 103 para. 2 needs a defined sector for each delegate (no
    "all fields"); an art. 236 delegation names the delegate's arrondissement; its publication in
    the BO-CT (art. 277) may be recorded now or later (``record_publication``): it is required
    before the delegate signs."""
    require(user.role, "delegation.manage")
    if valid_from < decided_on or (valid_to is not None and valid_to < valid_from):
        raise Refusal("delegation_dates")
    if not fields or "*" in fields:
        raise Refusal("delegation_all_fields")
    if legal_basis == "art236" and not district_id:
        raise Refusal("delegation_district_required")
    with store.transaction(user.id) as tx:
        # checked inside the write lock, on the account as stored (not as the caller saw it)
        role = store.scalar("SELECT role FROM [user] WHERE id = ? AND active = 1 AND deleted_at IS NULL", (delegate.id,))
        if role not in DELEGATE_ROLES:
            raise Refusal("delegate_role", role=role or "—")
        if store.scalar("SELECT 1 FROM delegation WHERE number = ? AND deleted_at IS NULL", (number.strip(),)):
            raise Refusal("delegation_number_taken", number=number.strip())
        return tx.insert("delegation", {
            "delegate_id": delegate.id, "number": number.strip(), "decided_on": decided_on.isoformat(), "legal_basis": legal_basis,
            "scope_fields": json.dumps(fields), "scope_ar": scope_ar, "scope_fr": scope_fr, "capacity_ar": capacity_ar,
            "capacity_fr": capacity_fr, "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None, "bo_number": bo_number.strip(),
            "bo_date": bo_date.isoformat() if bo_date else None, "district_id": district_id})


def record_publication(store: Store, user: User, delegation_id: str, bo_number: str, bo_date: date) -> None:
    """The delegation's publication in the Official Bulletin of Territorial Collectivities (OL 113-14
    art. 277): its number and date; the delegate may sign from that date."""
    require(user.role, "delegation.manage")
    if not bo_number.strip():
        raise Refusal("delegation_publication_required")
    with store.transaction(user.id) as tx:
        tx.update("delegation", delegation_id, {"bo_number": bo_number.strip(), "bo_date": bo_date.isoformat()})


def withdraw_delegation(store: Store, user: User, delegation_id: str, on: date, reason: str) -> None:
    """Art. 236: withdrawal must be reasoned."""
    require(user.role, "delegation.manage")
    if len(reason.strip()) < 10:
        raise Refusal("withdrawal_reason_required")
    with store.transaction(user.id) as tx:
        tx.update("delegation", delegation_id, {"withdrawn_on": on.isoformat(), "withdrawal_reason": reason.strip()})


def list_delegations(store: Store) -> list[dict]:
    """Every delegation, in force or not, with its delegate's names; ``scope_fields`` decoded."""
    rows = store.query(
        "SELECT d.id, d.number, d.decided_on, d.legal_basis, d.scope_fields, d.scope_ar, d.scope_fr, d.capacity_ar,"
        " d.capacity_fr, d.valid_from, d.valid_to, d.withdrawn_on, d.withdrawal_reason, d.bo_number, d.bo_date,"
        " d.district_id, u.username,"
        " u.full_name_ar, u.full_name_fr FROM delegation d JOIN [user] u ON u.id = d.delegate_id"
        " WHERE d.deleted_at IS NULL ORDER BY d.decided_on, d.number")
    for r in rows:
        r["scope_fields"] = json.loads(r["scope_fields"])
    return rows
