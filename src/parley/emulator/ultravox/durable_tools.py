"""`/api/tools`: the account's durable tools, next to the public built-ins.

The spec offers GET/POST on the collection and GET/PUT/DELETE on one tool (no PATCH, so PATCH
answers 405, as the real route does). `definition` is a protobuf `BaseToolDefinition` (unknown
fields rejected, exactly one of `http`/`client`/`dataConnection`); `modelToolName` defaults to
the tool's `name`. Names are unique in the account, because `selectedTools[].toolName` must
identify one tool. Built-ins are `public` and read-only (writes answer 404, as for a tool of
another account).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from parley.emulator.ultravox.auth import require_api_key
from parley.emulator.ultravox.builtin_tools import BUILT_IN, BY_ID
from parley.emulator.ultravox.errors import UltravoxError
from parley.emulator.ultravox.pagination import paginate
from parley.emulator.ultravox.schemas import ToolIn
from parley.emulator.ultravox.state import ToolRecord, UltravoxState
from parley.emulator.ultravox.wire import iso

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

router = APIRouter(prefix="/api/tools", dependencies=[Depends(require_api_key)])
SortOrder = Literal[
    "display", "alphabetic", "reverseAlphabetic", "chronologic", "reverseChronologic", "default"
]


def _emu(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emu
    return emu


def _state(emu: Emulator) -> UltravoxState:
    value: UltravoxState = emu.state("ultravox")
    return value


def tool_view(tool: ToolRecord) -> dict[str, Any]:
    return {
        "toolId": tool.tool_id,
        "name": tool.name,
        "created": iso(tool.created),
        "definition": tool.definition,
        "ownership": "public" if tool.tool_id in BY_ID else "private",
    }


def _get(emu: Emulator, tool_id: str, writable: bool = False) -> ToolRecord:
    tool = _state(emu).tools.get(tool_id)
    if tool is None and not writable:
        tool = BY_ID.get(tool_id)
    if tool is None:
        raise UltravoxError(404, "Not found.")
    return tool


def _checked(emu: Emulator, body: ToolIn, tool_id: str | None) -> tuple[str, dict[str, Any]]:
    """Name and wire definition of a POST/PUT body, or a DRF 400."""
    problems: dict[str, list[str]] = {}
    if body.name is None:
        problems["name"] = ["This field is required."]
    if body.definition is None:
        problems["definition"] = ["This field is required."]
    if problems or body.name is None or body.definition is None:
        raise UltravoxError(400, problems)
    clash = any(t.name == body.name and t.tool_id != tool_id for t in _state(emu).tools.values())
    if clash:
        raise UltravoxError(400, {"name": ["A tool with this name already exists."]})
    definition = body.definition.wire()
    definition.setdefault("modelToolName", body.name)
    return body.name, definition


@router.get("")
async def list_tools(
    request: Request,
    ownership: Literal["private", "public"] | None = None,
    search: str | None = Query(default=None, min_length=1),
    sortOrder: SortOrder = "default",
) -> dict[str, Any]:
    emu = _emu(request)
    own = sorted(_state(emu).tools.values(), key=lambda t: (t.created, t.tool_id), reverse=True)
    public = sorted(BUILT_IN.values(), key=lambda t: t.name)
    items = {"private": own, "public": public}.get(ownership or "", [*own, *public])
    if search:
        items = [t for t in items if search.lower() in t.name.lower()]
    items = _sorted(items, sortOrder)
    return paginate(request, items, tool_view)


def _sorted(items: list[ToolRecord], order: str) -> list[ToolRecord]:
    if order == "display":  # public by name, then private newest first
        public = sorted((t for t in items if t.tool_id in BY_ID), key=lambda t: t.name)
        return public + [t for t in items if t.tool_id not in BY_ID]
    if order in ("alphabetic", "reverseAlphabetic"):
        return sorted(items, key=lambda t: t.name, reverse=order == "reverseAlphabetic")
    if order in ("chronologic", "reverseChronologic"):
        return sorted(items, key=lambda t: t.created, reverse=order == "reverseChronologic")
    return items  # default: private newest first, then public


@router.post("", status_code=201)
async def create_tool(body: ToolIn, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    name, definition = _checked(emu, body, None)
    tool = ToolRecord(tool_id=emu.ids.uuid(), name=name, created=emu.clock.now(),
                      definition=definition)  # fmt: skip
    _state(emu).tools[tool.tool_id] = tool
    return tool_view(tool)


@router.get("/{tool_id}")
async def get_tool(tool_id: str, request: Request) -> dict[str, Any]:
    return tool_view(_get(_emu(request), tool_id))


@router.put("/{tool_id}")
async def replace_tool(tool_id: str, body: ToolIn, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    tool = _get(emu, tool_id, writable=True)
    tool.name, tool.definition = _checked(emu, body, tool_id)
    return tool_view(tool)


@router.delete("/{tool_id}", status_code=204)
async def delete_tool(tool_id: str, request: Request) -> Response:
    emu = _emu(request)
    _get(emu, tool_id, writable=True)
    # Agents that select it keep their reference; their next call is refused (unknown tool).
    del _state(emu).tools[tool_id]
    return Response(status_code=204)
