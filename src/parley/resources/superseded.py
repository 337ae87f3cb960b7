"""Documents replaced by a newer one, kept on the row until no live agent uses them.

A knowledge document cannot be edited in place: a changed one is created anew and agents move
to it only when they are applied. The earlier remote ids are kept under a reserved key of the
row's JSON `payload` (no schema change), stripped wherever the payload is compared, and deleted
from the provider by `garbage.collect` once no live agent version on the target names them.
"""

from __future__ import annotations

from typing import Any

from parley.models import ProviderResource

KEY = "_superseded"  # compiled payloads never start with "_": the key cannot clash


def applied(row: ProviderResource) -> dict[str, Any]:
    """What Parley last sent for the row (the payload without the bookkeeping key)."""
    return {k: v for k, v in row.payload.items() if k != KEY}


def ids(row: ProviderResource) -> list[str]:
    found = row.payload.get(KEY)
    return [str(i) for i in found] if isinstance(found, list) else []


def stored(payload: dict[str, Any], superseded: list[str]) -> dict[str, Any]:
    """`payload` as the row keeps it, carrying the superseded ids when there are any."""
    clean = {k: v for k, v in payload.items() if k != KEY}
    return {**clean, KEY: superseded} if superseded else clean


def mentions(value: Any, remote_id: str) -> bool:
    """Whether a compiled agent payload names `remote_id` anywhere (ElevenLabs puts documents
    in `knowledge_base[].id`, Ultravox in a `queryCorpus` override: the shape does not matter)."""
    if isinstance(value, dict):
        return any(mentions(v, remote_id) for v in value.values())
    if isinstance(value, list):
        return any(mentions(v, remote_id) for v in value)
    return isinstance(value, str) and value == remote_id
