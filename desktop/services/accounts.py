"""Accounts and delegations of signature: the rules the GUI and the CLI share."""
from __future__ import annotations

from datetime import date

from desktop.domain.auth import ROLES, require
from desktop.domain.errors import Refusal
from desktop.services.commune import Commune
from desktop.store import delegations, users
from desktop.store.users import User


def resolve_district(commune: Commune, name_or_code: str | None) -> str | None:
    """A district's id from its French name or HCP code (None for none); unknown ones are refused."""
    if not name_or_code:
        return None
    district = commune.store.scalar("SELECT id FROM district WHERE (name_fr = ? OR code = ?) AND deleted_at IS NULL",
                                    (name_or_code, name_or_code))
    if district is None:
        raise Refusal("unknown_district", district=name_or_code)
    return district


def create_account(commune: Commune, username: str, password: str, role: str, name_ar: str = "", name_fr: str = "",
                   district: str | None = None) -> User:
    """A new account, created by the logged-in administrator."""
    return users.create_user(commune.store, commune.actor, username, password, role, full_name_ar=name_ar,
                             full_name_fr=name_fr, district_id=resolve_district(commune, district))


def set_password(commune: Commune, username: str, password: str) -> None:
    """The logged-in administrator sets an account's password."""
    users.set_password(commune.store, commune.actor, users.find_user(commune.store, username).id, password)


def add_delegation(commune: Commune, delegate: str, number: str, decided_on: date, legal_basis: str,
                   fields: list[str], scope_ar: str, scope_fr: str, capacity_ar: str, capacity_fr: str,
                   valid_to: date | None = None, bo_number: str = "", bo_date: date | None = None,
                   district_id: str | None = None) -> str:
    """Record a delegation decision: the delegate is named by username; every field must be one of
    this commune's catalogue (with its extension); no "all fields" (art. 103 para. 2). An art. 236
    delegation is limited to the delegate's arrondissement (his own, when none is given)."""
    if "*" in fields:
        raise Refusal("delegation_all_fields")
    unknown = [f for f in fields if not commune.catalogue.has_field(f)]
    if unknown or not fields:
        raise Refusal("unknown_fields", fields=", ".join(unknown) or "—")
    target = users.find_user(commune.store, delegate)
    if legal_basis == "art236":
        district_id = district_id or target.district_id
    return delegations.add_delegation(commune.store, commune.actor, target, number, decided_on, legal_basis, fields,
                                      scope_ar, scope_fr, capacity_ar, capacity_fr, decided_on, valid_to,
                                      bo_number=bo_number, bo_date=bo_date, district_id=district_id)


def record_publication(commune: Commune, delegation_id: str, bo_number: str, bo_date: date) -> None:
    """The delegation's BO-CT publication (OL 113-14 art. 277)."""
    delegations.record_publication(commune.store, commune.actor, delegation_id, bo_number, bo_date)


def withdraw_delegation(commune: Commune, delegation_id: str, reason: str, on: date | None = None) -> None:
    delegations.withdraw_delegation(commune.store, commune.actor, delegation_id, on or date.today(), reason)


def list_accounts(commune: Commune) -> list[dict]:
    """Every account, active or not, for the administrator's list (no password hashes)."""
    return commune.store.query("SELECT id, username, full_name_ar, full_name_fr, role, district_id, active, cert_sha256"
                               " FROM [user]"
                               " WHERE deleted_at IS NULL ORDER BY active DESC, full_name_fr, username")


def _other_active_admins(commune: Commune, user_id: str) -> int:
    return int(commune.store.scalar("SELECT count(*) FROM [user] WHERE role = 'administrator' AND active = 1"
                                    " AND deleted_at IS NULL AND id != ?", (user_id,)))


def set_active(commune: Commune, username: str, active: bool) -> None:
    """The administrator disables an account (an officer who leaves: he can no longer log in; his
    name stays on everything he wrote) or enables it again. Nobody disables his own account, and
    the last active administrator stays."""
    require(commune.actor.role, "user.manage")
    target = users.find_user(commune.store, username)
    if not active and target.id == commune.actor.id:
        raise Refusal("cannot_disable_self")
    if not active and target.role == "administrator" and not _other_active_admins(commune, target.id):
        raise Refusal("last_administrator")
    users.set_active(commune.store, commune.actor, target.id, active)


def set_role(commune: Commune, username: str, role: str, district: str | None = None) -> None:
    """The administrator changes an account's role and its arrondissement (id, French name or code;
    None for none). The last active administrator keeps that role."""
    require(commune.actor.role, "user.manage")
    if role not in ROLES:
        raise Refusal("unknown_role", role=role)
    target = users.find_user(commune.store, username)
    district_id = district if district and commune.store.scalar(
        "SELECT 1 FROM district WHERE id = ? AND deleted_at IS NULL", (district,)) else resolve_district(commune, district)
    if target.role == "administrator" and role != "administrator" and not _other_active_admins(commune, target.id):
        raise Refusal("last_administrator")
    with commune.store.transaction(commune.actor.id) as tx:
        tx.update("user", target.id, {"role": role, "district_id": district_id})


def change_own_password(commune: Commune, current: str, new: str) -> None:
    """Anyone changes his own password, giving the current one first."""
    me = commune.actor
    if users.authenticate(commune.store, me.username, current) is None:
        raise Refusal("wrong_current_password")
    users.change_own_password(commune.store, me, new)  # the rules apply; a reset's "must change" is cleared
