"""A conversation's recording: kept on disk under the data directory, fetched on demand.

A recording is a file `<data dir>/audio/<provider>/<remote id>.<suffix>`, the same place where
the `post_call_audio` webhook leaves one. When there is none (the conversation came by sync, or
the provider sends no audio webhooks), the provider is asked through its adapter and the answer
is cached there, so the next request is served from disk. The file is written under a temporary
name and renamed into place, so a reader never sees half a recording and two requests racing
each other both end with one whole file.

Retention applies both ways: `retention.apply` deletes cached files with the rest, and a
conversation older than its policy's `audio_days` is not fetched again (which would silently
undo the policy); that answers 404 `audio_not_found` like a recording the provider does not have.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from parley.config import Settings
from parley.conversations.repository import ConversationRepository
from parley.db.base import utcnow
from parley.errors import NotFound
from parley.models import Conversation
from parley.models.retention_policy import DEFAULT_POLICY
from parley.providers.errors import ProviderNotFound, ProviderRejected
from parley.providers.registry import Providers

# What a recording's media type is saved as, and back; the first suffix for a type wins.
SUFFIXES = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/ogg": "ogg",
    "audio/webm": "webm",
    "audio/mp4": "m4a",
    "audio/flac": "flac",
}
MEDIA_TYPES = {suffix: media for media, suffix in reversed(SUFFIXES.items())}
FALLBACK_SUFFIX = "audio"  # an audio/* type not listed above, or a generic octet stream


class AudioNotFound(NotFound):
    code = "audio_not_found"


@dataclass(frozen=True)
class Audio:
    """A recording on disk: where, its media type, and whether this request fetched it."""

    path: Path
    media_type: str
    fetched: bool


def cached(data_dir: Path, provider: str, remote_id: str) -> Path | None:
    """The recording kept for a conversation, if any (any suffix)."""
    # Imported here, as in `deletion`: the webhook intake imports the conversation service.
    from parley.webhooks.tasks import audio_path

    pattern = audio_path(data_dir, provider, remote_id, "*")
    found = sorted(p for p in pattern.parent.glob(pattern.name) if p.is_file())
    return found[0] if found else None


def media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix.lstrip("."), "application/octet-stream")


async def get_audio(
    session: AsyncSession, ref: str, *, settings: Settings, providers: Providers | None = None
) -> Audio:
    """The recording of a conversation (Parley id or provider id): from disk, else from the
    provider (then cached, and `has_audio` set). `AudioNotFound` when there is none or the
    recording is past its retention; provider errors otherwise (unreachable, no API key...)."""
    repo = ConversationRepository(session)
    row = await repo.by_id(int(ref)) if ref.isdigit() else None
    if row is None:
        row = await repo.by_remote_id(ref)
    if row is None:
        raise NotFound(f"no conversation {ref!r}", details={"conversation": ref})
    details = {"conversation": row.id, "provider": row.provider, "remote_id": row.remote_id}
    days = await _audio_days(repo, row)
    if days is not None and row.started_at < utcnow() - timedelta(days=days):
        # Refuse even a file still on disk: retention simply has not run yet.
        raise AudioNotFound(
            f"the recording of conversation {row.id} is past its retention ({days} days)",
            details={**details, "reason": "retention", "audio_days": days},
        )
    found = cached(settings.data_dir, row.provider, row.remote_id)
    if found is not None:
        return Audio(found, media_type(found), fetched=False)
    if providers is None:
        async with Providers(settings) as built:
            path = await _download(built, row, settings.data_dir, details)
    else:
        path = await _download(providers, row, settings.data_dir, details)
    row.has_audio = True
    row.updated_at = utcnow()
    await repo.flush()
    return Audio(path, media_type(path), fetched=True)


async def _download(
    providers: Providers, row: Conversation, data_dir: Path, details: dict[str, object]
) -> Path:
    from parley.webhooks.tasks import audio_path

    adapter = providers.get(row.provider)
    target: Path | None = None
    part = audio_path(data_dir, row.provider, row.remote_id, f"{uuid.uuid4().hex}.part")
    part = part.with_name(f".{part.name}")  # hidden, and outside the `<id>.*` pattern
    part.parent.mkdir(parents=True, exist_ok=True)
    try:
        async with adapter.open_audio(row.remote_id) as recording:
            suffix = _suffix(recording.media_type, row.provider)
            target = audio_path(data_dir, row.provider, row.remote_id, suffix)
            with part.open("wb") as sink:
                async for chunk in recording.chunks:
                    sink.write(chunk)
        os.replace(part, target)
    except ProviderNotFound:
        raise AudioNotFound(
            f"{row.provider} has no recording for conversation {row.id}",
            details={**details, "reason": "provider"},
        ) from None
    finally:
        part.unlink(missing_ok=True)
    return target


def _suffix(media: str, provider: str) -> str:
    media = media.lower()
    if media in SUFFIXES:
        return SUFFIXES[media]
    if media.startswith("audio/") or media == "application/octet-stream":
        return FALLBACK_SUFFIX
    # An HTML error page with a 200 (a storage proxy, say) must not be kept as a recording.
    raise ProviderRejected(provider, f"{provider} answered the recording with {media or 'nothing'}")


async def _audio_days(repo: ConversationRepository, row: Conversation) -> int | None:
    """The `audio_days` that applies to the conversation: its agent's policy, else the default."""
    name = await repo.agent_name(row.agent_id) if row.agent_id is not None else None
    policy = await repo.policy(name) if name else None
    if policy is None:
        policy = await repo.policy(DEFAULT_POLICY)
    return policy.audio_days if policy is not None else None
