"""The emulator's conversation simulator and judge, shared by simulate-conversation and tests.

A simulated user follows a script: its first message, then each non-empty line of its prompt (or
of a test's scenario), then a goodbye. The agent answers with the emulator's `Brain`, so the same
inputs always give the same transcript; tool calls get the mocked result when one is configured,
else a generic success. The judge stands in for the evaluation LLM with one rule a test author
can steer: every "double-quoted phrase" in a condition must appear in the conversation, unless
the words just before it negate it (`never say "refund"`), in which case it must not. A
condition with no quoted phrase passes.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from parley.emulator.audio import speech_duration
from parley.emulator.brain import Brain, Reply, render

if TYPE_CHECKING:
    from parley.emulator.elevenlabs.state import ElevenLabsState

GOODBYE_LINE = "Thanks, that's all I needed. Goodbye!"
QUOTED = re.compile(r"[\"“]([^\"”]+)[\"”]")
NEGATION = re.compile(
    r"\b(not|never|no|without|avoid|don't|doesn't|mustn't|shouldn't)\W+(\w+\W+){0,3}$", re.I
)


@dataclass
class Simulation:
    """What one simulated conversation needs; `run()` fills `transcript`."""

    state: ElevenLabsState
    agent: dict[str, Any]  # conversation_config.agent of the version under test
    user_lines: list[str]
    tool_names: list[str]
    history: list[dict[str, Any]] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    tool_mocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    max_new_turns: int = 20
    transcript: list[dict[str, Any]] = field(default_factory=list)
    ended: bool = False

    def run(self) -> list[dict[str, Any]]:
        """The new turns (the partial history is not repeated)."""
        brain = Brain(tools=self.tool_names)
        clock = max((t.get("time_in_call_secs", 0) for t in self.history), default=0)
        if not self.history:
            first = (self.agent.get("first_message") or "").strip()
            if first:
                clock = self._say("agent", render(first, self.variables), clock)
        lines = [*self.user_lines, GOODBYE_LINE]
        for number, line in enumerate(lines):
            if len(self.transcript) >= self.max_new_turns:
                break
            said = render(line, self.variables)
            clock = self._say("user", said, clock)
            if len(self.transcript) >= self.max_new_turns:
                break
            clock = self._answer(brain, brain.reply(said, number), clock)
            if self.ended:
                break
        return self.transcript

    def _say(self, role: str, text: str, clock: int, **extra: Any) -> int:
        self.transcript.append(turn(role, text, clock, **extra))
        return clock + math.ceil(speech_duration(text or "."))

    def _answer(self, brain: Brain, reply: Reply, clock: int) -> int:
        if reply.tool_call is None:
            self.ended = reply.end_call
            return self._say("agent", reply.text, clock)
        call = reply.tool_call
        request_id = f"toolu_{len(self.transcript):04d}"
        kind, tool_id = tool_kind(self.state, call.name)
        mock = self.tool_mocks.get(call.name) or {}
        result = str(mock.get("default_return_value") or json.dumps({"status": "ok"}))
        is_error = bool(mock.get("default_is_error"))
        clock = self._say(
            "agent",
            reply.text,
            clock,
            tool_calls=[
                {
                    "type": kind,
                    "request_id": request_id,
                    "tool_name": call.name,
                    "tool_id": tool_id,
                    "params_as_json": json.dumps(call.parameters),
                    "tool_has_been_called": True,
                }
            ],
            tool_results=[
                {
                    "type": kind if kind in ("client", "webhook") else None,
                    "request_id": request_id,
                    "tool_name": call.name,
                    "tool_id": tool_id,
                    "result_value": result,
                    "is_error": is_error,
                    "tool_has_been_called": True,
                    "tool_latency_secs": 0.2,
                }
            ],
        )
        if len(self.transcript) >= self.max_new_turns:
            return clock
        return self._say("agent", brain.after_tool(call, result, is_error).text, clock)


SYSTEM_TOOLS = {
    "end_call",
    "language_detection",
    "transfer_to_agent",
    "transfer_to_number",
    "skip_turn",
    "play_keypad_touch_tone",
    "voicemail_detection",
}


def tool_kind(state: ElevenLabsState, name: str) -> tuple[str, str | None]:
    """The type and workspace id of the tool an agent calls by `name` (inline tools: client)."""
    for tool in state.tools.values():
        if tool.name == name:
            return tool.type, tool.id
    return ("system", None) if name in SYSTEM_TOOLS else ("client", None)


def turn(role: str, message: str | None, clock: int, **extra: Any) -> dict[str, Any]:
    """A transcript turn as ElevenLabs records it."""
    return {
        "role": role,
        "message": message,
        "tool_calls": [],
        "tool_results": [],
        "feedback": None,
        "time_in_call_secs": clock,
        "interrupted": False,
        "source_medium": None,
        **extra,
    }


def script(*texts: str | None) -> list[str]:
    """A simulated user's lines: each non-empty line of each text, in order."""
    lines: list[str] = []
    for text in texts:
        lines += [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines


def judge(condition: str, conversation: str) -> tuple[str, str]:
    """`("success" | "failure", rationale)` for `condition` over the conversation's text."""
    haystack = conversation.lower()
    problems: list[str] = []
    checked = 0
    for match in QUOTED.finditer(condition):
        checked += 1
        phrase = match.group(1).strip()
        negated = NEGATION.search(condition[max(0, match.start() - 40) : match.start()])
        present = phrase.lower() in haystack
        if negated and present:
            problems.append(f'the conversation says "{phrase}", which it must not')
        elif not negated and not present:
            problems.append(f'the conversation never says "{phrase}"')
    if problems:
        return "failure", "; ".join(problems).capitalize() + "."
    if checked:
        return "success", f"All {checked} quoted requirement(s) of the condition hold."
    return "success", "The condition names no checkable phrase; the agent's reply satisfies it."


def agent_text(turns: list[dict[str, Any]]) -> str:
    return "\n".join(t.get("message") or "" for t in turns if t.get("role") == "agent")


def analysis(transcript: list[dict[str, Any]], criteria: list[dict[str, Any]]) -> dict[str, Any]:
    """ConversationHistoryAnalysisCommonModel for a finished simulated conversation."""
    spoken = agent_text(transcript)
    results = {}
    for criterion in criteria:
        result, rationale = judge(criterion.get("conversation_goal_prompt", ""), spoken)
        results[criterion["id"]] = {
            "criteria_id": criterion["id"],
            "result": result,
            "rationale": rationale,
        }
    failed = any(r["result"] == "failure" for r in results.values())
    user_turns = [t for t in transcript if t["role"] == "user"]
    opener = (user_turns[0].get("message") or "") if user_turns else ""
    return {
        "evaluation_criteria_results": results,
        "data_collection_results": {},
        "call_successful": "failure" if failed else "success",
        "transcript_summary": (
            f"The user and the agent exchanged {len(transcript)} messages. "
            f'The user opened with "{opener[:80]}".'
        ),
        "call_summary_title": "Simulated conversation",
    }
