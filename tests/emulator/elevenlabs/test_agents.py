"""Agents and versioning, driven through the official SDK so its own models parse every answer."""

from __future__ import annotations

import httpx
import pytest
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError
from elevenlabs.types import GetAgentResponseModel

from tests.emulator.conftest import EL_KEY
from tests.emulator.elevenlabs.conftest import BASE_URL, MakeAgent, split


async def test_create_get_and_defaults(sdk: AsyncElevenLabs, make_agent: MakeAgent) -> None:
    agent_id = await make_agent(tags=["sales"])
    assert agent_id.startswith("agent_")
    agent = await sdk.conversational_ai.agents.get(agent_id)
    assert isinstance(agent, GetAgentResponseModel)
    assert agent.name == "Support"
    assert agent.tags == ["sales"]
    config = agent.conversation_config
    assert config.agent is not None
    assert config.agent.prompt is not None
    assert config.agent.prompt.prompt == "You help {{name}} with their account."
    assert config.tts is not None
    assert config.tts.agent_output_audio_format == "pcm_16000"
    assert agent.branch_id == agent.main_branch_id
    assert agent.version_id is not None
    assert agent.version_id.startswith("agtvrsn_")
    assert agent.metadata.created_at_unix_secs > 1_700_000_000


async def test_patch_deep_merges_and_commits_a_version(
    sdk: AsyncElevenLabs, make_agent: MakeAgent
) -> None:
    agents = sdk.conversational_ai.agents
    agent_id = await make_agent()
    first = await agents.get(agent_id)
    updated = await agents.update(
        agent_id,
        conversation_config={"agent": {"first_message": "Hi!"}},
        version_description="shorter greeting",
        name="Support v2",
    )
    assert updated.name == "Support v2"
    assert updated.version_id != first.version_id
    assert updated.conversation_config.agent is not None
    assert updated.conversation_config.agent.first_message == "Hi!"
    prompt = updated.conversation_config.agent.prompt
    assert prompt is not None
    assert prompt.prompt == "You help {{name}} with their account."
    old = await agents.get(agent_id, version_id=first.version_id)
    assert old.conversation_config.agent is not None
    assert old.conversation_config.agent.first_message == "Hello {{name}}, how can I help?"
    assert updated.version_id is not None
    meta = await agents.versions.get(agent_id, updated.version_id)
    assert (meta.seq_no_in_branch, meta.version_description) == (2, "shorter greeting")
    assert meta.parents.in_branch_parent_id == first.version_id


async def test_list_search_sort_cursor_and_archived(
    sdk: AsyncElevenLabs, make_agent: MakeAgent
) -> None:
    agents = sdk.conversational_ai.agents
    ids = [await make_agent(name=n) for n in ("Charlie", "alpha", "Bravo")]
    await agents.update(ids[0], platform_settings={"archived": True})
    listed = await agents.list(sort_by="name", sort_direction="asc", page_size=1)
    assert [a.name for a in listed.agents] == ["alpha"]
    assert listed.has_more
    assert listed.next_cursor
    rest = await agents.list(sort_by="name", sort_direction="asc", cursor=listed.next_cursor)
    assert [a.name for a in rest.agents] == ["Bravo"]
    assert not rest.has_more
    archived = await agents.list(archived=True)
    assert [a.agent_id for a in archived.agents] == [ids[0]]
    found = await agents.list(search="BRA")
    assert [a.name for a in found.agents] == ["Bravo"]


async def test_delete_and_duplicate(sdk: AsyncElevenLabs, make_agent: MakeAgent) -> None:
    agents = sdk.conversational_ai.agents
    agent_id = await make_agent()
    main = (await agents.get(agent_id)).main_branch_id
    assert main is not None
    version_id = (await agents.get(agent_id)).version_id
    assert version_id is not None
    branch = await agents.branches.create(
        agent_id, parent_version_id=version_id, name="exp", description="experiment"
    )
    await agents.deployments.create(
        agent_id,
        deployment_request=split({main: 0.5, branch.created_branch_id: 0.5}),
    )
    copy = await agents.duplicate(agent_id, name="Copy")
    duplicated = await agents.get(copy.agent_id)
    assert duplicated.name == "Copy"
    branches = await agents.branches.list(copy.agent_id)
    assert sorted(b.name for b in branches.results) == ["Main", "exp"]
    assert {b.current_live_percentage for b in branches.results} == {50.0}
    history = await agents.deployments.list(copy.agent_id)
    assert history.results[0].source == "duplicate"
    await agents.delete(agent_id)
    with pytest.raises(ApiError) as missing:
        await agents.get(agent_id)
    assert missing.value.status_code == 404
    assert missing.value.body["detail"]["status"] == "agent_not_found"


