"""Deleting a conversation (on request or by retention) and deleting its recording.

Removing a conversation removes its row, turns, labels and search entry (by cascade and
trigger), the raw webhook events that carried it (events are keyed by provider + remote id),
and its recording under `<data dir>/audio/<provider>/`. Every deletion writes an audit event.

Files are removed before the caller commits. Should the commit then fail, what remains is a
record whose recording is gone (retention or the next request finishes the job), never a
recording whose record says it was deleted: the order errs on the side of privacy.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from parley.conversations.repository import ConversationRepository
from parley.db.base import utcnow
from parley.errors import NotFound
from parley.models import Conversation


class Deleted(BaseModel):
    id: int
    provider: str
    remote_id: str
    audio_files: int
    webhook_events: int


def remove_audio(data_dir: Path, provider: str, remote_id: str) -> int:
    """Delete every recording saved for the conversation (any suffix); how many there were."""
    # Imported here: the webhook intake imports the conversation service, not the other way.
    from parley.webhooks.tasks import audio_path

    # audio_path makes the name safe (letters, digits, `_.-`), so `*` is the only wildcard.
    pattern = audio_path(data_dir, provider, remote_id, "*")
    removed = 0
    for path in pattern.parent.glob(pattern.name):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


async def delete_row(
    repo: ConversationRepository, row: Conversation, *, data_dir: Path, actor: str, reason: str
) -> Deleted:
    files = remove_audio(data_dir, row.provider, row.remote_id)
    events = await repo.delete(row)
    done = Deleted(
        id=row.id,
        provider=row.provider,
        remote_id=row.remote_id,
        audio_files=files,
        webhook_events=events,
    )
    details = done.model_dump(exclude={"provider", "remote_id"})
    repo.audit(actor, "conversation.delete", _target(row), reason=reason, **details)
    return done


async def delete_audio(
    repo: ConversationRepository, row: Conversation, *, data_dir: Path, actor: str, reason: str
) -> int:
    """Remove the recording and clear `has_audio`; the record and transcript stay."""
    files = remove_audio(data_dir, row.provider, row.remote_id)
    row.has_audio = False
    row.updated_at = utcnow()
    repo.audit(actor, "conversation.audio.delete", _target(row), reason=reason, files=files)
    return files


async def delete_conversation(
    session: AsyncSession, ref: str, *, data_dir: Path, actor: str
) -> Deleted:
    """Deletion on request, by Parley id (digits) or by the provider's id."""
    repo = ConversationRepository(session)
    row = await repo.by_id(int(ref)) if ref.isdigit() else None
    if row is None:
        row = await repo.by_remote_id(ref)
    if row is None:
        raise NotFound(f"no conversation {ref!r}", details={"conversation": ref})
    deleted = await delete_row(repo, row, data_dir=data_dir, actor=actor, reason="request")
    await repo.flush()
    return deleted


def _target(row: Conversation) -> str:
    return f"conversation:{row.provider}:{row.remote_id}"[:256]
