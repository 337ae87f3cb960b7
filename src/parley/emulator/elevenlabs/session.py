"""One live conversation's protocol engine, independent of the WebSocket that carries it.

The session turns client events into agent behaviour: user turns (typed, or transcribed from
non-silent audio) get a Brain reply as `agent_response` plus real audio chunks in the negotiated
format; a user turn that arrives while agent audio is still "playing" (by the emulator clock)
interrupts it; tool calls go to the client (`client_tool_call`), to a server tool over HTTP, or
end the call. Which events are sent follows `conversation.client_events`. Live sessions are
registered per emulator so `/_emulator/advance` can end the ones whose time ran out.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from parley.emulator import audio
from parley.emulator.brain import Brain, Reply, ToolCall
from parley.emulator.elevenlabs.conversation_models import Conversation
from parley.emulator.elevenlabs.postcall import finish
from parley.emulator.elevenlabs.toolcalls import agent_tools, call_webhook

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

Send = Callable[[dict[str, Any]], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]

# What the emulated ASR "hears" in the n-th utterance of non-silent audio.
HEARD = (
    "Hello, I would like some help with my account.",
    "Can you tell me more about that?",
    "Okay, that sounds good.",
)
SILENCE_LEVEL = 200  # PCM16 amplitude below which a chunk counts as silence
END_CALL_REASON = "end_call tool was called."
MAX_DURATION_REASON = "max_duration_exceeded"

_LIVE: WeakKeyDictionary[Emulator, dict[str, Session]] = WeakKeyDictionary()


def live_sessions(emu: Emulator) -> dict[str, Session]:
    return _LIVE.setdefault(emu, {})


class SessionClosed(Exception):
    """The session ended while handling an event; the transport should stop reading."""


class Session:
    def __init__(
        self,
        emu: Emulator,
        conversation: Conversation,
        config: dict[str, Any],
        variables: dict[str, Any],
        send: Send,
        close: Close,
        *,
        text_only: bool,
        close_after: tuple[int, int, str] | None = None,
    ) -> None:
        self.emu = emu
        self.c = conversation
        self.config = config
        self.variables = variables
        self._send, self._close = send, close
        self.text_only = text_only
        self.close_after = close_after  # (after n messages, close code, reason): a fault
        conversation_config = config.get("conversation") or {}
        self.events = set(conversation_config.get("client_events") or [])
        self.output_format = (config.get("tts") or {}).get(
            "agent_output_audio_format"
        ) or "pcm_16000"
        self.input_format = (config.get("asr") or {}).get("user_input_audio_format") or "pcm_16000"
        self.tools = agent_tools(emu, config)
        self.brain = Brain(tools=sorted(self.tools))
        self.event_id = 0
        self.sent = 0
        self.closed = False
        self.playing_until = 0.0
        self.last_agent: tuple[int, dict[str, Any]] | None = None
        self.pending: dict[str, tuple[ToolCall, dict[str, Any]]] = {}
        self.utterances = 0
        self.in_utterance = False
        self.pings: dict[int, float] = {}
        self.ping_ms: int | None = None

    # --- sending -------------------------------------------------------------------------------

    async def emit(self, message: dict[str, Any]) -> None:
        if self.closed:
            raise SessionClosed
        if self.close_after is not None and self.sent >= self.close_after[0]:
            _, code, reason = self.close_after
            await self.end(code, reason or "Connection closed", record=f"WebSocket closed: {code}")
        await self._send(message)
        self.sent += 1

    def _next_event(self) -> int:
        self.event_id += 1
        return self.event_id

    async def start(self, first_message: str) -> None:
        live_sessions(self.emu)[self.c.conversation_id] = self
        await self.emit(
            {
                "type": "conversation_initiation_metadata",
                "conversation_initiation_metadata_event": {
                    "conversation_id": self.c.conversation_id,
                    "agent_output_audio_format": self.output_format,
                    "user_input_audio_format": self.input_format,
                },
            }
        )
        if first_message:
            await self.agent_says(first_message)

    async def ping(self) -> None:
        if "ping" not in self.events:
            return
        event_id = self._next_event()
        self.pings[event_id] = time.monotonic()
        await self.emit(
            {"type": "ping", "ping_event": {"event_id": event_id, "ping_ms": self.ping_ms}}
        )

    async def agent_says(self, text: str) -> dict[str, Any]:
        event_id = self._next_event()
        now = self.emu.clock.now()
        if not self.text_only and "audio" in self.events:
            for chunk in audio.chunks(audio.speech(text, self.output_format)):
                event = {"audio_base_64": base64.b64encode(chunk).decode(), "event_id": event_id}
                await self.emit({"type": "audio", "audio_event": event})
        if "agent_response" in self.events:
            await self.emit(
                {
                    "type": "agent_response",
                    "agent_response_event": {"agent_response": text, "event_id": event_id},
                }
            )
        turn = self.c.add_turn(
            "agent", text, now, source_medium="text" if self.text_only else "audio"
        )
        self.last_agent = (event_id, turn)
        if not self.text_only:
            self.playing_until = now + audio.speech_duration(text)
        await self.ping()
        return turn

    # --- receiving -----------------------------------------------------------------------------

    async def handle(self, message: dict[str, Any]) -> None:
        if self.c.ends_at is not None and self.emu.clock.now() >= self.c.ends_at:
            await self.end(1000, MAX_DURATION_REASON, record="Maximum duration exceeded")
        if "user_audio_chunk" in message:
            await self._audio(str(message["user_audio_chunk"]))
            return
        kind = message.get("type")
        if kind == "user_message":
            await self.user_says(str(message.get("text") or ""), "text")
        elif kind == "multimodal_message":
            text = (message.get("text") or {}).get("text")
            if text:
                await self.user_says(str(text), "text")
        elif kind == "contextual_update":
            self.variables.setdefault("_context", []).append(message.get("text"))
        elif kind == "pong":
            sent_at = self.pings.pop(int(message.get("event_id") or 0), None)
            if sent_at is not None:
                self.ping_ms = int((time.monotonic() - sent_at) * 1000)
        elif kind == "client_tool_result":
            await self._tool_result(message)
        elif kind == "feedback" and self.last_agent is not None:
            self.last_agent[1]["feedback"] = {
                "score": message.get("score"),
                "time_in_call_secs": self.c.elapsed(self.emu.clock.now()),
            }
        elif kind is None:
            await self.end(1008, "Invalid message received", record="Invalid message received")
        # user_activity, mcp_tool_approval_result and unknown future types need no answer.

    async def _audio(self, chunk: str) -> None:
        self.c.has_user_audio = True
        try:
            data = base64.b64decode(chunk)
        except ValueError:
            await self.end(1008, "Invalid message received", record="Invalid message received")
            return
        if _loud(data, self.input_format):
            self.in_utterance = True
        elif self.in_utterance:
            # The utterance ended (a silent chunk after speech): "transcribe" it.
            self.in_utterance = False
            text = HEARD[self.utterances % len(HEARD)]
            self.utterances += 1
            await self.user_says(text, "audio")

    async def user_says(self, text: str, medium: str) -> None:
        now = self.emu.clock.now()
        if self.last_agent is not None and now < self.playing_until:
            await self._interrupt(now)
        event_id = self._next_event()
        if "user_transcript" in self.events:
            await self.emit(
                {
                    "type": "user_transcript",
                    "user_transcription_event": {"user_transcript": text, "event_id": event_id},
                }
            )
        self.c.add_turn("user", text, now, source_medium=medium)
        users, _ = self.c.counts()
        await self._act(self.brain.reply(text, users))

    async def _interrupt(self, now: float) -> None:
        assert self.last_agent is not None
        event_id, turn = self.last_agent
        await self.emit({"type": "interruption", "interruption_event": {"event_id": event_id}})
        original = turn["message"] or ""
        spoken = audio.speech_duration(original) - (self.playing_until - now)
        heard = original[: max(0, int(len(original) * spoken / audio.speech_duration(original)))]
        turn["interrupted"], turn["original_message"], turn["message"] = True, original, heard
        if "agent_response_correction" in self.events:
            await self.emit(
                {
                    "type": "agent_response_correction",
                    "agent_response_correction_event": {
                        "original_agent_response": original,
                        "corrected_agent_response": heard,
                        "event_id": event_id,
                    },
                }
            )
        self.playing_until = now

    async def _act(self, reply: Reply) -> None:
        if reply.tool_call is not None and reply.tool_call.name == "end_call":
            reply = Reply("Thank you for your time. Goodbye!", end_call=True)
        turn = await self.agent_says(reply.text)
        if reply.end_call:
            await self.end(1000, "Agent ended the call", record=END_CALL_REASON, farewell=True)
        if reply.tool_call is not None:
            await self._call_tool(reply.tool_call, turn)

    # --- tools ---------------------------------------------------------------------------------

    async def _call_tool(self, call: ToolCall, turn: dict[str, Any]) -> None:
        tool = self.tools.get(call.name, {"type": "client"})
        kind = str(tool.get("type") or "client")
        request_id = f"toolu_{self.emu.ids.hex(24)}"
        record: dict[str, Any] = {
            "type": kind,
            "request_id": request_id,
            "tool_name": call.name,
            "tool_id": tool.get("tool_id"),
            "params_as_json": json.dumps(call.parameters),
            "tool_has_been_called": True,
        }
        turn.setdefault("tool_calls", []).append(record)
        if "agent_tool_request" in self.events:
            event = {"tool_name": call.name, "tool_call_id": request_id, "tool_type": kind}
            await self.emit(
                {
                    "type": "agent_tool_request",
                    "agent_tool_request": {**event, "event_id": self._next_event()},
                }
            )
        if kind == "client":
            if "client_tool_call" not in self.events:
                await self._tool_done(
                    call, turn, request_id, kind, "Client tool events are disabled.", True
                )
                return
            await self.emit(
                {
                    "type": "client_tool_call",
                    "client_tool_call": {
                        "tool_name": call.name,
                        "tool_call_id": request_id,
                        "parameters": call.parameters,
                        "event_id": self._next_event(),
                    },
                }
            )
            if tool.get("expects_response", True):
                self.pending[request_id] = (call, turn)
            else:
                await self._tool_done(call, turn, request_id, kind, "", False, reply=False)
        elif kind == "webhook":
            started = time.monotonic()
            result, is_error, details = await call_webhook(
                self.emu, tool, call.parameters, self.variables
            )
            record["tool_details"] = details
            latency = round(time.monotonic() - started, 3)
            await self._tool_done(call, turn, request_id, kind, result, is_error, latency=latency)
        else:
            await self._tool_done(
                call, turn, request_id, kind, f"{kind} tool is not emulated", True
            )

    async def _tool_result(self, message: dict[str, Any]) -> None:
        request_id = str(message.get("tool_call_id") or "")
        if request_id not in self.pending:
            return  # a late or unknown result: the platform ignores it
        call, turn = self.pending.pop(request_id)
        result = message.get("result")
        text = result if isinstance(result, str) else json.dumps(result)
        await self._tool_done(call, turn, request_id, "client", text, bool(message.get("is_error")))

    async def _tool_done(
        self,
        call: ToolCall,
        turn: dict[str, Any],
        request_id: str,
        kind: str,
        result: str,
        is_error: bool,
        *,
        latency: float | None = None,
        reply: bool = True,
    ) -> None:
        turn.setdefault("tool_results", []).append(
            {
                "type": kind if kind in ("client", "webhook", "mcp") else None,
                "request_id": request_id,
                "tool_name": call.name,
                "result_value": result,
                "is_error": is_error,
                "tool_has_been_called": True,
                "tool_latency_secs": latency,
            }
        )
        if "agent_tool_response" in self.events:
            event = {
                "tool_name": call.name,
                "tool_call_id": request_id,
                "tool_type": kind,
                "is_error": is_error,
                "is_called": True,
                "event_id": self._next_event(),
            }
            await self.emit({"type": "agent_tool_response", "agent_tool_response": event})
        if reply:
            await self._act(self.brain.after_tool(call, result, is_error))

    # --- ending --------------------------------------------------------------------------------

    async def end(self, code: int, reason: str, *, record: str, farewell: bool = False) -> None:
        """Finish the conversation and close the socket; stops the caller via SessionClosed."""
        if not self.closed:
            self.closed = True
            live_sessions(self.emu).pop(self.c.conversation_id, None)
            if code != 1000:
                error = {"code": code, "message": reason, "reason": reason}
                # The peer may be gone already; closing is what matters.
                with suppress(Exception):
                    await self._send({"type": "error", "error_event": error})
            finish(self.emu, self.c, record, farewell=farewell)
            if farewell:
                # The real service streams the goodbye's audio before it hangs up; closing at
                # once makes clients (the SDK's own) race their pongs against the close and
                # drop the last messages.
                await asyncio.sleep(self.emu.config.hangup_grace_s)
            await self._close(code, reason)
        raise SessionClosed

    def disconnected(self, code: int) -> None:
        """The client went away: end the conversation as ElevenLabs records it."""
        if not self.closed:
            self.closed = True
            live_sessions(self.emu).pop(self.c.conversation_id, None)
            finish(self.emu, self.c, f"Client disconnected: {code}")


def _loud(data: bytes, fmt: str) -> bool:
    if fmt == "ulaw_8000":
        # mu-law silence is 0xFF/0x7F; anything far from those bytes is sound
        return any(b not in (0xFF, 0x7F, 0xFE, 0x7E) for b in data)
    samples = memoryview(data[: len(data) // 2 * 2]).cast("h")
    return any(abs(s) > SILENCE_LEVEL for s in samples)