async def test_branches_merge_drafts_and_deployments(
    sdk: AsyncElevenLabs, make_agent: MakeAgent
) -> None:
    agents = sdk.conversational_ai.agents
    agent_id = await make_agent()
    base = await agents.get(agent_id)
    assert base.version_id is not None
    assert base.main_branch_id is not None
    created = await agents.branches.create(
        agent_id,
        parent_version_id=base.version_id,
        name="warmer",
        description="friendlier greeting",
        conversation_config={"agent": {"first_message": "Hey there!"}},
    )
    on_branch = await agents.get(agent_id, branch_id=created.created_branch_id)
    assert on_branch.version_id == created.created_version_id
    assert on_branch.conversation_config.agent is not None
    assert on_branch.conversation_config.agent.first_message == "Hey there!"
    committed = await agents.update(
        agent_id,
        branch_id=created.created_branch_id,
        conversation_config={"agent": {"language": "de"}},
    )
    assert committed.branch_id == created.created_branch_id
    branch = await agents.branches.get(agent_id, created.created_branch_id)
    assert branch.parent_branch is not None
    assert branch.parent_branch.id == base.main_branch_id
    assert [v.seq_no_in_branch for v in branch.most_recent_versions or []] == [2, 1]
    renamed = await agents.branches.update(agent_id, created.created_branch_id, description="new")
    assert renamed.description == "new"

    await agents.drafts.create(
        agent_id,
        branch_id=base.main_branch_id,
        conversation_config={"agent": {"first_message": "draft"}},
        platform_settings={},
        workflow={},
        name="Support",
    )
    listed = await agents.branches.list(agent_id)
    main_summary = next(b for b in listed.results if b.id == base.main_branch_id)
    assert main_summary.draft_exists
    await agents.drafts.delete(agent_id, branch_id=base.main_branch_id)

    deployed = await agents.deployments.create(
        agent_id,
        deployment_request=split({base.main_branch_id: 80, created.created_branch_id: 20}),
    )
    assert deployed.traffic_percentage_branch_id_map == {
        base.main_branch_id: 80.0,
        created.created_branch_id: 20.0,
    }
    with pytest.raises(ApiError) as bad_sum:
        await agents.deployments.create(
            agent_id,
            deployment_request=split({base.main_branch_id: 0.7}),
        )
    assert bad_sum.value.status_code == 400

    await agents.branches.merge(
        agent_id,
        created.created_branch_id,
        target_branch_id=base.main_branch_id,
        archive_source_branch=True,
    )
    merged = await agents.get(agent_id)
    assert merged.conversation_config.agent is not None
    assert merged.conversation_config.agent.language == "de"
    history = await agents.deployments.list(agent_id)
    assert history.results[0].is_active
    assert history.results[0].traffic_percentage_branch_id_map == {base.main_branch_id: 100.0}
    visible = await agents.branches.list(agent_id)
    assert [b.id for b in visible.results] == [base.main_branch_id]


async def test_error_shapes(sdk: AsyncElevenLabs, emulator_app: object) -> None:
    transport = httpx.ASGITransport(app=emulator_app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport) as http:
        anonymous = await http.get(f"{BASE_URL}/v1/convai/agents")
        wrong = await http.get(f"{BASE_URL}/v1/convai/agents", headers={"xi-api-key": "nope"})
        invalid = await http.post(
            f"{BASE_URL}/v1/convai/agents/create", headers={"xi-api-key": EL_KEY}, json={}
        )
    assert anonymous.status_code == 401
    assert wrong.json()["detail"]["status"] == "invalid_api_key"
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["body", "conversation_config"]
    with pytest.raises(UnprocessableEntityError):
        await sdk.conversational_ai.agents.list(page_size=500)
    with pytest.raises(ApiError) as missing:
        await sdk.conversational_ai.agents.branches.get("agent_nope", "agtbrch_nope")
    assert missing.value.body == {
        "detail": {"status": "agent_not_found", "message": "agent agent_nope not found"}
    }
