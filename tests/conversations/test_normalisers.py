"""The provider normalisers on realistic payloads (taken from the emulator, then given a phone
call, a webhook tool call with a secret header and a secret variable echoed back)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from parley.conversations import callers
from parley.providers.elevenlabs import conversations as elevenlabs
from parley.providers.ultravox import conversations as ultravox
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "conversations"
SECRET = "tok-SECRET-4711"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_elevenlabs_conversation() -> None:
    payload = load("elevenlabs_conversation.json")
    record = elevenlabs.normalise(payload)
    assert record.provider == "elevenlabs"
    assert record.remote_id == payload["conversation_id"]
    assert (record.remote_agent_id, record.remote_version_id) == (
        payload["agent_id"],
        payload["version_id"],
    )
    assert (record.channel, record.direction, record.status) == ("phone", "outbound", "done")
    assert record.started_at == datetime.fromtimestamp(1795315613, UTC)
    assert record.duration_s == 196
    assert record.ended_at is not None
    assert (record.cost, record.cost_unit, record.successful) == (20.0, "credits", True)
    assert record.evaluation["meeting_booked"].result == "success"
    assert record.data_collection["meeting_booked"].value is True
    assert record.metadata["cost_usd"] == 0.294
    assert record.user_id == "u1"
    assert record.has_audio

    first, second, third = record.turns[:3]
    assert (first.role, first.offset_s, second.interrupted) == ("agent", 0, True)
    assert third.tool_calls == [
        {
            "id": "req_1",
            "name": "book_meeting",
            "type": "webhook",
            "arguments": {"slot": "2026-11-23T15:00:00Z"},
        }
    ]
    assert third.tool_results[0]["latency_s"] == 0.42
    assert third.latency == {"convai_llm_service_ttfb": 0.31, "convai_tts_service_ttfb": 0.12}


def test_elevenlabs_secrets_and_caller_number_are_removed() -> None:
    record = elevenlabs.normalise(load("elevenlabs_conversation.json"))
    everything = json.dumps(
        [record.raw, record.dynamic_variables, [t.model_dump() for t in record.turns]]
    )
    assert SECRET not in everything
    assert "secret__" not in everything
    assert "7946 0958" not in everything
    assert "442079460958" not in everything
    assert record.caller_number == "+442079460958"
    assert record.caller_masked == "+44••••••0958"
    assert "+44••••••0958" in record.turns[1].text
    assert "system__caller_id" not in record.dynamic_variables
    assert record.dynamic_variables["advisor_name"] == "Ana"
    assert "caller_number" not in record.model_dump()


def test_elevenlabs_summary_fingerprint_matches_the_full_conversation() -> None:
    ref = elevenlabs.ref_from_summary(load("elevenlabs_summary.json"))
    assert ref.final
    assert ref.remote_id == load("elevenlabs_conversation.json")["conversation_id"]
    assert ref.fingerprint == elevenlabs.record_fingerprint(load("elevenlabs_conversation.json"))


def test_elevenlabs_running_conversation_is_not_final() -> None:
    payload = load("elevenlabs_conversation.json")
    payload["status"] = "in-progress"
    record = elevenlabs.normalise(payload)
    assert not record.final
    assert record.ended_at is None


def test_ultravox_call() -> None:
    call, messages = load("ultravox_call.json"), load("ultravox_messages.json")
    record = ultravox.normalise(call, messages)
    assert record.provider == "ultravox"
    assert record.remote_id == call["callId"]
    assert (record.channel, record.direction, record.status) == ("phone", "outbound", "done")
    assert record.termination_reason == "agent_hangup"
    assert (record.cost, record.cost_unit, record.successful) == (169.0, "billed_seconds", None)
    assert record.duration_s == pytest.approx(169.0, abs=0.01)
    assert (record.agent_hint, record.version_hint) == ("etf-sales-specialist", 1)
    assert record.summary == call["summary"]
    assert record.has_audio
    assert record.caller_masked == "+14•••••0123"
    assert "4155550123" not in json.dumps(record.raw)
    roles = [t.role for t in record.turns]
    assert roles[:4] == ["agent", "user", "tool", "tool"]
    call_turn, result_turn = record.turns[2], record.turns[3]
    assert call_turn.tool_calls[0]["arguments"] == {"slot": "2026-11-23T15:00:00Z"}
    assert result_turn.tool_results[0] == {
        "id": "inv_1",
        "name": "book_meeting",
        "result": '{"booked": true}',
        "is_error": False,
    }
    assert record.turns[1].offset_s == pytest.approx(18.778)


def test_ultravox_live_call_and_sip_password() -> None:
    call = load("ultravox_call.json")
    call.update(ended=None, endReason=None, billedDuration=None)
    call["medium"] = {"sip": {"outgoing": {"to": "sip:+4915112345678@pbx", "password": "pw-9"}}}
    record = ultravox.normalise(call, [])
    assert (record.status, record.final, record.channel) == ("in_progress", False, "sip")
    assert "pw-9" not in json.dumps(record.raw)
    assert record.caller_masked == "+49•••••••5678"
    assert not ultravox.ref_from_call(call).final


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("tel:+1-415-555-0123", "+14155550123"),
        ("sip:+4915112345678@pbx.example;transport=tls", "+4915112345678"),
        ("0044 20 7946 0958", "+442079460958"),
        ("anonymous", None),
        (None, None),
    ],
)
def test_numbers_are_normalised(given: str | None, expected: str | None) -> None:
    assert callers.normalise_number(given) == expected


def test_caller_hash_is_keyed_and_stable() -> None:
    one = callers.caller_hash("+442079460958", b"k1")
    assert one == callers.caller_hash("+442079460958", b"k1")
    assert one != callers.caller_hash("+442079460958", b"k2")
    assert len(one) == 64
