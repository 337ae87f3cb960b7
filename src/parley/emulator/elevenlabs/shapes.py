"""Small pieces every ElevenLabs resource module shares: deep merge, cursor pages, access info.

ElevenLabs pages most lists with an opaque `cursor` and answers `{<items>, next_cursor, has_more}`;
the emulator's cursor is the offset into the sorted list, base64-encoded so clients treat it as
opaque. `emulator(request)` gives a route the running emulator without a global.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import Request

from parley.emulator.elevenlabs.errors import ElevenLabsError

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

T = TypeVar("T")

ACCESS_INFO: dict[str, Any] = {
    "is_creator": True,
    "creator_name": "Emulator",
    "creator_email": "emulator@parley.invalid",
    "role": "admin",
}


def emulator(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emu
    return emu


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A copy of `base` with `patch` laid over it: nested objects merge, the rest replaces."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return max(0, int(raw.removeprefix("o:")))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ElevenLabsError(400, "invalid_cursor", "The cursor is not valid.") from exc


def page(items: Sequence[T], cursor: str | None, page_size: int) -> tuple[list[T], str | None]:
    """One page of `items` and the cursor of the next page (None on the last page)."""
    start = decode_cursor(cursor)
    chunk = list(items[start : start + page_size])
    end = start + len(chunk)
    return chunk, encode_cursor(end) if end < len(items) else None
