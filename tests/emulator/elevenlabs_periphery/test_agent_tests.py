"""Agent tests through the official SDK: CRUD (PUT replaces), list with cursors, running them on
an agent (pending until the emulator clock moves, then passed or failed deterministically), the
invocation list, cancelling, and the error shapes."""

from __future__ import annotations

import httpx
import pytest
from elevenlabs import (
    CreateAgentTestResponseModel,
    GetTestInvocationsPageResponseModel,
    GetTestsPageResponseModel,
    GetTestSuiteInvocationResponseModel,
    SingleTestRunRequestModel,
    ToolRequestModel,
    ToolRequestModelToolConfig_Client,
)
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.conversational_ai.tests import types as kinds
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError

from tests.emulator.elevenlabs_periphery.conftest import Wire


def llm_test(
    name: str, condition: str, message: str = "I want to return my shoes"
) -> kinds.TestsCreateRequestBody_Llm:
    return kinds.TestsCreateRequestBody_Llm(
        name=name,
        chat_history=[{"role": "user", "message": message, "time_in_call_secs": 1}],
        success_condition=condition,
    )


async def test_create_get_replace_list_delete(sdk: AsyncElevenLabs, wire: Wire) -> None:
    tests = sdk.conversational_ai.tests
    created = await tests.create(request=llm_test("Returns", 'The agent repeats "return my shoes"'))
    wire.conforms(CreateAgentTestResponseModel)
    got = await tests.get(created.id)
    wire.conforms(kinds.TestsGetResponse)
    assert (got.type, got.name, got.id) == ("llm", "Returns", created.id)
    assert got.chat_history[0].message == "I want to return my shoes"

    replaced = await tests.update(
        created.id,
        request=kinds.TestsCreateRequestBody_Simulation(
            name="Returns (sim)", simulation_scenario="Hi", success_condition="Be polite"
        ),
    )
    wire.conforms(kinds.TestsGetResponse)
    assert (replaced.type, replaced.name) == ("simulation", "Returns (sim)")
    assert not hasattr(replaced, "chat_history") or replaced.chat_history is None

    for name in ("B", "C"):
        await tests.create(request=llm_test(name, "ok"))
    first = await tests.list(page_size=2)
    wire.conforms(GetTestsPageResponseModel)
    assert len(first.tests) == 2
    assert first.has_more
    second = await tests.list(page_size=2, cursor=first.next_cursor)
    assert len(second.tests) == 1
    assert not second.has_more
    assert {t.id for t in first.tests + second.tests} >= {created.id}
    assert [t.name for t in (await tests.list(types=["simulation"])).tests] == ["Returns (sim)"]
    assert first.tests[0].entity_type == "test"

    await tests.delete(created.id)
    with pytest.raises(ApiError) as gone:
        await tests.get(created.id)
    assert (gone.value.status_code, gone.value.body["detail"]["status"]) == (404, "test_not_found")


async def test_runs_stay_pending_then_pass_or_fail(
    sdk: AsyncElevenLabs, wire: Wire, agent_id: str, client: httpx.AsyncClient
) -> None:
    tests = sdk.conversational_ai.tests
    passing = await tests.create(request=llm_test("Echo", 'The agent repeats "return my shoes"'))
    failing = await tests.create(request=llm_test("Policy", 'The agent mentions "refund policy"'))
    negated = await tests.create(
        request=llm_test("Never", 'The agent must never say "return my shoes"')
    )
    invocation = await sdk.conversational_ai.agents.run_tests(
        agent_id,
        tests=[SingleTestRunRequestModel(test_id=t.id) for t in (passing, failing, negated)],
        name="Nightly",
    )
    wire.conforms(GetTestSuiteInvocationResponseModel)
    assert invocation.agent_id == agent_id
    assert [r.status for r in invocation.test_runs] == ["pending"] * 3
    assert invocation.test_runs[0].condition_result is None

    await client.post("/_emulator/advance", json={"seconds": 2})
    done = await sdk.conversational_ai.tests.invocations.get(invocation.id)
    wire.conforms(GetTestSuiteInvocationResponseModel)
    assert [r.status for r in done.test_runs] == ["passed", "failed", "failed"]
    assert done.test_runs[0].condition_result.result == "success"
    assert "refund policy" in done.test_runs[1].condition_result.rationale.summary
    assert "return my shoes" in done.test_runs[0].agent_responses[0].message
    assert done.test_runs[0].test_info.type == "llm"

    again = await sdk.conversational_ai.agents.run_tests(
        agent_id, tests=[SingleTestRunRequestModel(test_id=passing.id)], repeat_count=2
    )
    assert len(again.test_runs) == 2
    page = await sdk.conversational_ai.tests.invocations.list(agent_id=agent_id)
    wire.conforms(GetTestInvocationsPageResponseModel)
    assert [i.id for i in page.results] == [again.id, invocation.id] or [
        i.id for i in page.results
    ] == [invocation.id, again.id]
    summary = next(i for i in page.results if i.id == invocation.id)
    assert (summary.passed_count, summary.failed_count, summary.pending_count) == (1, 2, 0)
    assert summary.title == "Nightly"
    only = await sdk.conversational_ai.tests.invocations.list(test_id=failing.id)
    assert [i.id for i in only.results] == [invocation.id]

    await sdk.conversational_ai.tests.invocations.cancel(again.id)
    cancelled = await sdk.conversational_ai.tests.invocations.get(again.id)
    assert [r.status for r in cancelled.test_runs] == ["cancelled", "cancelled"]


