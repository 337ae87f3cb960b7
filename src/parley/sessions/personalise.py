"""Per-caller (or per-user) context from Parley's own conversation store, for the next start.

Computed from the unit's earlier conversations with the same agent, in two indexed queries
(no provider call: the inbound webhook runs while the phone rings). A value is only sent when
the agent's spec declares a variable of that name, so the prompt decides what it uses:

- `previous_conversations`: how many earlier conversations (an integer, 0 for a first call);
- `last_conversation_at`: when the last one started (ISO 8601, UTC);
- `last_conversation_summary`: its summary;
- any declared variable named like a data-collection field (e.g. `caller_name`,
  `advisor_name`) takes the newest value collected for it in an earlier conversation.
"""

from __future__ import annotations

from typing import Any

from parley.sessions.repository import StartRepository
from parley.sessions.variables import Scalar, declared


async def context(
    repo: StartRepository,
    spec: dict[str, Any],
    agent_id: int,
    *,
    caller_hash: str | None = None,
    user_id: str | None = None,
) -> dict[str, Scalar]:
    names = declared(spec)
    if not names or (caller_hash is None and user_id is None):
        return {}
    count, recent = await repo.history(agent_id, caller_hash=caller_hash, user_id=user_id)
    found: dict[str, Scalar] = {"previous_conversations": count}
    if recent:
        last = recent[0]
        found["last_conversation_at"] = last.started_at.isoformat()
        if last.summary:
            found["last_conversation_summary"] = last.summary
    for row in reversed(recent):  # oldest first, so the newest value wins
        for key, item in (row.data_collection or {}).items():
            value = item.get("value") if isinstance(item, dict) else None
            if isinstance(value, Scalar) and value != "":
                found[key] = value
    return {k: v for k, v in found.items() if k in names and not names[k].get("secret")}
