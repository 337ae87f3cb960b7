"""Conversation records for store/list/API tests, made by the real normalisers from fixtures."""

from __future__ import annotations

import copy
import json
from typing import Any

from parley.conversations.schemas import ConversationRecord
from parley.providers.elevenlabs import conversations as elevenlabs
from parley.providers.ultravox import conversations as ultravox
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "conversations"
START = 1_795_315_613


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def elevenlabs_record(
    index: int,
    *,
    verdict: str = "success",
    booked: bool | None = True,
    agent_id: str | None = None,
    version_id: str | None = None,
    number: str | None = None,
) -> ConversationRecord:
    payload = copy.deepcopy(load("elevenlabs_conversation.json"))
    payload["conversation_id"] = f"conv_{index:04d}"
    payload["metadata"]["start_time_unix_secs"] = START + 60 * index
    payload["analysis"]["call_successful"] = verdict
    payload["analysis"]["evaluation_criteria_results"]["meeting_booked"]["result"] = verdict
    payload["analysis"]["data_collection_results"]["meeting_booked"]["value"] = booked
    if agent_id is not None:
        payload["agent_id"] = agent_id
    if version_id is not None:
        payload["version_id"] = version_id
    if number is not None:
        payload["metadata"]["phone_call"]["external_number"] = number
    return elevenlabs.normalise(payload)


def ultravox_record(index: int, **call: Any) -> ConversationRecord:
    payload = {**load("ultravox_call.json"), "callId": f"call-{index:04d}", **call}
    return ultravox.normalise(payload, load("ultravox_messages.json"))
