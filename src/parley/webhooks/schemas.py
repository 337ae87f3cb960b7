"""What the webhook domain passes around: a parsed event, the action it asks for, the answer.

Each provider's `webhooks.py` turns its own envelope into these provider-neutral shapes, so the
intake and the processing job never read a vendor field name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from parley.conversations.schemas import ConversationRecord
from parley.webhooks.verify import Window

# process: a job turns it into a conversation; record: kept, nothing to do; ignore: unknown type.
Disposition = Literal["process", "record", "ignore"]


@dataclass(frozen=True)
class InboundEvent:
    event_type: str
    dedupe_key: str
    remote_id: str | None
    disposition: Disposition


@dataclass(frozen=True)
class StoreConversation:
    """Upsert this record as it is (the webhook carried the whole conversation)."""

    record: ConversationRecord
    fingerprint: str


@dataclass(frozen=True)
class RefreshConversation:
    """Fetch the conversation in full when the provider is configured, else store `fallback`."""

    remote_id: str
    fallback: ConversationRecord
    fingerprint: str


@dataclass(frozen=True)
class AttachAudio:
    """The conversation's recording: saved under the data directory, `has_audio` set."""

    remote_id: str
    audio: bytes | None
    suffix: str = "mp3"


Action = StoreConversation | RefreshConversation | AttachAudio | None


@dataclass(frozen=True)
class Interpretation:
    action: Action
    # The envelope with secrets (and bulky audio) removed: what the event row keeps afterwards.
    scrubbed: dict[str, Any] = field(default_factory=dict)


Verifier = Callable[[bytes, Mapping[str, str], Sequence[str], float, Window], None]


@dataclass(frozen=True)
class Scheme:
    """One provider's webhooks: signature check, envelope parsing, and what an event means."""

    verify: Verifier
    parse: Callable[[dict[str, Any]], InboundEvent]
    interpret: Callable[[dict[str, Any]], Interpretation]


class WebhookAck(BaseModel):
    """The 200 answer: the stored event's id, and whether this delivery was a duplicate."""

    status: Literal["stored", "duplicate"]
    event_id: int
    event_type: str
