"""`simulate-conversation` through the official SDK: a scripted simulated user, mocked tools,
partial history, turn limits, judged criteria, and a 404 for an unknown agent."""

from __future__ import annotations

import itertools

import pytest
from elevenlabs import (
    AgentConfig,
    AgentSimulatedChatTestResponseModel,
    ConversationSimulationSpecification,
    PromptAgentApiModelOutput,
    PromptEvaluationCriteria,
    ToolMockConfig,
    ToolRequestModel,
    ToolRequestModelToolConfig_Client,
)
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError

from tests.emulator.elevenlabs_periphery.conftest import Wire


def user(first: str, script: str = "") -> AgentConfig:
    return AgentConfig(first_message=first, prompt=PromptAgentApiModelOutput(prompt=script))


async def test_a_scripted_user_talks_to_the_agent(
    sdk: AsyncElevenLabs, wire: Wire, agent_id: str
) -> None:
    tool = await sdk.conversational_ai.tools.create(
        request=ToolRequestModel(
            tool_config=ToolRequestModelToolConfig_Client(name="lookup_order", description="Find")
        )
    )
    await sdk.conversational_ai.agents.update(
        agent_id, conversation_config={"agent": {"prompt": {"tool_ids": [tool.id]}}}
    )
    result = await sdk.conversational_ai.agents.simulate_conversation(
        agent_id,
        simulation_specification=ConversationSimulationSpecification(
            simulated_user_config=user(
                "Hi, I am {{name}}.", 'use tool lookup_order {"order_id": "A-42"}'
            ),
            tool_mock_config={"lookup_order": ToolMockConfig(default_return_value="Shipped")},
            dynamic_variables={"name": "Ada"},
        ),
        extra_evaluation_criteria=[
            PromptEvaluationCriteria(
                id="status", name="Status", conversation_goal_prompt='Say "Shipped"'
            ),
            PromptEvaluationCriteria(
                id="upsell", name="Upsell", conversation_goal_prompt='Offer "premium shipping"'
            ),
        ],
    )
    wire.conforms(AgentSimulatedChatTestResponseModel)
    turns = result.simulated_conversation
    assert turns[0].role == "agent"
    assert turns[0].message == "Hello Ada, how can I help?"
    assert (turns[1].role, turns[1].message) == ("user", "Hi, I am Ada.")
    with_call = next(t for t in turns if t.tool_calls)
    assert with_call.tool_calls[0].tool_name == "lookup_order"
    assert with_call.tool_calls[0].tool_id == tool.id
    assert with_call.tool_results[0].result_value == "Shipped"
    assert any(t.message == "lookup_order says: Shipped" for t in turns)
    assert turns[-1].message == "Thank you for your time. Goodbye!"
    assert all(a.time_in_call_secs <= b.time_in_call_secs for a, b in itertools.pairwise(turns))
    criteria = result.analysis.evaluation_criteria_results
    assert (criteria["status"].result, criteria["upsell"].result) == ("success", "failure")
    assert result.analysis.call_successful == "failure"

    again = await sdk.conversational_ai.agents.simulate_conversation(
        agent_id,
        simulation_specification=ConversationSimulationSpecification(
            simulated_user_config=user(
                "Hi, I am {{name}}.", 'use tool lookup_order {"order_id": "A-42"}'
            ),
            tool_mock_config={"lookup_order": ToolMockConfig(default_return_value="Shipped")},
            dynamic_variables={"name": "Ada"},
        ),
    )
    assert [t.message for t in again.simulated_conversation] == [t.message for t in turns]


async def test_history_and_turn_limit(sdk: AsyncElevenLabs, agent_id: str) -> None:
    result = await sdk.conversational_ai.agents.simulate_conversation(
        agent_id,
        simulation_specification=ConversationSimulationSpecification(
            simulated_user_config=user("One.", "Two.\nThree."),
            partial_conversation_history=[
                {"role": "agent", "message": "Welcome back.", "time_in_call_secs": 0},
                {"role": "user", "message": "Thanks.", "time_in_call_secs": 3},
            ],
        ),
        new_turns_limit=3,
    )
    turns = result.simulated_conversation
    assert [t.role for t in turns] == ["user", "agent", "user"]  # no first message after history
    assert turns[0].time_in_call_secs >= 3
    assert result.analysis.call_successful == "success"
    assert "One." in result.analysis.transcript_summary


async def test_errors(sdk: AsyncElevenLabs) -> None:
    spec = ConversationSimulationSpecification(simulated_user_config=user("Hi"))
    with pytest.raises(ApiError) as missing:
        await sdk.conversational_ai.agents.simulate_conversation(
            "agent_missing", simulation_specification=spec
        )
    assert missing.value.body["detail"]["status"] == "agent_not_found"
    with pytest.raises(UnprocessableEntityError):
        await sdk.conversational_ai.agents.simulate_conversation(
            "agent_missing", simulation_specification=spec, new_turns_limit=0
        )
