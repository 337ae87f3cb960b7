"""The emulated agent in a live call: turns user text into Brain replies, tools and hang-ups.

Transport-agnostic: the joinUrl socket (`ws.py`), REST `send_data_message` and the simulator
all drive a `Conversation`, which records `ultravox.v1.Message`s on the call and emits the
documented data messages (`state`, `transcript`, `client_tool_invocation`, ...) through an
optional sink. Client tools wait for the client's `client_tool_result`; HTTP tools are called
for real through the emulator's outgoing HTTP client (`http_tools.py`); the built-in `hangUp`
ends the call and `queryCorpus` searches the emulated corpus.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from parley.emulator import audio
from parley.emulator.brain import GOODBYE, Brain, ToolCall
from parley.emulator.ultravox import corpus_index, http_tools, lifecycle, tools
from parley.emulator.ultravox.state import CallRecord, MessageRecord, ResolvedTool

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

Emit = Callable[[dict[str, Any]], Awaitable[None]]
SendAudio = Callable[[str], Awaitable[None]]
AGENT, USER = "MESSAGE_ROLE_AGENT", "MESSAGE_ROLE_USER"
TOOL_CALL, TOOL_RESULT = "MESSAGE_ROLE_TOOL_CALL", "MESSAGE_ROLE_TOOL_RESULT"


async def _ignore(_message: dict[str, Any]) -> None:
    return None


async def _silence(_text: str) -> None:
    return None


class Conversation:
    def __init__(
        self,
        emu: Emulator,
        call: CallRecord,
        emit: Emit = _ignore,
        speak: SendAudio = _silence,
        on_end: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.emu = emu
        self.call = call
        self.emit = emit
        self.speak = speak
        self.on_end = on_end
        resolved = call.tools or self._resolve_now()
        self.tools: dict[str, ResolvedTool] = {t.name: t for t in resolved}
        self.brain = Brain(tools=list(self.tools))
        self.pending: dict[str, ToolCall] = {}
        self.ordinal = 0
        self.turn = 0
        text_first = call.config.get("initialOutputMedium") == "MESSAGE_MEDIUM_TEXT"
        self.output_medium = "text" if text_first else "voice"

    # --- what the agent does -------------------------------------------------------------------

    async def greet(self) -> None:
        if self.call.greeting and not self.call.user_first:
            await self.say(self.call.greeting)
        await self.emit({"type": "state", "state": "listening"})

    async def say(self, text: str) -> None:
        """Speak `text`: state, streamed transcript (first text, then a delta, then final)."""
        await self.emit({"type": "state", "state": "speaking"})
        start = lifecycle.offset(self.emu, self.call)
        length = audio.speech_duration(text)
        self._record(AGENT, text, start, start + length, self._medium())
        ordinal = self._next_ordinal()
        words = text.split(" ")
        half = max(1, len(words) // 2)
        head, tail = " ".join(words[:half]), " ".join(words[half:])
        base = {"type": "transcript", "role": "agent", "medium": self.output_medium}
        await self.emit({**base, "text": head, "final": False, "ordinal": ordinal})
        if tail:
            await self.emit({**base, "delta": " " + tail, "final": False, "ordinal": ordinal})
        if self.output_medium == "voice":
            await self.speak(text)
        await self.emit({**base, "text": text, "final": True, "ordinal": ordinal})

    async def end(self, reason: str, farewell: str | None = None) -> None:
        if not lifecycle.is_live(self.call):
            return
        if farewell:
            await self.say(farewell)
        await self.emit({"type": "state", "state": "idle"})
        lifecycle.end(self.emu, self.call, reason)
        if self.on_end is not None:
            await self.on_end()

    # --- what the user (or client) does ---------------------------------------------------------

    async def user_text(self, text: str, medium: str = "text") -> None:
        self.turn += 1
        start = lifecycle.offset(self.emu, self.call)
        kind = "MESSAGE_MEDIUM_TEXT" if medium == "text" else "MESSAGE_MEDIUM_VOICE"
        self._record(USER, text, start, start + audio.speech_duration(text), kind)
        await self.emit(
            {"type": "transcript", "role": "user", "medium": medium, "text": text,
             "final": True, "ordinal": self._next_ordinal()}
        )  # fmt: skip
        await self.emit({"type": "state", "state": "thinking"})
        reply = self.brain.reply(text, self.turn)
        if reply.end_call:
            await self.end("agent_hangup", farewell=reply.text)
            return
        if reply.tool_call is not None and reply.tool_call.name in self.tools:
            await self.say(reply.text)
            await self._invoke(reply.tool_call)
            return
        await self.say(reply.text)
        await self.emit({"type": "state", "state": "listening"})

    async def tool_result(self, message: dict[str, Any]) -> None:
        call = self.pending.pop(str(message.get("invocationId")), None)
        if call is None:
            return
        error = message.get("errorType")
        result = str(message.get("result") or message.get("errorMessage") or "")
        if isinstance(message.get("updateCallState"), dict):
            self.call.call_state.update(message["updateCallState"])
        await self._finish_tool(
            call, str(message["invocationId"]), result, bool(error),
            message.get("errorMessage"), message.get("responseType"), message.get("agentReaction"),
        )  # fmt: skip

    # --- tools ---------------------------------------------------------------------------------

    async def _invoke(self, call: ToolCall) -> None:
        tool = self.tools[call.name]
        invocation = self.emu.ids.uuid()
        at = lifecycle.offset(self.emu, self.call)
        record = MessageRecord(
            role=TOOL_CALL,
            text=json.dumps(call.parameters),
            invocation_id=invocation,
            tool_name=call.name,
            start_s=at,
            end_s=at,
        )
        self.call.messages.append(record)
        if tool.kind == "client":
            self.pending[invocation] = call
            # Client tools take body parameters only: overrides, static and automatic included.
            parameters = http_tools.place(tool, call.parameters, self.call).body
            await self.emit(
                {"type": "client_tool_invocation", "toolName": call.name,
                 "invocationId": invocation, "parameters": parameters}
            )  # fmt: skip
            return
        if tool.kind == "http":
            out = await http_tools.invoke(self.emu, self.call, tool, call.parameters)
            await self._finish_tool(call, invocation, out.text, out.failed, out.error_details,
                                    out.response_type, out.reaction)  # fmt: skip
            return
        builtin = tool.definition.get("modelToolName") if tool.kind == "builtin" else None
        if builtin == "hangUp":
            await self._finish_tool(call, invocation, "OK", False, None, "hang-up", None)
            return
        if builtin == "queryCorpus":
            args = http_tools.place(tool, call.parameters, self.call).body
            state = lifecycle.state(self.emu)
            text, details = corpus_index.tool_answer(state, args, self.emu.clock.now())
            await self._finish_tool(call, invocation, text, details is not None, details, None,
                                    None)  # fmt: skip
            return
        detail = f"Tool {call.name!r} ({tool.kind}) is not executed by the emulator."
        await self._finish_tool(call, invocation, "Tool unavailable.", True, detail, None, None)

    async def _finish_tool(
        self,
        call: ToolCall,
        invocation: str,
        result: str,
        failed: bool,
        error_details: str | None,
        response_type: Any,
        reaction: Any,
    ) -> None:
        at = lifecycle.offset(self.emu, self.call)
        self.call.messages.append(
            MessageRecord(role=TOOL_RESULT, text=result, invocation_id=invocation,
                          tool_name=call.name, error_details=error_details, start_s=at, end_s=at)
        )  # fmt: skip
        if response_type == "hang-up":
            await self.end("agent_hangup", farewell=GOODBYE)
            return
        if reaction != "listens":
            await self.say(self.brain.after_tool(call, result, failed).text)
        await self.emit({"type": "state", "state": "listening"})

    # --- bookkeeping ---------------------------------------------------------------------------

    def _resolve_now(self) -> list[ResolvedTool]:
        """Calls stored before tools were resolved at start: resolve against today's tools."""
        selected = list(self.call.config.get("selectedTools") or [])
        return tools.resolve_all(lifecycle.state(self.emu), selected)[0]

    def _record(self, role: str, text: str, start: float, end: float, medium: str) -> None:
        self.call.messages.append(
            MessageRecord(role=role, text=text, medium=medium, start_s=start, end_s=end)
        )

    def _medium(self) -> str:
        return "MESSAGE_MEDIUM_VOICE" if self.output_medium == "voice" else "MESSAGE_MEDIUM_TEXT"

    def _next_ordinal(self) -> int:
        ordinal = self.ordinal
        self.ordinal += 1
        return ordinal
