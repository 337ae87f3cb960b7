"""Running agent tests: `POST v1/convai/agents/{agent_id}/run-tests` and `.../test-invocations`.

A run is decided the moment it is submitted, from the agent's branch tip and the emulator's
`Brain` (so the same test on the same agent always ends the same way), but it reads `pending`
until `RUN_SECONDS` of emulated time have passed, as real runs take a while: clients must poll,
and `/_emulator/advance` finishes them at once. Status is computed from the clock on read, so
nothing needs a tick. How each kind of test is judged is in `judging.py`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.errors import not_found
from parley.emulator.elevenlabs.judging import Verdict, evaluate
from parley.emulator.elevenlabs.periphery import el_state, require_agent, short_id
from parley.emulator.elevenlabs.shapes import ACCESS_INFO, deep_merge, emulator, page
from parley.emulator.elevenlabs.testing import get_test

router = APIRouter(prefix="/v1/convai", dependencies=[Depends(require_api_key)])

RUN_SECONDS = 2.0


class SingleTestRun(BaseModel):
    model_config = ConfigDict(extra="allow")

    test_id: str
    workflow_node_id: str | None = None
    root_folder_id: str | None = None
    root_folder_name: str | None = None


class RunTestsRequest(BaseModel):
    tests: list[SingleTestRun] = Field(min_length=1)
    name: str | None = None
    agent_config_override: dict[str, Any] | None = None
    branch_id: str | None = None
    repeat_count: int | None = Field(default=None, ge=1, le=10)


class RenameRequest(BaseModel):
    name: str


class TestRun(BaseModel):
    test_run_id: str
    test_id: str
    test_name: str
    test_info: dict[str, Any]
    workflow_node_id: str | None = None
    root_folder_id: str | None = None
    root_folder_name: str | None = None
    verdict: Verdict
    ready_at: float
    cancelled: bool = False

    def status(self, now: float) -> str:
        if self.cancelled:
            return "cancelled"
        if now < self.ready_at:
            return "pending"
        return "passed" if self.verdict.passed else "failed"


class TestInvocation(BaseModel):
    id: str
    name: str | None = None
    agent_id: str
    branch_id: str
    version_id: str
    created_at_unix_secs: int
    repeat_count: int = 1
    cancelled: bool = False
    runs: list[TestRun] = Field(default_factory=list)

    def view(self, now: float) -> dict[str, Any]:
        """GetTestSuiteInvocationResponseModel."""
        return {
            "id": self.id,
            "name": self.name,
            "agent_id": self.agent_id,
            "branch_id": self.branch_id,
            "version_id": self.version_id,
            "ran_against_draft": False,
            "created_at": self.created_at_unix_secs,
            "repeat_count": self.repeat_count,
            "cancelled": self.cancelled,
            "test_runs": [self._run_view(r, now) for r in self.runs],
        }

    def _run_view(self, run: TestRun, now: float) -> dict[str, Any]:
        status = run.status(now)
        done = status in ("passed", "failed")
        return {
            "test_run_id": run.test_run_id,
            "test_info": run.test_info,
            "test_invocation_id": self.id,
            "agent_id": self.agent_id,
            "branch_id": self.branch_id,
            "version_id": self.version_id,
            "ran_against_draft": False,
            "workflow_node_id": run.workflow_node_id,
            "status": status,
            "agent_responses": run.verdict.agent_responses if done else None,
            "test_id": run.test_id,
            "test_name": run.test_name,
            "condition_result": run.verdict.condition_result() if done else None,
            "last_updated_at_unix": int(run.ready_at) if done else self.created_at_unix_secs,
            "root_folder_id": run.root_folder_id,
            "root_folder_name": run.root_folder_name,
        }

    def summary(self, now: float) -> dict[str, Any]:
        """TestInvocationSummaryResponseModel."""
        statuses = [r.status(now) for r in self.runs]
        names = list(dict.fromkeys(r.test_name for r in self.runs))
        title = names[0] + (f" and {len(names) - 1} more" if len(names) > 1 else "")
        return {
            "id": self.id,
            "name": self.name,
            "agent_id": self.agent_id,
            "branch_id": self.branch_id,
            "version_id": self.version_id,
            "ran_against_draft": False,
            "created_at_unix_secs": self.created_at_unix_secs,
            "test_run_count": len(statuses),
            "passed_count": statuses.count("passed"),
            "failed_count": statuses.count("failed"),
            "pending_count": statuses.count("pending"),
            "cancelled_count": statuses.count("cancelled"),
            "title": self.name or title,
            "access_info": ACCESS_INFO,
            "repeat_count": self.repeat_count,
            "cancelled": self.cancelled,
        }


def _invocation(request: Request, invocation_id: str) -> TestInvocation:
    invocation = el_state(request).test_invocations.get(invocation_id)
    if invocation is None:
        raise not_found("test_invocation", invocation_id)
    return invocation


@router.post("/agents/{agent_id}/run-tests")
async def run_tests(agent_id: str, body: RunTestsRequest, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    state = el_state(request)
    agent = require_agent(emu, agent_id)
    branch_id = body.branch_id or agent.main_branch_id
    version = agent.tip(branch_id)  # 404 branch_not_found for an unknown branch
    tests = [(item, get_test(request, item.test_id)) for item in body.tests]
    # An override is laid over the branch tip for these runs only, as the platform does.
    override = (body.agent_config_override or {}).get("conversation_config") or {}
    config = deep_merge(version.conversation_config, override)
    now = emu.clock.now()
    invocation = TestInvocation(
        id=short_id(emu),
        name=body.name,
        agent_id=agent_id,
        branch_id=branch_id,
        version_id=version.id,
        created_at_unix_secs=int(now),
        repeat_count=body.repeat_count or 1,
    )
    for _ in range(invocation.repeat_count):
        for item, test in tests:
            invocation.runs.append(
                TestRun(
                    test_run_id=short_id(emu),
                    test_id=test.id,
                    test_name=test.name,
                    test_info={k: v for k, v in test.body.items() if k != "name"},
                    workflow_node_id=item.workflow_node_id,
                    root_folder_id=item.root_folder_id,
                    root_folder_name=item.root_folder_name,
                    verdict=evaluate(state, config, test),
                    ready_at=now + RUN_SECONDS,
                )
            )
    state.test_invocations[invocation.id] = invocation
    return invocation.view(now)


@router.get("/test-invocations")
async def list_test_invocations(
    request: Request,
    agent_id: str | None = None,
    branch_id: str | None = None,
    created_by_user_id: str | None = None,
    test_id: str | None = None,
    start_time: int | None = None,
    end_time: int | None = None,
    version_id: str | None = None,
    page_size: Annotated[int, Query(ge=1, le=100)] = 30,
    search: str | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    now = emulator(request).clock.now()
    found = sorted(
        el_state(request).test_invocations.values(),
        key=lambda i: (i.created_at_unix_secs, i.id),
        reverse=True,
    )
    found = [
        i
        for i in found
        if (agent_id is None or i.agent_id == agent_id)
        and (branch_id is None or i.branch_id == branch_id)
        and (version_id is None or i.version_id == version_id)
        and (test_id is None or any(r.test_id == test_id for r in i.runs))
        and (start_time is None or i.created_at_unix_secs >= start_time)
        and (end_time is None or i.created_at_unix_secs <= end_time)
    ]
    summaries = [i.summary(now) for i in found]
    if search:
        summaries = [s for s in summaries if search.lower() in s["title"].lower()]
    chunk, next_cursor = page(summaries, cursor, page_size)
    return {"results": chunk, "next_cursor": next_cursor, "has_more": next_cursor is not None}


@router.get("/test-invocations/{test_invocation_id}")
async def get_test_invocation(test_invocation_id: str, request: Request) -> dict[str, Any]:
    return _invocation(request, test_invocation_id).view(emulator(request).clock.now())


@router.patch("/test-invocations/{test_invocation_id}")
async def rename_test_invocation(
    test_invocation_id: str, body: RenameRequest, request: Request
) -> dict[str, Any]:
    invocation = _invocation(request, test_invocation_id)
    invocation.name = body.name
    return invocation.view(emulator(request).clock.now())


@router.post("/test-invocations/{test_invocation_id}/cancel")
async def cancel_test_invocation(test_invocation_id: str, request: Request) -> dict[str, Any]:
    invocation = _invocation(request, test_invocation_id)
    now = emulator(request).clock.now()
    for run in invocation.runs:
        if run.status(now) == "pending":
            run.cancelled = True
    invocation.cancelled = True
    return {}
