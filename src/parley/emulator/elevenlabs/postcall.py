"""What happens after a conversation ends: analysis, status `done`, and signed post-call webhooks.

Analysis is deterministic. A simulated conversation carries its drawn outcome and analysis
reports exactly that; a live one counts as successful when the user spoke at least once and the
agent ended the call with a farewell. Data collection takes a constant, then a dynamic variable,
then null. Webhooks go through the emulator outbox with ElevenLabs' envelope and signature
(`ElevenLabs-Signature: t=<unix>,v0=<hex hmac_sha256(secret, "<t>.<body>")>`), signed afresh at
every attempt; only `post_call_transcription` is retried, and only when the webhook opts in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

from parley.emulator import audio
from parley.emulator.elevenlabs.conversation_models import Conversation, full_view
from parley.emulator.elevenlabs.settings import WorkspaceWebhook, convai_settings
from parley.emulator.outbox import Signer

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

RETRY_SCHEDULE = [30.0, 120.0, 480.0, 1800.0]
# ElevenLabs bills by the minute of conversation; the emulator's rate is round and plausible.
CREDITS_PER_SECOND = 10
USD_PER_SECOND = 0.0015


def _platform_settings(emu: Emulator, c: Conversation) -> dict[str, Any]:
    agent = emu.state("elevenlabs").agents.get(c.agent_id)
    if agent is None or c.version_id not in agent.versions:
        return {}
    settings: dict[str, Any] = agent.versions[c.version_id].platform_settings
    return settings


def analyse(emu: Emulator, c: Conversation, farewell: bool) -> dict[str, Any]:
    settings = _platform_settings(emu, c)
    users, agents = c.counts()
    outcome = c.outcome or {}
    live_verdict = users >= 1 and farewell
    successful = bool(outcome["successful"]) if "successful" in outcome else live_verdict
    verdict = "success" if successful else "failure"
    criteria = (settings.get("evaluation") or {}).get("criteria") or []
    evaluation = {}
    for criterion in criteria:
        passed = (outcome.get("evaluation") or {}).get(criterion["id"], successful)
        evaluation[criterion["id"]] = {
            "criteria_id": criterion["id"],
            "result": "success" if passed else "failure",
            "rationale": f"{criterion.get('name', criterion['id'])}: "
            + ("the goal was met." if passed else "the goal was not met."),
            "scoring_mode": "binary",
        }
    variables = c.initiation.get("dynamic_variables") or {}
    drawn = outcome.get("data") or {}
    collected = {}
    for data_id, spec in (settings.get("data_collection") or {}).items():
        if data_id in drawn:
            value = drawn[data_id]
        elif spec.get("constant_value") is not None:
            value = spec["constant_value"]
        else:
            value = variables.get(spec.get("dynamic_variable") or "")
        collected[data_id] = {
            "data_collection_id": data_id,
            "value": value,
            "json_schema": {
                "type": spec.get("type", "string"),
                "description": spec.get("description"),
            },
            "rationale": "Taken from the conversation." if value is not None else "Not mentioned.",
        }
    return {
        "call_successful": verdict,
        "transcript_summary": (
            f"The user and the agent exchanged {users + agents} messages; "
            f"the call was {'successful' if successful else 'not successful'}."
        ),
        "call_summary_title": "Successful call" if successful else "Unresolved call",
        "evaluation_criteria_results": evaluation,
        "data_collection_results": collected,
    }


def finish(
    emu: Emulator,
    c: Conversation,
    reason: str,
    *,
    farewell: bool = False,
    duration_secs: int | None = None,
) -> bool:
    """End a live conversation: analyse, mark it `done`, queue the webhooks. False if not live."""
    if not c.live:
        return False
    c.call_duration_secs = c.elapsed(emu.clock.now()) if duration_secs is None else duration_secs
    c.termination_reason = reason
    c.status = "processing"
    c.analysis = analyse(emu, c, farewell)
    if c.cost is None:
        c.cost = c.call_duration_secs * CREDITS_PER_SECOND
        c.cost_fiat = round(c.call_duration_secs * USD_PER_SECOND, 4)
    c.status = "done"
    send_post_call(emu, c)
    return True


def webhook_config(
    emu: Emulator, c: Conversation
) -> tuple[WorkspaceWebhook, dict[str, Any]] | None:
    """The post-call webhook and its settings, with the agent's workspace overrides applied."""
    config = dict(convai_settings(emu).webhooks)
    overrides = (_platform_settings(emu, c).get("workspace_overrides") or {}).get("webhooks")
    config.update({k: v for k, v in (overrides or {}).items() if v is not None})
    hook: WorkspaceWebhook | None = emu.state("elevenlabs").webhooks.get(
        config.get("post_call_webhook_id") or ""
    )
    if hook is None or hook.is_disabled or hook.is_auto_disabled:
        return None
    return hook, config


def _signer(secret: str) -> Signer:
    def sign(body: bytes, now: float) -> dict[str, str]:
        stamp = int(now)
        digest = hmac.new(
            secret.encode(), f"{stamp}.{body.decode()}".encode(), hashlib.sha256
        ).hexdigest()
        return {"ElevenLabs-Signature": f"t={stamp},v0={digest}"}

    return sign


def _enqueue(emu: Emulator, hook: WorkspaceWebhook, event: str, data: dict[str, Any]) -> None:
    envelope = {"type": event, "event_timestamp": emu.clock.now_secs(), "data": data}
    retry = event == "post_call_transcription" and hook.retry_enabled
    emu.outbox.enqueue(
        provider="elevenlabs",
        event=event,
        url=hook.webhook_url,
        body=json.dumps(envelope).encode(),
        headers={k: v for k, v in hook.request_headers.items() if v is not None},
        sign=_signer(hook.secret),
        retry_schedule=RETRY_SCHEDULE if retry else None,
    )


def send_post_call(emu: Emulator, c: Conversation) -> None:
    found = webhook_config(emu, c)
    if found is None:
        return
    hook, config = found
    events = config.get("events") or ["transcript"]
    if config.get("send_audio"):
        events = [*events, "audio"]
    if "transcript" in events:
        data = full_view(c)
        if config.get("exclude_transcript"):
            data.pop("transcript")
        _enqueue(emu, hook, "post_call_transcription", data)
    if "audio" in events and not c.text_only:
        mp3 = audio.mp3_silence(max(1, c.call_duration_secs))
        full_audio = base64.b64encode(mp3).decode()
        data = {
            "agent_id": c.agent_id,
            "conversation_id": c.conversation_id,
            "full_audio": full_audio,
        }
        _enqueue(emu, hook, "post_call_audio", data)


def send_initiation_failure(
    emu: Emulator, c: Conversation, failure_reason: str, metadata: dict[str, Any] | None = None
) -> None:
    """`call_initiation_failure` for a phone call that never connected (busy, no answer...)."""
    c.status, c.termination_reason = "failed", f"Call initiation failed: {failure_reason}"
    found = webhook_config(emu, c)
    if found is None or "call_initiation_failure" not in (found[1].get("events") or []):
        return
    data = {
        "agent_id": c.agent_id,
        "conversation_id": c.conversation_id,
        "failure_reason": failure_reason,
        "metadata": metadata or {"type": "twilio", "body": {}},
    }
    _enqueue(emu, found[0], "call_initiation_failure", data)
