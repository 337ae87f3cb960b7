"""Starting conversations: a browser session, an outbound call, an inbound call's initiation.

Each path does the same five things in order: find the agent, ask `routing.choose_route` for
the version and target (the one place an experiment arm is chosen), build the dynamic
variables (declared defaults, the unit's history, configured secrets, the caller's values),
start the conversation on the provider pinned to that version, and record the start. The
start record never holds a secret value; the caller's number is kept as a keyed hash and a
masked form only. Writes go through a `recorder.Recorder`: by default into the caller's
session (services never commit; its owner does), from the API through the process's group
commit, which answers once the batch is committed. A new unit's first experiment assignment is
stored before the provider is called. A provider failure is recorded as a failed start and
handed back (not raised) so the route can still answer the error.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from parley.config import Settings
from parley.conversations.callers import hash_key, mask, normalise_number
from parley.errors import Conflict, InvalidInput, NotFound, ParleyError
from parley.experiments.assignment import exposure
from parley.experiments.repository import Delta
from parley.models import Agent, ConversationStart
from parley.providers.base import PhoneLine, Started, StartProvider, StartRequest, StartTarget
from parley.providers.registry import Providers
from parley.providers.ultravox.adapter import call_metadata
from parley.sessions import personalise
from parley.sessions import variables as vars_
from parley.sessions.cache import cached
from parley.sessions.recorder import InSession, Record, Recorder, release_reads
from parley.sessions.repository import Binding, StartRepository
from parley.sessions.routing import Route, Unit, choose_route

TOKEN_PREFIX = "st_"
STAMP_TOKEN = "parley_start"
REROUTES = 3  # a start routed again finds its unit's stored assignment: one more try is enough


# Versions are immutable and content-addressed: a spec is cached by its hash, for good.
_SPECS: dict[str, dict[str, Any]] = {}
_SPECS_MAX = 1024
_KEYS: dict[str, bytes] = {}


async def _spec(
    repo: StartRepository, agent_id: int, version: int, content_hash: str
) -> dict[str, Any]:
    spec = _SPECS.get(content_hash)
    if spec is None:
        spec = await repo.version_spec(agent_id, version) or {}
        if len(_SPECS) >= _SPECS_MAX:
            _SPECS.clear()
        _SPECS[content_hash] = spec
    return spec


def caller_key(settings: Settings) -> bytes:
    """The caller-hash key, read once per data directory (the file never changes)."""
    if settings.caller_hash_key is not None:
        return settings.caller_hash_key.get_secret_value().encode()
    where = str(settings.data_dir)
    if where not in _KEYS:
        _KEYS[where] = hash_key(settings)
    return _KEYS[where]


@dataclass
class Prepared:
    agent: Agent
    route: Route
    binding: Binding
    request: StartRequest
    row: ConversationStart
    missing: list[str]


@dataclass
class Outcome:
    """A recorded start: what the provider answered, or the error it gave."""

    agent: str
    route: Route
    row: ConversationStart
    started: Started | None = None
    error: ParleyError | None = None


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(16)


def stamps(agent: str, route: Route, token: str) -> dict[str, str]:
    """Parley's attribution labels for the provider: agent, version, start, experiment arm."""
    extra = {STAMP_TOKEN: token}
    if route.experiment:
        extra["parley_experiment"] = route.experiment
    if route.arm:
        extra["parley_arm"] = route.arm
    return call_metadata(agent, route.version_number, **extra)


async def prepare(
    session: AsyncSession,
    settings: Settings,
    agent: Agent,
    *,
    kind: str,
    target: str | None,
    unit: Unit | None,
    supplied: dict[str, Any],
    user_id: str | None = None,
    caller_number: str | None = None,
) -> Prepared:
    """Route, variables and the (not yet flushed) start record for one start."""
    repo = StartRepository(session)
    route = await choose_route(session, agent, unit=unit, target=target)
    binding = await cached(
        session,
        ("binding", agent.id, route.target, route.version_number),
        lambda: repo.binding(agent.id, route.target, route.version_number),
    )
    if binding is None:
        raise NotFound(
            f"agent {agent.name!r} version {route.version_number} is not applied to {route.target}"
        )
    spec = await _spec(repo, agent.id, route.version_number, binding.content_hash)
    key = caller_key(settings)
    caller_h = Unit.caller(caller_number, key).value if caller_number else None
    personal = await personalise.context(
        repo, spec, agent.id, caller_hash=caller_h, user_id=None if caller_h else user_id
    )
    secret_raw = settings.secret_variables.get_secret_value() if settings.secret_variables else None
    values = vars_.build(
        spec,
        supplied,
        personal=personal,
        configured_secrets=vars_.parse_secret_config(secret_raw),
    )
    token = new_token()
    target_ids = StartTarget(
        binding.remote_id,
        route.remote_version_id or binding.remote_version_id,
        route.remote_branch_id or binding.remote_branch_id,
    )
    request = StartRequest(
        target=target_ids,
        variables=dict(values.public),
        secrets=dict(values.secret),
        stamps=stamps(agent.name, route, token),
        user_id=user_id,
    )
    row = ConversationStart(
        token=token,
        kind=kind,
        agent_id=agent.id,
        version_number=route.version_number,
        target=route.target,
        remote_agent_id=binding.remote_id,
        remote_branch_id=target_ids.remote_branch_id,
        remote_version_id=target_ids.remote_version_id,
        unit_kind=unit.kind if unit else None,
        unit_hash=unit.value if unit else None,
        caller_hash=caller_h,
        caller_masked=mask(caller_number) if caller_number else None,
        experiment=route.experiment,
        arm=route.arm,
        variables=dict(values.public),  # never the secret ones
        status="started",
    )
    return Prepared(agent, route, binding, request, row, values.missing)


