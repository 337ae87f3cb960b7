"""Agent tests: `v1/convai/agent-testing` create, list, get, replace (PUT) and delete.

A test is one of three kinds. `llm` tests check the agent's next reply to a chat history against
a success condition and examples; `tool` tests check that the reply calls (or does not call) a
tool with the expected parameters; `simulation` tests let a simulated user talk to the agent and
judge the whole conversation. Running them is `test_runs.py`; this module only keeps them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.errors import not_found
from parley.emulator.elevenlabs.periphery import el_state, short_id
from parley.emulator.elevenlabs.shapes import ACCESS_INFO, emulator, page

router = APIRouter(prefix="/v1/convai/agent-testing", dependencies=[Depends(require_api_key)])


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Turn(_Open):
    role: Literal["user", "agent"]
    message: str | None = None
    time_in_call_secs: int


class Example(_Open):
    response: str
    type: Literal["success", "failure"]


class Anything(BaseModel):
    type: Literal["anything"]


class Exact(BaseModel):
    type: Literal["exact"]
    expected_value: str


class Regex(BaseModel):
    type: Literal["regex"]
    pattern: str


class LlmEval(BaseModel):
    type: Literal["llm"]
    description: str


class ParameterCheck(BaseModel):
    path: str
    eval: Annotated[Anything | Exact | Regex | LlmEval, Field(discriminator="type")]


class ReferencedTool(BaseModel):
    id: str
    type: str


class ToolCallEvaluation(_Open):
    parameters: list[ParameterCheck] | None = None
    referenced_tool: ReferencedTool | None = None
    verify_absence: bool | None = None


class _TestBody(_Open):
    name: str = Field(min_length=1)
    chat_history: list[Turn] | None = None
    dynamic_variables: dict[str, Any] | None = None
    parent_folder_id: str | None = None


class LlmTest(_TestBody):
    type: Literal["llm"]
    success_condition: str | None = None
    success_examples: list[Example] | None = None
    failure_examples: list[Example] | None = None


class ToolTest(_TestBody):
    type: Literal["tool"]
    tool_call_parameters: ToolCallEvaluation | None = None
    check_any_tool_matches: bool | None = None


class SimulationTest(_TestBody):
    type: Literal["simulation"]
    success_condition: str | None = None
    success_conditions: list[str] | None = None
    simulation_scenario: str | None = None
    simulation_max_turns: int | None = Field(default=None, ge=1, le=50)


TestBody = Annotated[LlmTest | ToolTest | SimulationTest, Field(discriminator="type")]


class AgentTest(BaseModel):
    id: str
    type: Literal["llm", "tool", "simulation"]
    name: str
    # The whole definition as sent (minus nulls): what GET returns and what a run reads.
    body: dict[str, Any]
    parent_folder_id: str | None = None
    created_at_unix_secs: int
    last_updated_at_unix_secs: int

    def view(self) -> dict[str, Any]:
        """TestsGetResponse / TestsUpdateResponse."""
        return {**self.body, "id": self.id, "name": self.name, "access_info": ACCESS_INFO}

    def summary(self) -> dict[str, Any]:
        """UnitTestSummaryResponseModel."""
        return {
            "id": self.id,
            "name": self.name,
            "access_info": ACCESS_INFO,
            "created_at_unix_secs": self.created_at_unix_secs,
            "last_updated_at_unix_secs": self.last_updated_at_unix_secs,
            "type": self.type,
            "entity_type": "test",
            "folder_parent_id": self.parent_folder_id,
            "folder_path": [],
        }


def get_test(request: Request, test_id: str) -> AgentTest:
    test = el_state(request).tests.get(test_id)
    if test is None:
        raise not_found("test", test_id)
    return test


def _apply(test: AgentTest, body: LlmTest | ToolTest | SimulationTest) -> None:
    test.type = body.type
    test.name = body.name
    test.body = body.model_dump(mode="json", exclude_none=True)
    test.parent_folder_id = body.parent_folder_id


@router.post("/create")
async def create_test(body: TestBody, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    now = emu.clock.now_secs()
    test = AgentTest(
        id=short_id(emu),
        type=body.type,
        name=body.name,
        body={},
        created_at_unix_secs=now,
        last_updated_at_unix_secs=now,
    )
    _apply(test, body)
    el_state(request).tests[test.id] = test
    return {"id": test.id}


@router.get("")
async def list_tests(
    request: Request,
    cursor: str | None = None,
    page_size: Annotated[int, Query(ge=1, le=100)] = 30,
    search: str | None = None,
    parent_folder_id: str | None = None,
    types: Annotated[list[str] | None, Query()] = None,
    include_folders: bool | None = None,
    sort_mode: Literal["default", "folders_first"] = "default",
    sharing_mode: str | None = None,
    created_by_user_id: str | None = None,
) -> dict[str, Any]:
    tests = sorted(
        el_state(request).tests.values(),
        key=lambda t: (t.created_at_unix_secs, t.id),
        reverse=True,
    )
    if search:
        tests = [t for t in tests if search.lower() in t.name.lower()]
    if types:
        tests = [t for t in tests if t.type in types]
    if parent_folder_id:
        tests = [t for t in tests if t.parent_folder_id == parent_folder_id]
    chunk, next_cursor = page(tests, cursor, page_size)
    return {
        "tests": [t.summary() for t in chunk],
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
    }


@router.get("/{test_id}")
async def get_test_route(test_id: str, request: Request) -> dict[str, Any]:
    return get_test(request, test_id).view()


@router.put("/{test_id}")
async def replace_test(test_id: str, body: TestBody, request: Request) -> dict[str, Any]:
    test = get_test(request, test_id)
    _apply(test, body)
    test.last_updated_at_unix_secs = emulator(request).clock.now_secs()
    return test.view()


@router.delete("/{test_id}")
async def delete_test(test_id: str, request: Request) -> dict[str, Any]:
    get_test(request, test_id)
    del el_state(request).tests[test_id]
    return {}
