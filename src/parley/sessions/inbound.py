"""ElevenLabs' inbound-call initiation webhook: personalise the call while the phone rings.

The platform posts `{caller_id, agent_id, called_number, call_sid}`; Parley answers with the
dynamic variables (declared defaults, the caller's history, configured secrets as `secret__`
names), the branch of the routed version and Parley's stamps, and records an `inbound` start
keyed by the call sid. Nothing here calls a provider: a few indexed queries, and the start's
writes (record, first assignment, exposure) handed to the recorder together.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.config import Settings
from parley.conversations.callers import normalise_number
from parley.errors import Conflict, NotFound
from parley.providers.elevenlabs.starts import client_data
from parley.sessions.cache import cached
from parley.sessions.recorder import InSession, Record, Recorder, release_reads
from parley.sessions.repository import StartRepository
from parley.sessions.routing import Unit
from parley.sessions.schemas import InitiationRequest
from parley.sessions.service import REROUTES, caller_key, exposure_of, prepare

TARGET = "elevenlabs"
log = logging.getLogger(__name__)


async def initiate(
    session: AsyncSession,
    settings: Settings,
    body: InitiationRequest,
    recorder: Recorder | None = None,
) -> dict[str, Any]:
    """The initiation answer, once the start is recorded (with `recorder`; default: into
    `session`, for its owner to commit)."""
    repo = StartRepository(session)
    recorder = recorder or InSession(session)
    agents = await cached(
        session,
        ("agents_for_remote", TARGET, body.agent_id),
        lambda: repo.agents_for_remote(TARGET, body.agent_id),
    )
    if not agents:
        raise NotFound(f"no Parley agent is applied as ElevenLabs agent {body.agent_id}")
    if len(agents) > 1:
        raise Conflict(f"several Parley agents share ElevenLabs agent {body.agent_id}")
    agent = agents[0]
    number = normalise_number(body.caller_id)
    unit = Unit.caller(number, caller_key(settings)) if number else None
    for _ in range(REROUTES):  # no provider call: the claim is written with the record
        prepared = await prepare(
            session, settings, agent, kind="inbound", target=TARGET, unit=unit,
            supplied={}, caller_number=number,
        )  # fmt: skip
        prepared.row.call_sid = body.call_sid
        if prepared.missing:
            # Answer anyway: the provider names the missing variable when the call fails, and
            # the start record says why (names only).
            prepared.row.error = f"required variable(s) without a value: {prepared.missing}"
        # The phone is ringing on the arm's branch: an exposure.
        record = Record(prepared.row, prepared.route.claim, exposure_of(prepared.route))
        await release_reads(session, recorder)
        if await recorder.record(record):
            break
    else:
        raise Conflict("the caller's experiment assignment kept changing; call again")
    if prepared.row.error:
        log.warning("inbound start %s: %s", prepared.row.token, prepared.row.error)
    return client_data(prepared.request, inbound=True)