async def test_tool_tests_check_the_call_and_its_parameters(
    sdk: AsyncElevenLabs, agent_id: str, client: httpx.AsyncClient
) -> None:
    tool = await sdk.conversational_ai.tools.create(
        request=ToolRequestModel(
            tool_config=ToolRequestModelToolConfig_Client(
                name="lookup_order", description="Find an order."
            )
        )
    )
    await sdk.conversational_ai.agents.update(
        agent_id, conversation_config={"agent": {"prompt": {"tool_ids": [tool.id]}}}
    )
    ask = 'Where is it? use tool lookup_order {"order_id": "A-42"}'

    def tool_test(
        name: str, expected: str, absent: bool = False
    ) -> kinds.TestsCreateRequestBody_Tool:
        return kinds.TestsCreateRequestBody_Tool(
            name=name,
            chat_history=[{"role": "user", "message": ask, "time_in_call_secs": 0}],
            tool_call_parameters={
                "referenced_tool": {"id": tool.id, "type": "client"},
                "parameters": [
                    {"path": "order_id", "eval": {"type": "exact", "expected_value": expected}}
                ],
                "verify_absence": absent,
            },
        )

    ids = [
        (await sdk.conversational_ai.tests.create(request=tool_test(n, v, a))).id
        for n, v, a in (("right", "A-42", False), ("wrong", "B-1", False), ("absent", "A-42", True))
    ]
    invocation = await sdk.conversational_ai.agents.run_tests(
        agent_id, tests=[SingleTestRunRequestModel(test_id=i) for i in ids]
    )
    await client.post("/_emulator/advance", json={"seconds": 5})
    done = await sdk.conversational_ai.tests.invocations.get(invocation.id)
    assert [r.status for r in done.test_runs] == ["passed", "failed", "failed"]
    call = done.test_runs[0].agent_responses[0].tool_calls[0]
    assert (call.tool_name, call.params_as_json) == ("lookup_order", '{"order_id": "A-42"}')


async def test_simulation_tests_judge_the_whole_conversation(
    sdk: AsyncElevenLabs, agent_id: str, client: httpx.AsyncClient
) -> None:
    test = await sdk.conversational_ai.tests.create(
        request=kinds.TestsCreateRequestBody_Simulation(
            name="Return flow",
            simulation_scenario="I bought shoes last week.\nThey are too small.",
            success_conditions=['The agent repeats "too small"', 'The agent says "Goodbye"'],
        )
    )
    invocation = await sdk.conversational_ai.agents.run_tests(
        agent_id, tests=[SingleTestRunRequestModel(test_id=test.id)]
    )
    await client.post("/_emulator/advance", json={"seconds": 2})
    run = (await sdk.conversational_ai.tests.invocations.get(invocation.id)).test_runs[0]
    assert run.status == "passed"
    roles = [t.role for t in run.agent_responses]
    assert roles[:3] == ["agent", "user", "agent"]  # the agent's first message opens
    assert run.agent_responses[0].message == "Hello {{name}}, how can I help?"


async def test_run_errors(sdk: AsyncElevenLabs, agent_id: str) -> None:
    with pytest.raises(ApiError) as no_agent:
        await sdk.conversational_ai.agents.run_tests(
            "agent_missing", tests=[SingleTestRunRequestModel(test_id="x")]
        )
    assert no_agent.value.body["detail"]["status"] == "agent_not_found"
    with pytest.raises(ApiError) as no_test:
        await sdk.conversational_ai.agents.run_tests(
            agent_id, tests=[SingleTestRunRequestModel(test_id="missing")]
        )
    assert no_test.value.body["detail"]["status"] == "test_not_found"
    with pytest.raises(UnprocessableEntityError) as empty:
        await sdk.conversational_ai.agents.run_tests(agent_id, tests=[])
    assert empty.value.body["detail"][0]["loc"] == ["body", "tests"]
    with pytest.raises(UnprocessableEntityError):
        await sdk.conversational_ai.tests.create(
            request=kinds.TestsCreateRequestBody_Llm.model_construct(
                type="llm", name="x", chat_history=[{"role": "user", "message": "hi"}]
            )
        )
    with pytest.raises(ApiError) as no_invocation:
        await sdk.conversational_ai.tests.invocations.get("missing")
    assert no_invocation.value.status_code == 404