async def _agent(session: AsyncSession, name: str) -> Agent:
    agent = await StartRepository(session).agent_by_name(name)
    if agent is None or agent.archived_at is not None:
        raise NotFound(f"no agent {name!r}", details={"agent": name})
    return agent


def _require(prepared: Prepared) -> None:
    if prepared.missing:
        raise InvalidInput(
            f"required variable(s) without a value: {prepared.missing}",
            details={"missing": prepared.missing},
        )


def _starter(providers: Providers, target: str) -> StartProvider:
    # Both adapters implement StartProvider next to AgentProvider.
    return cast(StartProvider, providers.get(target))


async def claimed(
    session: AsyncSession, recorder: Recorder, attempt: Callable[[], Awaitable[Prepared]]
) -> Prepared:
    """`attempt()` (prepare and check one start) with its new unit's first assignment stored,
    so the provider is only ever asked for the arm the unit keeps; when another start stored
    the unit first on another arm, the start is prepared again (theirs wins)."""
    for _ in range(REROUTES):
        prepared = await attempt()
        await release_reads(session, recorder)  # no connection held through the provider call
        claim = prepared.route.claim
        if claim is None or await recorder.record(Record(claim=claim)):
            return prepared
    raise Conflict("the unit's experiment assignment kept changing; start again")


def exposure_of(route: Route) -> Delta | None:
    """The exposure a start on `route` counts: it really started on its arm."""
    return exposure(route.assignment) if route.assignment is not None else None


async def _run(recorder: Recorder, prepared: Prepared, call: Any) -> Outcome:
    outcome = Outcome(prepared.agent.name, prepared.route, prepared.row)
    counted = None
    try:
        outcome.started = await call
    except ParleyError as exc:
        prepared.row.status, prepared.row.error = "failed", exc.message[:2000]
        outcome.error = exc
    else:
        prepared.row.remote_conversation_id = outcome.started.remote_conversation_id
        prepared.row.call_sid = outcome.started.call_sid
        counted = exposure_of(prepared.route)
    await recorder.record(Record(prepared.row, exposure=counted))
    return outcome


async def start_session(
    session: AsyncSession,
    providers: Providers,
    *,
    agent: str,
    target: str | None = None,
    user_id: str | None = None,
    variables: dict[str, Any] | None = None,
    recorder: Recorder | None = None,
) -> Outcome:
    """A browser conversation: a join URL (and, on ElevenLabs, the client's first message).
    Written with `recorder` (default: into `session`, for its owner to commit)."""
    settings = providers.settings
    recorder = recorder or InSession(session)
    row = await _agent(session, agent)
    unit = Unit.user(user_id, caller_key(settings)) if user_id else Unit.session()

    async def attempt() -> Prepared:
        prepared = await prepare(
            session, settings, row, kind="session", target=target, unit=unit,
            supplied=variables or {}, user_id=user_id,
        )  # fmt: skip
        _require(prepared)
        return prepared

    prepared = await claimed(session, recorder, attempt)
    starter = _starter(providers, prepared.route.target)
    return await _run(recorder, prepared, starter.start_web(prepared.request))


async def start_call(
    session: AsyncSession,
    providers: Providers,
    *,
    agent: str,
    to: str,
    line: str,
    via: str | None = None,
    target: str | None = None,
    user_id: str | None = None,
    variables: dict[str, Any] | None = None,
    recorder: Recorder | None = None,
) -> Outcome:
    """An outbound phone call to `to` (an E.164 number, or a SIP URI on Ultravox SIP)."""
    settings = providers.settings
    recorder = recorder or InSession(session)
    row = await _agent(session, agent)
    number = normalise_number(to)
    if number is None and not to.lower().startswith(("sip:", "sips:")):
        raise InvalidInput(f"{mask(to) if len(to) > 6 else 'the number'} is not a phone number")
    key = caller_key(settings)
    unit = Unit.caller(number, key) if number else Unit.session()

    async def attempt() -> Prepared:
        prepared = await prepare(
            session, settings, row, kind="call", target=target, unit=unit,
            supplied=variables or {}, user_id=user_id, caller_number=number,
        )  # fmt: skip
        _require(prepared)
        return prepared

    prepared = await claimed(session, recorder, attempt)
    starter = _starter(providers, prepared.route.target)
    dial = number if number and not to.lower().startswith("sip") else to
    phone = PhoneLine(to_number=dial, line=line, via=via)
    return await _run(recorder, prepared, starter.start_phone(prepared.request, phone))
