"""Drafts of inspections, saved as the officer types so that nothing is lost on a crash."""
from __future__ import annotations

import json

from desktop.domain.auth import require
from desktop.domain.model import InspectionInput
from desktop.store.db import Store
from desktop.store.users import User


def save_draft(store: Store, user: User, inp: InspectionInput, draft_id: str | None = None) -> str:
    require(user.role, "draft.write")
    payload = json.dumps(inp.to_dict(), ensure_ascii=False, sort_keys=True)
    with store.transaction(user.id) as tx:
        if draft_id is None:
            return tx.insert("draft", {"user_id": user.id, "payload": payload})
        tx.update("draft", draft_id, {"payload": payload})
        return draft_id


def list_drafts(store: Store, user: User) -> list[dict]:
    """The user's open drafts, newest first: id, updated_at and the decoded input."""
    rows = store.query("SELECT id, updated_at, payload FROM draft WHERE user_id = ? AND deleted_at IS NULL"
                       " ORDER BY updated_at DESC", (user.id,))
    return [{"id": r["id"], "updated_at": r["updated_at"],
             "input": InspectionInput.from_dict(json.loads(r["payload"]))} for r in rows]


def discard_draft(store: Store, user: User, draft_id: str) -> None:
    with store.transaction(user.id) as tx:
        tx.tombstone("draft", draft_id)
