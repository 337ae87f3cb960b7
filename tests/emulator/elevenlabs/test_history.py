"""Settings, webhooks, secrets, simulated traffic, conversation history and post-call webhooks.

Every REST answer is parsed by the official SDK; every webhook the emulator sends is verified
with the SDK's own `construct_event`, on the raw body the receiver got.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.types import GetConversationResponseModel, WebhookHmacSettings

from parley.emulator.state import Emulator
from tests.emulator.conftest import Receiver
from tests.emulator.elevenlabs.conftest import MakeAgent, split

ANALYSIS = {
    "evaluation": {
        "criteria": [
            {"id": "booked", "name": "Booked", "conversation_goal_prompt": "A meeting is booked"}
        ]
    },
    "data_collection": {
        "meeting_booked": {"type": "boolean", "description": "Was a meeting booked?"},
        "plan": {"type": "string", "constant_value": "pro"},
    },
}


async def _hook(sdk: AsyncElevenLabs, events: list[str], retry: bool = False) -> str:
    created = await sdk.webhooks.create(
        settings=WebhookHmacSettings(name="parley", webhook_url="http://hooks.test/elevenlabs")
    )
    assert created.webhook_secret is not None
    await sdk.webhooks.update(
        created.webhook_id, is_disabled=False, name="parley", retry_enabled=retry
    )
    await sdk.conversational_ai.settings.update(
        webhooks={"post_call_webhook_id": created.webhook_id, "events": events}
    )
    return created.webhook_secret


async def _simulate(client: httpx.AsyncClient, **options: Any) -> list[dict[str, Any]]:
    answer = await client.post(
        "/_emulator/simulate", json={"provider": "elevenlabs", "options": options}
    )
    assert answer.status_code == 200, answer.text
    conversations: list[dict[str, Any]] = answer.json()["conversations"]
    return conversations


async def test_settings_webhooks_and_secrets(sdk: AsyncElevenLabs, make_agent: MakeAgent) -> None:
    secret = await _hook(sdk, ["transcript", "audio"], retry=True)
    assert secret.startswith("wsec_")
    settings = await sdk.conversational_ai.settings.get()
    assert settings.webhooks is not None
    assert settings.webhooks.events == ["transcript", "audio"]
    hooks = await sdk.webhooks.list(include_usages=True)
    assert [h.name for h in hooks.webhooks] == ["parley"]
    assert hooks.webhooks[0].usage is not None
    assert hooks.webhooks[0].usage[0].usage_type == "ConvAI Settings"

    secrets = sdk.conversational_ai.secrets
    stored = await secrets.create(name="crm_token", value="s3cret")
    agent_id = await make_agent(
        conversation={
            "agent": {
                "first_message": "Hi",
                "prompt": {
                    "tools": [
                        {
                            "type": "webhook",
                            "name": "crm",
                            "description": "CRM lookup",
                            "api_schema": {
                                "url": "http://crm.test/lookup",
                                "request_headers": {
                                    "Authorization": {"secret_id": stored.secret_id}
                                },
                            },
                        }
                    ]
                },
            }
        }
    )
    one = await secrets.get(stored.secret_id)
    assert [a.id for a in one.used_by.agents] == [agent_id]  # type: ignore[union-attr]
    assert "s3cret" not in one.model_dump_json()
    with pytest.raises(ApiError) as in_use:
        await secrets.delete(stored.secret_id)
    assert in_use.value.status_code == 400
    renamed = await secrets.update(stored.secret_id, name="crm", value="new")
    assert renamed.name == "crm"
    listed = await secrets.list()
    assert [s.name for s in listed.secrets] == ["crm"]
    await sdk.conversational_ai.agents.delete(agent_id)
    await secrets.delete(stored.secret_id)
    assert (await secrets.list()).secrets == []


async def test_simulated_traffic_follows_the_split_and_history_filters(
    sdk: AsyncElevenLabs, make_agent: MakeAgent, client: httpx.AsyncClient
) -> None:
    agents = sdk.conversational_ai.agents
    agent_id = await make_agent(platform_settings=ANALYSIS)
    main = await agents.get(agent_id)
    assert main.version_id is not None
    assert main.main_branch_id is not None
    branch = await agents.branches.create(
        agent_id, parent_version_id=main.version_id, name="b", description="variant"
    )
    await agents.deployments.create(
        agent_id, deployment_request=split({main.main_branch_id: 50, branch.created_branch_id: 50})
    )
    made = await _simulate(
        client,
        agent_id=agent_id,
        count=40,
        user_id_prefix="user-",
        dynamic_variables={"name": "Ada"},
        outcome={
            "p_success": 0.6,
            "data_collection": {"meeting_booked": {"kind": "bernoulli", "p": 0.5}},
            "evaluation": {"booked": 0.5},
        },
    )
    on_branch = [c for c in made if c["branch_id"] == branch.created_branch_id]
    assert 10 < len(on_branch) < 30
    assert {c["version_id"] for c in on_branch} == {branch.created_version_id}

    history = sdk.conversational_ai.conversations
    page = await history.list(agent_id=agent_id, page_size=30)
    assert len(page.conversations) == 30
    assert page.has_more
    assert page.next_cursor is not None
    rest = await history.list(agent_id=agent_id, cursor=page.next_cursor)
    assert len(rest.conversations) == 10
    assert not rest.has_more
    filtered = await history.list(branch_id=branch.created_branch_id, page_size=100)
    assert len(filtered.conversations) == len(on_branch)
    wins = await history.list(call_successful="success", page_size=100)
    expected = sum(c["call_successful"] == "success" for c in made)
    assert len(wins.conversations) == expected
    assert all(c.call_successful == "success" for c in wins.conversations)
    mine = await history.list(user_id="user-3")
    assert [c.conversation_id for c in mine.conversations] == [made[3]["conversation_id"]]
    start = page.conversations[-1].start_time_unix_secs
    later = await history.list(call_start_after_unix=start + 100_000)
    assert later.conversations == []

    full = await history.get(made[0]["conversation_id"])
    assert isinstance(full, GetConversationResponseModel)
    assert full.status == "done"
    assert full.branch_id == made[0]["branch_id"]
    assert full.transcript[0].role == "agent"
    assert full.transcript[0].message == "Hello Ada, how can I help?"
    assert full.metadata.call_duration_secs == made[0]["call_duration_secs"]
    assert full.analysis is not None
    assert full.analysis.data_collection_results is not None
    assert full.analysis.data_collection_results["plan"].value == "pro"
    assert full.analysis.evaluation_criteria_results is not None
    assert set(full.analysis.evaluation_criteria_results) == {"booked"}
    assert full.has_audio
    assert full.conversation_initiation_client_data is not None
    assert full.conversation_initiation_client_data.user_id == "user-0"


async def test_audio_feedback_and_delete(
    sdk: AsyncElevenLabs, make_agent: MakeAgent, client: httpx.AsyncClient
) -> None:
    agent_id = await make_agent()
    (made,) = await _simulate(
        client,
        agent_id=agent_id,
        dynamic_variables={"name": "Bo"},
        outcome={"duration_s": {"kind": "constant", "value": 3}},
    )
    history = sdk.conversational_ai.conversations
    cid = made["conversation_id"]
    mp3 = b"".join([chunk async for chunk in history.audio.get(cid)])
    assert mp3[:2] == b"\xff\xfb"
    assert len(mp3) % 417 == 0
    await history.feedback.create(cid, feedback="like")
    rated = await history.get(cid)
    assert rated.metadata.feedback is not None
    assert rated.metadata.feedback.overall_score == "like"
    await history.delete(cid)
    with pytest.raises(ApiError) as gone:
        await history.get(cid)
    assert gone.value.body["detail"]["status"] == "conversation_not_found"


async def test_post_call_webhooks_verify_with_the_sdk(
    sdk: AsyncElevenLabs,
    make_agent: MakeAgent,
    client: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    secret = await _hook(sdk, ["transcript", "audio"])
    agent_id = await make_agent(platform_settings=ANALYSIS)
    (made,) = await _simulate(client, agent_id=agent_id, dynamic_variables={"name": "Cy"})
    await client.post("/_emulator/webhooks/flush")
    assert [r["path"] for r in receiver.requests] == ["/elevenlabs", "/elevenlabs"]
    events = []
    for request in receiver.requests:
        raw = request["body"].decode()
        signature = request["headers"]["elevenlabs-signature"]
        events.append(sdk.webhooks.construct_event(raw, signature, secret))
    transcription, audio_event = events
    assert transcription["type"] == "post_call_transcription"
    data = GetConversationResponseModel.model_validate(transcription["data"])
    assert data.conversation_id == made["conversation_id"]
    assert data.status == "done"
    assert data.analysis is not None
    assert data.analysis.call_successful == made["call_successful"]
    assert audio_event["type"] == "post_call_audio"
    assert set(audio_event["data"]) == {"agent_id", "conversation_id", "full_audio"}
    with pytest.raises(Exception, match="Signature hash does not match"):
        sdk.webhooks.construct_event(raw + " ", signature, secret)


async def test_transcription_webhook_retries_only_when_enabled(
    sdk: AsyncElevenLabs,
    make_agent: MakeAgent,
    client: httpx.AsyncClient,
    receiver: Receiver,
    emu: Emulator,
) -> None:
    secret = await _hook(sdk, ["transcript"], retry=True)
    agent_id = await make_agent()
    receiver.statuses = [503]
    await _simulate(client, agent_id=agent_id, dynamic_variables={"name": "Di"})
    await client.post("/_emulator/webhooks/flush")
    await client.post("/_emulator/advance", json={"seconds": 34})
    first, second = receiver.requests
    assert first["body"] == second["body"]
    assert first["headers"]["elevenlabs-signature"] != second["headers"]["elevenlabs-signature"]
    sdk.webhooks.construct_event(
        second["body"].decode(), second["headers"]["elevenlabs-signature"], secret
    )
    assert emu.outbox.deliveries[0].status == "delivered"

    hook_id = json.loads((await sdk.conversational_ai.settings.get()).model_dump_json())[
        "webhooks"
    ]["post_call_webhook_id"]
    await sdk.webhooks.update(hook_id, is_disabled=False, name="parley", retry_enabled=False)
    receiver.statuses = [503]
    await _simulate(client, agent_id=agent_id, dynamic_variables={"name": "Ed"})
    await client.post("/_emulator/webhooks/flush")
    assert emu.outbox.deliveries[-1].status == "failed"


async def test_simulate_rejects_bad_options(client: httpx.AsyncClient) -> None:
    unknown = await client.post(
        "/_emulator/simulate", json={"provider": "elevenlabs", "options": {"agent_id": "agent_x"}}
    )
    assert unknown.status_code == 404
    invalid = await client.post(
        "/_emulator/simulate", json={"provider": "elevenlabs", "options": {"count": 0}}
    )
    assert invalid.status_code == 422


async def test_seed_fixtures(sdk: AsyncElevenLabs, client: httpx.AsyncClient) -> None:
    fixtures = {
        "agents": [{"name": "Seeded", "conversation_config": {"agent": {"first_message": "Hi"}}}],
        "secrets": [{"secret_id": "sec_1", "name": "token", "value": "v"}],
    }
    answer = await client.post("/_emulator/seed", json={"fixtures": {"elevenlabs": fixtures}})
    assert answer.status_code == 200
    listed = await sdk.conversational_ai.agents.list()
    assert [a.name for a in listed.agents] == ["Seeded"]
    assert (await sdk.conversational_ai.secrets.get("sec_1")).name == "token"
