"""The emulated agent in a live call: turns user text into Brain replies, tools and hang-ups.

Transport-agnostic: the joinUrl socket (`ws.py`), REST `send_data_message` and the simulator
all drive a `Conversation`, which records `ultravox.v1.Message`s on the call and emits the
documented data messages (`state`, `transcript`, `client_tool_invocation`, ...) through an
optional sink. Client tools wait for the client's `client_tool_result`; HTTP tools are called
for real through the emulator's outgoing HTTP client; `hangUp` ends the call.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

from parley.emulator import audio
from parley.emulator.brain import GOODBYE, Brain, ToolCall
from parley.emulator.ultravox import lifecycle, tools
from parley.emulator.ultravox.state import CallRecord, MessageRecord

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
        self.tools = {t.name: t for t in map(tools.info, call.config.get("selectedTools") or [])}
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
            await self.emit(
                {"type": "client_tool_invocation", "toolName": call.name,
                 "invocationId": invocation, "parameters": call.parameters}
            )  # fmt: skip
            return
        if tool.kind == "builtin" and call.name == "hangUp":
            await self._finish_tool(call, invocation, "OK", False, None, "hang-up", None)
            return
        if tool.kind == "http":
            result, failed = await self._call_http(tool.definition, call.parameters)
            await self._finish_tool(call, invocation, result, failed, None, None, None)
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

    async def _call_http(
        self, definition: dict[str, Any], params: dict[str, Any]
    ) -> tuple[str, bool]:
        http = definition.get("http") or {}
        url = str(http.get("baseUrlPattern", ""))
        for key, value in params.items():
            url = url.replace("{" + key + "}", str(value))
        method = str(http.get("httpMethod") or "POST").upper()
        try:
            async with self.emu.http_client() as client:
                answer = await client.request(
                    method, url, json=params if method not in ("GET", "DELETE") else None,
                    params=params if method in ("GET", "DELETE") else None,
                )  # fmt: skip
        except httpx.HTTPError as exc:
            return f"Request failed: {type(exc).__name__}", True
        return answer.text, answer.status_code >= 400

    # --- bookkeeping ---------------------------------------------------------------------------

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
