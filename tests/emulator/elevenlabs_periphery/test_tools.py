"""Workspace tools through the official SDK: create, list with filters and cursors, get, update,
delete (guarded while an agent uses the tool), dependent agents, and the error shapes."""

from __future__ import annotations

import typing

import pytest
from elevenlabs import (
    GetToolDependentAgentsResponseModel,
    ObjectJsonSchemaPropertyInput,
    ToolRequestModel,
    ToolRequestModelToolConfig_Client,
    ToolRequestModelToolConfig_System,
    ToolRequestModelToolConfig_Webhook,
    ToolResponseModel,
    ToolsResponseModel,
    WebhookToolApiSchemaConfigInput,
)
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError

from tests.emulator.elevenlabs_periphery.conftest import Wire


def webhook(
    name: str = "lookup_order", url: str = "https://api.example.com/orders/{id}"
) -> ToolRequestModel:
    return ToolRequestModel(
        tool_config=ToolRequestModelToolConfig_Webhook(
            name=name,
            description="Look an order up by its id.",
            api_schema=WebhookToolApiSchemaConfigInput(
                url=url,
                method="GET",
                path_params_schema={"id": {"type": "string", "description": "The order id"}},
                request_headers={"Authorization": {"secret_id": "sec_1"}},
            ),
        )
    )


def client_tool(name: str) -> ToolRequestModel:
    return ToolRequestModel(
        tool_config=ToolRequestModelToolConfig_Client(
            name=name,
            description="Show a product card in the app.",
            expects_response=True,
            response_timeout_secs=-1,
            parameters=ObjectJsonSchemaPropertyInput(
                type="object",
                properties={"sku": {"type": "string", "description": "Product SKU"}},
                required=["sku"],
            ),
        )
    )


async def test_create_get_update_delete_a_webhook_tool(sdk: AsyncElevenLabs, wire: Wire) -> None:
    tools = sdk.conversational_ai.tools
    created = await tools.create(request=webhook())
    wire.conforms(ToolResponseModel)
    assert created.id.startswith("tool_")
    config = created.tool_config
    assert config.type == "webhook"
    assert config.name == "lookup_order"
    assert config.api_schema.url == "https://api.example.com/orders/{id}"
    assert config.response_timeout_secs == 20  # the platform's default is filled in
    assert created.usage_stats.avg_latency_secs == 0.0
    assert created.access_info.role == "admin"

    fetched = await tools.get(created.id)
    wire.conforms(ToolResponseModel)
    assert fetched.tool_config == created.tool_config

    updated = await tools.update(created.id, request=webhook(url="https://api.example.com/v2/{id}"))
    assert updated.tool_config.type == "webhook"
    assert updated.tool_config.api_schema.url == "https://api.example.com/v2/{id}"

    await tools.delete(created.id)
    with pytest.raises(ApiError) as missing:
        await tools.get(created.id)
    assert missing.value.status_code == 404
    assert missing.value.body["detail"]["status"] == "tool_not_found"


async def test_client_and_system_tools_keep_their_own_fields(
    sdk: AsyncElevenLabs, wire: Wire
) -> None:
    tools = sdk.conversational_ai.tools
    client = await tools.create(request=client_tool("show_product"))
    assert client.tool_config.type == "client"
    assert client.tool_config.expects_response is True
    assert client.tool_config.response_timeout_secs == -1
    system = await tools.create(
        request=ToolRequestModel(
            tool_config=ToolRequestModelToolConfig_System(
                name="end_call", params={"system_tool_type": "end_call"}
            )
        )
    )
    wire.conforms(ToolResponseModel)
    assert system.tool_config.type == "system"
    assert system.tool_config.params.system_tool_type == "end_call"


async def test_list_filters_sorts_and_pages_with_a_cursor(sdk: AsyncElevenLabs, wire: Wire) -> None:
    tools = sdk.conversational_ai.tools
    for name in ("alpha", "beta", "gamma"):
        await tools.create(request=webhook(name=name))
    await tools.create(request=client_tool("widget"))

    first = await tools.list(page_size=2, sort_by="name", sort_direction="asc")
    wire.conforms(ToolsResponseModel)
    assert [t.tool_config.name for t in first.tools] == ["alpha", "beta"]
    assert first.has_more
    assert first.next_cursor
    second = await tools.list(
        page_size=2, sort_by="name", sort_direction="asc", cursor=first.next_cursor
    )
    assert [t.tool_config.name for t in second.tools] == ["gamma", "widget"]
    assert (second.has_more, second.next_cursor) == (False, None)

    only_clients = await tools.list(types=["client"])
    assert [t.tool_config.name for t in only_clients.tools] == ["widget"]
    assert [t.tool_config.name for t in (await tools.list(search="GA")).tools] == ["gamma"]


async def test_a_tool_in_use_needs_force_and_is_detached(
    sdk: AsyncElevenLabs, wire: Wire, agent_id: str
) -> None:
    tools = sdk.conversational_ai.tools
    tool = await tools.create(request=webhook())
    await sdk.conversational_ai.agents.update(
        agent_id,
        conversation_config={"agent": {"prompt": {"tool_ids": [tool.id]}}},
    )
    dependents = await tools.get_dependent_agents(tool.id)
    wire.conforms(GetToolDependentAgentsResponseModel)
    assert [a.id for a in dependents.agents] == [agent_id]
    used = await tools.list(used_by_agent_id=agent_id)
    assert [t.id for t in used.tools] == [tool.id]

    with pytest.raises(ApiError) as refused:
        await tools.delete(tool.id)
    assert refused.value.status_code == 400
    assert refused.value.body["detail"]["status"] == "tool_in_use"
    await tools.delete(tool.id, force=True)
    agent = await sdk.conversational_ai.agents.get(agent_id)
    assert agent.conversation_config.agent.prompt.tool_ids == []


async def test_invalid_tools_get_fastapi_422s(sdk: AsyncElevenLabs) -> None:
    tools = sdk.conversational_ai.tools
    bad_name = typing.cast(
        ToolRequestModel,
        ToolRequestModel.model_construct(
            tool_config={"type": "webhook", "name": "has spaces", "description": "x",
                         "api_schema": {"url": "https://x.test"}}
        ),
    )  # fmt: skip
    with pytest.raises(UnprocessableEntityError) as invalid:
        await tools.create(request=bad_name)
    detail = invalid.value.body["detail"]
    assert isinstance(detail, list)
    assert detail[0]["loc"][:3] == ["body", "tool_config", "webhook"]
    config = webhook().tool_config.model_copy(update={"response_timeout_secs": 301})
    too_slow = ToolRequestModel(tool_config=config)
    with pytest.raises(UnprocessableEntityError):
        await tools.create(request=too_slow)
    with pytest.raises(ApiError) as missing:
        await tools.update("tool_missing", request=webhook())
    assert missing.value.status_code == 404
