"""DRF cursor pagination as Ultravox serves it: `{next, previous, results, total}`.

`next` and `previous` are absolute URIs carrying an opaque `cursor` (DRF's base64 of
`o=<offset>`, with `r=1` for a previous link) and every other query parameter of the request,
so clients follow them verbatim. An undecodable cursor answers 404 "Invalid cursor", as DRF does.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qs

from fastapi import Request

from parley.emulator.ultravox.errors import UltravoxError

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def _encode(offset: int, reverse: bool) -> str:
    raw = f"o={offset}" + ("&r=1" if reverse else "")
    return base64.b64encode(raw.encode()).decode()


def _decode(cursor: str) -> int:
    try:
        fields = parse_qs(base64.b64decode(cursor.encode(), validate=True).decode())
        offset = int(fields["o"][0])
    except (ValueError, KeyError, UnicodeDecodeError):
        raise UltravoxError(404, "Invalid cursor") from None
    if offset < 0:
        raise UltravoxError(404, "Invalid cursor")
    return offset


def _page_size(request: Request) -> int:
    # DRF silently falls back to the default for a missing or malformed pageSize.
    raw = request.query_params.get("pageSize")
    try:
        size = int(raw) if raw is not None else DEFAULT_PAGE_SIZE
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return DEFAULT_PAGE_SIZE if size <= 0 else min(size, MAX_PAGE_SIZE)


def _link(request: Request, offset: int, reverse: bool) -> str:
    return str(request.url.include_query_params(cursor=_encode(offset, reverse)))


def paginate(
    request: Request, items: Sequence[T], render: Callable[[T], dict[str, Any]]
) -> dict[str, Any]:
    cursor = request.query_params.get("cursor")
    offset = _decode(cursor) if cursor else 0
    size = _page_size(request)
    page = items[offset : offset + size]
    has_next = offset + size < len(items)
    return {
        "next": _link(request, offset + size, False) if has_next else None,
        "previous": _link(request, max(0, offset - size), True) if offset > 0 else None,
        "results": [render(item) for item in page],
        "total": len(items),
    }
