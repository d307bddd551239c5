"""Users' roles, what each may do, and password hashing (scrypt, from the standard library)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os

ROLES = ("officer", "coordinator", "president", "reviewer", "administrator")

# What each role may write. Reading is open to every active account; the reviewer (the governor's
# services) only reads.
PERMISSIONS: dict[str, frozenset[str]] = {
    "officer": frozenset({"inspection.create", "site.create", "draft.write"}),
    "coordinator": frozenset({"inspection.create", "site.create", "site.edit", "draft.write"}),
    "president": frozenset({"draft.write"}),
    "reviewer": frozenset(),
    "administrator": frozenset({"inspection.create", "site.create", "site.edit", "draft.write",
                                "user.manage", "district.manage", "commune.edit"}),
}

# scrypt cost: 2**14 iterations, 16 MiB of memory, about 50 ms on a laptop.
_N, _R, _P = 2**14, 8, 1


class PermissionDenied(PermissionError):
    def __init__(self, role: str, action: str):
        super().__init__(f"role {role!r} may not {action}")
        self.role = role
        self.action = action


def can(role: str, action: str) -> bool:
    return action in PERMISSIONS.get(role, frozenset())


def require(role: str, action: str) -> None:
    if not can(role, action):
        raise PermissionDenied(role, action)


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("empty password")
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)
