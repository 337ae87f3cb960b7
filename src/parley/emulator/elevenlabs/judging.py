"""How the emulator decides an agent test, standing in for ElevenLabs' evaluation LLM.

`llm` tests: the agent (the `Brain`) answers the last user message of the chat history; the
reply fails if it matches a failure example, passes if it matches a success example, and
otherwise is judged against the success condition (quoted phrases, see `simulation.judge`).
`tool` tests: the reply must call the referenced tool (any tool with `check_any_tool_matches`)
with parameters passing each check (`exact`, `regex`, `anything`; `llm` checks only that the
parameter is there), or must not call it with `verify_absence`. `simulation` tests: the
scenario's lines are played by a simulated user, and every success condition is judged against
the agent's side of the conversation.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from parley.emulator.brain import Brain, ToolCall
from parley.emulator.elevenlabs.periphery import agent_config, tool_names
from parley.emulator.elevenlabs.simulation import (
    Simulation,
    agent_text,
    judge,
    script,
    tool_kind,
    turn,
)
from parley.emulator.elevenlabs.testing import AgentTest

if TYPE_CHECKING:
    from parley.emulator.elevenlabs.state import ElevenLabsState


class Verdict(BaseModel):
    passed: bool
    summary: str
    messages: list[str] = Field(default_factory=list)
    agent_responses: list[dict[str, Any]] = Field(default_factory=list)

    def condition_result(self) -> dict[str, Any]:
        """TestConditionResultCommonModel."""
        return {
            "result": "success" if self.passed else "failure",
            "rationale": {"messages": self.messages, "summary": self.summary},
        }


def evaluate(
    state: ElevenLabsState, conversation_config: dict[str, Any], test: AgentTest
) -> Verdict:
    """Decide `test` against an agent configured by `conversation_config`."""
    config = agent_config(conversation_config)
    tools = tool_names(state, config.get("prompt") or {})
    history: list[dict[str, Any]] = list(test.body.get("chat_history") or [])
    if test.type == "simulation":
        return _simulation(state, config, tools, history, test.body)
    user_turns = [t for t in history if t.get("role") == "user"]
    last = (user_turns[-1].get("message") or "") if user_turns else ""
    reply = Brain(tools=tools).reply(last, max(0, len(user_turns) - 1))
    clock = max((int(t.get("time_in_call_secs", 0)) for t in history), default=0) + 1
    call = reply.tool_call
    calls = []
    if call is not None:
        kind, tool_id = tool_kind(state, call.name)
        calls = [
            {
                "type": kind,
                "request_id": "toolu_0001",
                "tool_name": call.name,
                "tool_id": tool_id,
                "params_as_json": json.dumps(call.parameters),
                "tool_has_been_called": False,  # tests stop at the call; tools are not run
            }
        ]
    responses = [turn("agent", reply.text, clock, tool_calls=calls)]
    verdict = _tool(state, call, test.body) if test.type == "tool" else _llm(reply.text, test.body)
    verdict.agent_responses = responses
    return verdict


def _llm(reply: str, body: dict[str, Any]) -> Verdict:
    said = reply.lower()
    for example in body.get("failure_examples") or []:
        if _matches(said, example.get("response", "")):
            return Verdict(passed=False, summary="The reply matches a failure example.")
    for example in body.get("success_examples") or []:
        if _matches(said, example.get("response", "")):
            return Verdict(passed=True, summary="The reply matches a success example.")
    result, rationale = judge(body.get("success_condition") or "", reply)
    return Verdict(passed=result == "success", summary=rationale, messages=[rationale])


def _matches(said: str, example: str) -> bool:
    example = example.strip().lower()
    return bool(example) and (example in said or said in example)


def _tool(state: ElevenLabsState, call: ToolCall | None, body: dict[str, Any]) -> Verdict:
    spec = body.get("tool_call_parameters") or {}
    referenced = spec.get("referenced_tool") or {}
    wanted = _tool_name(state, referenced.get("id")) if referenced else None
    if spec.get("verify_absence"):
        if call is not None and (wanted is None or call.name == wanted):
            return Verdict(
                passed=False, summary=f"The agent called {call.name}, which it must not."
            )
        return Verdict(passed=True, summary="The agent did not call the tool.")
    if call is None:
        return Verdict(passed=False, summary="The agent did not call any tool.")
    if wanted and call.name != wanted and not body.get("check_any_tool_matches"):
        return Verdict(passed=False, summary=f"The agent called {call.name}, not {wanted}.")
    checks = [_check(call.parameters, c) for c in spec.get("parameters") or []]
    problems = [p for p in checks if p]
    if problems:
        return Verdict(passed=False, summary="; ".join(problems), messages=problems)
    return Verdict(passed=True, summary=f"The agent called {call.name} as expected.")


def _tool_name(state: ElevenLabsState, tool_id: str | None) -> str | None:
    if tool_id is None:
        return None
    tool = state.tools.get(tool_id)
    return tool.name if tool is not None else tool_id  # system tools are referenced by name


def _check(parameters: dict[str, Any], check: dict[str, Any]) -> str | None:
    """None when the parameter at `check["path"]` passes, else what is wrong."""
    path, rule = check["path"], check["eval"]
    value: Any = parameters
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return f"Parameter {path} is missing."
    text = value if isinstance(value, str) else json.dumps(value)
    if rule["type"] == "exact" and text != rule["expected_value"]:
        return f"Parameter {path} is {text!r}, expected {rule['expected_value']!r}."
    if rule["type"] == "regex" and not re.search(rule["pattern"], text):
        return f"Parameter {path} ({text!r}) does not match /{rule['pattern']}/."
    return None


def _simulation(
    state: ElevenLabsState,
    config: dict[str, Any],
    tools: list[str],
    history: list[dict[str, Any]],
    body: dict[str, Any],
) -> Verdict:
    max_turns = body.get("simulation_max_turns")
    simulation = Simulation(
        state=state,
        agent=config,
        user_lines=script(body.get("simulation_scenario")),
        tool_names=tools,
        history=history,
        variables=body.get("dynamic_variables") or {},
        max_new_turns=2 * max_turns + 1 if max_turns else 20,
    )
    transcript = simulation.run()
    conditions = list(body.get("success_conditions") or [])
    if body.get("success_condition"):
        conditions.insert(0, body["success_condition"])
    results = [judge(c, agent_text(transcript)) for c in conditions] or [
        judge("", agent_text(transcript))
    ]
    messages = [rationale for _, rationale in results]
    passed = all(result == "success" for result, _ in results)
    summary = "All success conditions hold." if passed else "A success condition failed."
    return Verdict(passed=passed, summary=summary, messages=messages, agent_responses=transcript)
