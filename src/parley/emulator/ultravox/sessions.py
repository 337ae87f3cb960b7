"""The live joinUrl sockets, so that a call ended elsewhere (REST, tick, control API) hangs up.

Kept in memory beside the emulator rather than in its state: a socket cannot be persisted, and a
restart drops every connection anyway.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from parley.emulator.state import Emulator


class Session(Protocol):
    async def hang_up(self) -> None:
        """Tell the client the call is over and close the socket."""

    async def handle(self, message: dict[str, Any]) -> None:
        """Act on a data message as if the client had sent it (`send_data_message`)."""


_live: weakref.WeakKeyDictionary[Emulator, dict[str, Session]] = weakref.WeakKeyDictionary()


def register(emu: Emulator, call_id: str, session: Session) -> None:
    _live.setdefault(emu, {})[call_id] = session


def unregister(emu: Emulator, call_id: str) -> None:
    _live.get(emu, {}).pop(call_id, None)


def connected(emu: Emulator, call_id: str) -> bool:
    return call_id in _live.get(emu, {})


def get(emu: Emulator, call_id: str) -> Session | None:
    return _live.get(emu, {}).get(call_id)


async def close(emu: Emulator, call_id: str) -> None:
    session = _live.get(emu, {}).pop(call_id, None)
    if session is not None:
        await session.hang_up()
