"""Users' roles, what each may do, and password hashing (Argon2id)."""
from __future__ import annotations

from functools import lru_cache

from desktop.domain.errors import Refusal

ROLES = ("officer", "coordinator", "president", "reviewer", "administrator")

# What each role may write. Reading is open to every active account; the reviewer (the governor's
# services) only reads.
PERMISSIONS: dict[str, frozenset[str]] = {
    "officer": frozenset({"inspection.create", "site.create", "draft.write", "complaint.create"}),
    "coordinator": frozenset({"inspection.create", "site.create", "site.edit", "draft.write", "case.manage",
                              "decision.draft", "decision.record", "complaint.create", "complaint.triage",
                              "complaint.import", "programme.manage", "personal.export"}),
    "president": frozenset({"draft.write", "case.manage", "decision.draft", "decision.record", "decision.sign",
                            "delegation.manage", "complaint.create", "complaint.triage", "complaint.import",
                            "personal.export", "privacy.purge"}),
    "reviewer": frozenset(),
    "administrator": frozenset({"inspection.create", "site.create", "site.edit", "draft.write",
                                "user.manage", "district.manage", "commune.edit",
                                "complaint.create", "complaint.triage", "complaint.import", "programme.manage",
                                "personal.export", "privacy.purge"}),
}



@lru_cache(maxsize=1)
def password_hasher():
    """Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 25 ms here.

    Imported on first use (argon2's bindings take 20 ms to load), so the login window paints first.
    """
    from argon2 import PasswordHasher
    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

# Verified when the username is unknown, so that a wrong name costs as long as a wrong password.
DUMMY_HASH = "$argon2id$v=19$m=19456,t=2,p=1$FwBjfO+QjjoLkMFA2QfCpQ$3AAm7QGqw2vy7PbIuRRLhUcq2fpjyQlI+uMzJXAc5wQ"


class PermissionDenied(Refusal, PermissionError):
    """The acting user's role does not allow this action."""

    prefix = "store."

    def __init__(self, role: str, action: str):
        super().__init__("permission_denied", role=role, action=action)
        self.role = role
        self.action = action


def can(role: str, action: str) -> bool:
    return action in PERMISSIONS.get(role, frozenset())


def require(role: str, action: str) -> None:
    if not can(role, action):
        raise PermissionDenied(role, action)


MIN_PASSWORD_LENGTH = 8


def check_new_password(password: str) -> None:
    """The one rule for a new password, whoever sets it (GUI, CLI, init)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refusal("password_too_short", min=MIN_PASSWORD_LENGTH)
    if len(set(password)) < 3 or not password.strip():  # 8 spaces, "aaaaaaaa" (review L3)
        raise Refusal("password_too_simple")


def hash_password(password: str) -> str:
    if not password:
        raise Refusal("password_empty")
    return password_hasher().hash(password)


def verify_password(password: str, stored: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError
    try:
        return password_hasher().verify(stored, password)
    except (VerificationError, InvalidHashError, ValueError):
        return False
