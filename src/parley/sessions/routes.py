"""`POST /api/v1/sessions`, `POST /api/v1/calls` and the ElevenLabs inbound initiation webhook.

Routes parse only. The start endpoints take a bearer token like every `/api` route; a start the
provider refused is still recorded (status `failed`), so the error is answered without raising.
Starts are written through the app's `StartCommit`: concurrent starts share a transaction, and
each answer waits for its commit. The initiation webhook has no bearer
token: ElevenLabs sends a shared secret in a configured request header, compared in constant
time; while `PARLEY_ELEVENLABS_INITIATION_SECRET` is unset every request is refused.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from parley.config import Settings
from parley.deps import Caller, Session
from parley.errors import BadRequest, Unauthorized
from parley.providers.registry import Providers
from parley.sessions import inbound, service
from parley.sessions.recorder import StartCommit
from parley.sessions.schemas import (
    CallRequest,
    CallStarted,
    InitiationRequest,
    SessionRequest,
    SessionStarted,
)
from parley.webhooks.routes import read_capped

router = APIRouter(prefix="/api/v1", tags=["sessions"])
webhook_router = APIRouter(prefix="/webhooks/elevenlabs", tags=["webhooks"])
INITIATION_MAX_BYTES = 16 * 1024
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such agent."},
    409: {"description": "The agent is not live on the target."},
    422: {"description": "Unknown, reserved, malformed or missing variables; ambiguous target."},
    502: {"description": "The provider failed or refused; the start is recorded as failed."},
}


def recorder(request: Request) -> StartCommit:
    """The app's group commit for starts (opened with the app, `app.create_app`)."""
    found: StartCommit = request.app.state.start_commit
    return found


def _providers(request: Request) -> Providers:
    """This request's adapters, on the app's connection pools (`app.create_app`)."""
    state = request.app.state
    transports = getattr(state, "provider_transports", None)
    return Providers(state.settings, transports=transports, pools=state.provider_pools)


def _info(outcome: service.Outcome) -> dict[str, Any]:
    return {
        "start_id": outcome.row.token,
        "agent": outcome.agent,
        "version": outcome.route.version_number,
        "target": outcome.route.target,
        "experiment": outcome.route.experiment,
        "arm": outcome.route.arm,
        "conversation_id": outcome.row.remote_conversation_id,
    }


def _failed(outcome: service.Outcome) -> JSONResponse:
    assert outcome.error is not None
    body = outcome.error.to_body()
    body["error"]["details"]["start_id"] = outcome.row.token
    return JSONResponse(body, status_code=outcome.error.status_code)


@router.post(
    "/sessions",
    response_model=SessionStarted,
    responses=ERRORS,
    summary="Start a browser conversation",
)
async def start_session(
    body: SessionRequest, request: Request, session: Session, caller: Caller
) -> SessionStarted | JSONResponse:
    """A join URL pinned to the routed version. On ElevenLabs, open the signed URL and send
    `client_data` as the first message; on Ultravox, join `join_url`."""
    async with _providers(request) as providers:
        outcome = await service.start_session(
            session, providers, agent=body.agent, target=body.target, user_id=body.user_id,
            variables=dict(body.variables), recorder=recorder(request),
        )  # fmt: skip
    if outcome.error is not None or outcome.started is None:
        return _failed(outcome)
    started = outcome.started
    return SessionStarted(
        **_info(outcome), join_url=started.join_url or "", client_data=started.client_data
    )


@router.post(
    "/calls", response_model=CallStarted, responses=ERRORS, summary="Place an outbound call"
)
async def start_call(
    body: CallRequest, request: Request, session: Session, caller: Caller
) -> CallStarted | JSONResponse:
    """Dial `to` from `line` with the routed version and the given variables."""
    async with _providers(request) as providers:
        outcome = await service.start_call(
            session, providers, agent=body.agent, to=body.to, line=body.line, via=body.via,
            target=body.target, user_id=body.user_id, variables=dict(body.variables),
            recorder=recorder(request),
        )  # fmt: skip
    if outcome.error is not None or outcome.started is None:
        return _failed(outcome)
    return CallStarted(**_info(outcome), call_sid=outcome.started.call_sid)


def _authenticate(request: Request, settings: Settings) -> None:
    secret = settings.elevenlabs_initiation_secret
    if secret is None or not secret.get_secret_value():
        raise Unauthorized("the initiation webhook is off: PARLEY_ELEVENLABS_INITIATION_SECRET")
    sent = request.headers.get(settings.elevenlabs_initiation_header, "")
    if not hmac.compare_digest(sent.encode(), secret.get_secret_value().encode()):
        raise Unauthorized("missing or wrong initiation secret header")


@webhook_router.post(
    "/conversation-initiation",
    summary="ElevenLabs inbound-call initiation (personalisation)",
    response_class=JSONResponse,
    responses={
        200: {"content": {"application/json": {"schema": {"type": "object"}}}},
        401: {"description": "Missing or wrong secret header, or no secret configured."},
        404: {"description": "No Parley agent is applied as that ElevenLabs agent."},
    },
)
async def conversation_initiation(request: Request) -> Response:
    """Answers `conversation_initiation_client_data` for a ringing inbound call: dynamic
    variables (defaults, the caller's history, secrets), the routed branch, Parley's stamps."""
    # The phone is ringing: no dependencies and no response model to run. The session only
    # reads (the start is written by the group commit), so nothing is committed here.
    settings: Settings = request.app.state.settings
    _authenticate(request, settings)
    raw = await read_capped(request, INITIATION_MAX_BYTES)
    try:
        body = InitiationRequest.model_validate_json(raw)
    except ValidationError:
        raise BadRequest("the body is not an initiation request") from None
    async with request.app.state.sessions() as session:
        answer = await inbound.initiate(session, settings, body, recorder(request))
    return Response(json.dumps(answer).encode(), media_type="application/json")
