"""Every periphery record survives `--state-file` persistence (a JSON dump and load) unchanged,
and time-driven status (RAG builds, test runs) resumes from the restored clock."""

from __future__ import annotations

import json

import httpx
from elevenlabs import SingleTestRunRequestModel
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.conversational_ai.phone_numbers import types as numbers
from elevenlabs.conversational_ai.tests import types as kinds

from parley.emulator.elevenlabs.voices import seed_voices
from parley.emulator.state import Emulator
from tests.emulator.elevenlabs_periphery.test_tools import webhook


async def test_state_round_trips_through_json(
    sdk: AsyncElevenLabs, emu: Emulator, agent_id: str, client: httpx.AsyncClient
) -> None:
    ai = sdk.conversational_ai
    await ai.tools.create(request=webhook())
    doc = await ai.knowledge_base.documents.create_from_text(text="Hours: 9-5", name="Hours")
    await ai.knowledge_base.document.compute_rag_index(doc.id, model="e5_mistral_7b_instruct")
    test = await ai.tests.create(
        request=kinds.TestsCreateRequestBody_Llm(
            name="Hi",
            chat_history=[{"role": "user", "message": "Hi", "time_in_call_secs": 0}],
        )
    )
    invocation = await ai.agents.run_tests(
        agent_id, tests=[SingleTestRunRequestModel(test_id=test.id)]
    )
    await ai.phone_numbers.create(
        request=numbers.PhoneNumbersCreateRequestBody_Twilio(
            phone_number="+14155550100", label="Line", sid="AC1", token="t"
        )
    )
    seed_voices(emu, [{"voice_id": "v1", "name": "Clone"}])

    before = emu.state("elevenlabs").model_dump(mode="json")
    emu.restore(json.loads(json.dumps(emu.snapshot())))
    assert emu.state("elevenlabs").model_dump(mode="json") == before

    await client.post("/_emulator/advance", json={"seconds": 2})
    run = (await ai.tests.invocations.get(invocation.id)).test_runs[0]
    assert run.status == "passed"
    indexes = await ai.get_document_rag_indexes(doc.id)
    assert indexes.indexes[0].status == "succeeded"


async def test_an_agent_config_override_applies_to_the_run_only(
    sdk: AsyncElevenLabs, agent_id: str, client: httpx.AsyncClient
) -> None:
    ai = sdk.conversational_ai
    test = await ai.tests.create(
        request=kinds.TestsCreateRequestBody_Simulation(
            name="Greeting",
            simulation_scenario="Hello.",
            success_condition='The agent says "Welcome to Acme"',
        )
    )
    plain = await ai.agents.run_tests(agent_id, tests=[SingleTestRunRequestModel(test_id=test.id)])
    overridden = await ai.agents.run_tests(
        agent_id,
        tests=[SingleTestRunRequestModel(test_id=test.id)],
        agent_config_override={
            "conversation_config": {"agent": {"first_message": "Welcome to Acme!"}}
        },
    )
    await client.post("/_emulator/advance", json={"seconds": 2})
    assert (await ai.tests.invocations.get(plain.id)).test_runs[0].status == "failed"
    assert (await ai.tests.invocations.get(overridden.id)).test_runs[0].status == "passed"
    agent = await ai.agents.get(agent_id)
    assert agent.conversation_config.agent.first_message == "Hello {{name}}, how can I help?"
