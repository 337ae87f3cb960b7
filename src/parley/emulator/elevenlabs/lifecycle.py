"""Time-driven and control-driven conversation endings, and fixture seeding.

`tick` ends conversations whose `max_duration_seconds` ran out by the emulator clock (closing
the socket with 1000 when one is open); `end_call` ends one now, as the agent hanging up would;
`seed` loads agents, webhooks and secrets from `/_emulator/seed` fixtures.
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Any

from parley.emulator.elevenlabs import batch_scheduler, inbound, telephony, voices
from parley.emulator.elevenlabs.agent_models import create_agent
from parley.emulator.elevenlabs.postcall import finish
from parley.emulator.elevenlabs.session import (
    END_CALL_REASON,
    MAX_DURATION_REASON,
    SessionClosed,
    live_sessions,
)
from parley.emulator.elevenlabs.settings import WorkspaceSecret, WorkspaceWebhook

if TYPE_CHECKING:
    from parley.emulator.state import Emulator


async def tick(emu: Emulator) -> None:
    # Phone calls and batches first: they keep their own timing (telephony.py).
    await inbound.tick(emu)
    batch_scheduler.run_due(emu)
    now = emu.clock.now()
    sessions = live_sessions(emu)
    for c in list(emu.state("elevenlabs").conversations.values()):
        if not c.live or c.ends_at is None or c.ends_at > now:
            continue
        session = sessions.get(c.conversation_id)
        if session is None:
            finish(emu, c, "Maximum duration exceeded")
            continue
        with suppress(SessionClosed):
            await session.end(1000, MAX_DURATION_REASON, record="Maximum duration exceeded")


async def end_call(emu: Emulator, conversation_id: str) -> bool:
    c = emu.state("elevenlabs").conversations.get(conversation_id)
    if c is None or not c.live:
        return False
    if telephony.owns(c):
        return telephony.end_now(emu, c, END_CALL_REASON)
    session = live_sessions(emu).get(conversation_id)
    if session is None:
        return finish(emu, c, END_CALL_REASON)
    with suppress(SessionClosed):
        await session.end(1000, "Agent ended the call", record=END_CALL_REASON)
    return True


def seed(emu: Emulator, fixtures: dict[str, Any]) -> None:
    state = emu.state("elevenlabs")
    for spec in fixtures.get("agents") or []:
        create_agent(
            emu,
            name=spec.get("name") or "Seeded agent",
            tags=list(spec.get("tags") or []),
            conversation_config=spec.get("conversation_config") or {},
            platform_settings=spec.get("platform_settings") or {},
            workflow=spec.get("workflow"),
        )
    for hook in fixtures.get("webhooks") or []:
        record = WorkspaceWebhook.model_validate(
            {"created_at_unix": emu.clock.now_secs(), "secret": f"wsec_{emu.ids.hex(64)}", **hook}
        )
        state.webhooks[record.webhook_id] = record
    for secret in fixtures.get("secrets") or []:
        record_secret = WorkspaceSecret.model_validate(secret)
        state.secrets[record_secret.secret_id] = record_secret
    if "settings" in fixtures:
        state.settings = state.settings.model_copy(update=fixtures["settings"])
    voices.seed_voices(emu, fixtures.get("voices") or [])
