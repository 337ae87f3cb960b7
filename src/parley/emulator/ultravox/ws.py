"""The joinUrl WebSocket: joining a call and talking to the emulated agent with data messages.

The real service answers a WebRTC join with a LiveKit `room_info`; the emulator cannot host a
LiveKit room, so every medium speaks the `serverWebSocket` protocol here: JSON text frames are
the documented data messages, and binary frames carry s16le PCM (agent speech at
`outputSampleRate`, a tone standing in for words; user audio is accepted and ignored — talk with
`user_text_message`). Connecting joins the call (`call.joined`); closing the socket hangs up.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from parley.emulator import audio
from parley.emulator.faults import FaultRule
from parley.emulator.ultravox import lifecycle, sessions
from parley.emulator.ultravox.conversation import Conversation

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

router = APIRouter()
# Data message type -> `EnabledDataMessages` flag, and whether it is on by default.
FLAGS = {
    "call_started": ("callStarted", True),
    "state": ("state", True),
    "transcript": ("transcript", True),
    "client_tool_invocation": ("clientToolInvocation", True),
    "pong": ("pong", True),
    "debug": ("debug", False),
}


class SocketSession:
    def __init__(self, emu: Emulator, ws: WebSocket, call_id: str, fault: FaultRule | None) -> None:
        self.emu = emu
        self.ws = ws
        self.call = lifecycle.state(emu).calls[call_id]
        medium = self.call.config.get("medium") or {}
        self.server_socket = "serverWebSocket" in medium
        settings: dict[str, Any] = next(iter(medium.values()), {}) or {}
        self.enabled: dict[str, Any] = dict(settings.get("dataMessages") or {})
        rate = settings.get("outputSampleRate") or settings.get("inputSampleRate") or 16000
        self.rate = int(rate)
        self.fault = fault
        self.sent = 0
        self.closed = False
        self.conversation = Conversation(emu, self.call, self.send, self.audio, self.close)

    async def send(self, message: dict[str, Any]) -> None:
        flag, default = FLAGS.get(str(message["type"]), ("", True))
        if self.closed or not self.enabled.get(flag, default):
            return
        if self.fault is not None and self.sent >= self.fault.after_messages:
            await self._drop()
            return
        await self.ws.send_text(json.dumps(message))
        self.sent += 1

    async def audio(self, text: str) -> None:
        if self.closed or not self.server_socket:
            return
        for chunk in audio.chunks(audio.tone(audio.speech_duration(text), self.rate)):
            await self.ws.send_bytes(chunk)

    async def hang_up(self) -> None:
        """The call was ended elsewhere (REST, timeout, control API)."""
        await self.send({"type": "state", "state": "idle"})
        await self.close()

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            sessions.unregister(self.emu, self.call.call_id)
            await self.ws.close(code=1000)

    async def _drop(self) -> None:
        # An injected network failure: the call ends with a connection error.
        assert self.fault is not None
        self.closed = True
        sessions.unregister(self.emu, self.call.call_id)
        lifecycle.end(self.emu, self.call, "connection_error")
        await self.ws.close(code=self.fault.close_code, reason=self.fault.close_reason)

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        talk = self.conversation
        if kind in ("user_text_message", "input_text_message"):
            await talk.user_text(str(message.get("text", "")))
        elif kind in ("client_tool_result", "data_connection_tool_result"):
            await talk.tool_result(message)
        elif kind == "forced_agent_message":
            await talk.say(str(message.get("content", "")))
            await self.send({"type": "state", "state": "listening"})
        elif kind == "hang_up":
            await talk.end("hangup", farewell=message.get("message") or None)
        elif kind == "set_output_medium":
            talk.output_medium = "text" if message.get("medium") == "text" else "voice"
        elif kind == "ping":
            await self.send({"type": "pong", "timestamp": message.get("timestamp")})
        else:
            await self.send({"type": "debug", "message": f"unhandled message type {kind!r}"})


@router.websocket("/calls/{call_id}/join")
async def join(ws: WebSocket, call_id: str) -> None:
    emu: Emulator = ws.app.state.emu
    call = lifecycle.state(emu).calls.get(call_id)
    if call is None or not lifecycle.is_live(call) or call.joined is not None:
        # Unknown, finished or already joined: refuse the handshake.
        await ws.close(code=1008)
        return
    fault = emu.faults.match("ws_close", ws.url.path)
    await ws.accept()
    session = SocketSession(emu, ws, call_id, fault)
    sessions.register(emu, call_id, session)
    lifecycle.join(emu, call, ws.query_params.get("clientVersion"))
    await session.send({"type": "call_started", "callId": call_id})
    await session.conversation.greet()
    try:
        while not session.closed:
            frame = await ws.receive()
            if frame["type"] == "websocket.disconnect":
                break
            if frame.get("text") is not None:
                await _dispatch(session, frame["text"])
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client went away or the socket was closed by the server
    finally:
        sessions.unregister(emu, call_id)
        if lifecycle.is_live(call):
            lifecycle.end(emu, call, "hangup")


async def _dispatch(session: SocketSession, text: str) -> None:
    try:
        message = json.loads(text)
    except json.JSONDecodeError:
        await session.send({"type": "debug", "message": "invalid JSON"})
        return
    if isinstance(message, dict):
        await session.handle(message)
