"""The demo's last act: an experiment judged on live traffic, end to end over HTTP.

Parley's API is served on a local port with the job runner on; the emulated ElevenLabs sends
its signed post-call webhooks there. Two versions of the sales agent are the arms; starting the
experiment gives each its own ElevenLabs branch, and the emulator is told the truth per branch
(the calmer version books meetings more often). Conversations start through Parley's own API,
each routed by the experiment: outbound calls (`POST /api/v1/calls`) and, for advisors who
prefer the website, browser sessions (`POST /api/v1/sessions`, then a real WebSocket
conversation on the signed URL). The webhooks come back, the outcomes are folded into the
experiment, and Parley evaluates it after every batch until the always-valid test calls a
winner and promotes it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.rule import Rule
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect

from parley.app import create_app
from parley.cli.experiments import render
from parley.config import Settings
from parley.db.engine import session_scope
from parley.experiments.schemas import ExperimentReport, ExperimentView
from parley.models import Agent, ProviderAgent
from parley.sessions.schemas import SessionStarted
from parley.tokens import service as tokens

EL_KEY = "xi-demo-key"
BATCH = 50
MAX_CONVERSATIONS = 800
TRUTH = {  # meetings booked: what the emulator's callers will do with each version
    "control": 0.16,
    "calmer": 0.30,
}
VARIABLES = {"advisor_name": "Dana", "firm_name": "Whitfield Advisory", "crm_token": "crm-demo"}
EXPERIMENT = """\
name: calmer_opener
agent: {agent}
description: Does the calmer opening book more meetings with advisors?
unit: caller
metric: data.meeting_booked
arms:
  - {{name: control, version: {control}, target: elevenlabs}}
  - {{name: calmer, version: {treatment}, target: elevenlabs}}
guardrails:
  - {{metric: duration, margin: 60}}
maturity_minutes: 0
expected_total: 400
promotion: auto
"""


@asynccontextmanager
async def served(settings: Settings, port: int) -> AsyncIterator[str]:
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no started event)
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _arms(sessions: async_sessionmaker[AsyncSession], agent: str) -> tuple[int, int, str]:
    """(control version, treatment version, remote agent id): the two newest applied."""
    async with session_scope(sessions) as session:
        row = await session.scalar(select(Agent).where(Agent.name == agent))
        assert row is not None
        bindings = (
            await session.scalars(
                select(ProviderAgent).where(
                    ProviderAgent.agent_id == row.id, ProviderAgent.target == "elevenlabs"
                )
            )
        ).all()
    control, treatment = sorted(b.version_number for b in bindings)[-2:]
    return control, treatment, bindings[0].remote_id


async def _tell_truth(
    raw: httpx.AsyncClient, remote_agent: str, branch: str | None, booked: float
) -> None:
    """The emulator's outcome model for conversations on this branch: the known truth."""
    model = {
        "p_success": 0.6,
        "data_collection": {"meeting_booked": {"kind": "bernoulli", "p": booked}},
        "duration_s": {"kind": "lognormal", "mean": 150, "sd": 50, "min": 20, "max": 900},
    }
    rule = {"agent_id": remote_agent, "branch_id": branch, "model": model}
    (await raw.post("/_emulator/outcomes", json=rule)).raise_for_status()


async def _wire_emulator(raw: httpx.AsyncClient, parley_url: str) -> tuple[str, str]:
    """Point ElevenLabs' post-call webhook at Parley (its secret signs them); add a phone line."""
    headers = {"xi-api-key": EL_KEY}
    hook = await raw.post(
        "/elevenlabs/v1/workspace/webhooks",
        headers=headers,
        json={"settings": {"name": "parley", "webhook_url": f"{parley_url}/webhooks/elevenlabs"}},
    )
    hook.raise_for_status()
    events = ["transcript", "call_initiation_failure"]
    settings = {"post_call_webhook_id": hook.json()["webhook_id"], "events": events}
    wired = await raw.patch(
        "/elevenlabs/v1/convai/settings", headers=headers, json={"webhooks": settings}
    )
    wired.raise_for_status()
    line = await raw.post(
        "/elevenlabs/v1/convai/phone-numbers",
        headers=headers,
        json={
            "phone_number": "+14155550100",
            "label": "advisor outreach",
            "provider": "twilio",
            "sid": "AC-demo",
            "token": "twilio-demo",
        },
    )
    line.raise_for_status()
    return str(hook.json()["webhook_secret"]), str(line.json()["phone_number_id"])


async def _call(client: httpx.AsyncClient, agent: str, line: str, number: int) -> None:
    answer = await client.post(
        "/api/v1/calls",
        json={
            "agent": agent,
            "target": "elevenlabs",
            "to": f"+1212{number:04d}123",  # ...123: the emulated callee answers
            "line": line,
            "variables": VARIABLES,
        },
    )
    answer.raise_for_status()


async def _browser(client: httpx.AsyncClient, agent: str, number: int) -> None:
    """What a web page does: ask Parley for a session, then talk on the signed URL."""
    answer = await client.post(
        "/api/v1/sessions",
        json={
            "agent": agent,
            "target": "elevenlabs",
            "user_id": f"advisor-{number}",
            "variables": VARIABLES,
        },
    )
    answer.raise_for_status()
    started = SessionStarted.model_validate(answer.json())
    async with connect(started.join_url) as ws:
        first = {"type": "conversation_initiation_client_data", **(started.client_data or {})}
        await ws.send(json.dumps(first))
        for line in ("Hello, I saw your ETF page.", "Yes, a meeting next week works."):
            await ws.send(json.dumps({"type": "user_message", "text": line}))
            while json.loads(await ws.recv()).get("type") != "agent_response":
                pass


async def _status(client: httpx.AsyncClient, name: str, *, evaluate: bool) -> ExperimentReport:
    if evaluate:
        answer = await client.post(f"/api/v1/experiments/{name}/evaluate")
    else:
        answer = await client.get(f"/api/v1/experiments/{name}/status")
    answer.raise_for_status()
    return ExperimentReport.model_validate(answer.json())


async def _counted(client: httpx.AsyncClient, name: str) -> int:
    report = await _status(client, name, evaluate=False)
    return sum(row.outcomes for row in report.traffic)


async def act(
    conf: Settings,
    sessions: async_sessionmaker[AsyncSession],
    raw: httpx.AsyncClient,
    out: Console,
    *,
    agent: str,
    port: int,
    keep_serving: bool,
) -> None:
    out.print(Rule("16. an experiment on live traffic: which opening books more meetings?"))
    control, treatment, remote_agent = await _arms(sessions, agent)
    url = f"http://127.0.0.1:{port}"
    webhook_secret, line = await _wire_emulator(raw, url)
    settings = conf.model_copy(
        update={
            "elevenlabs_webhook_secret": SecretStr(webhook_secret),
            "job_poll_s": 0.2,
            "experiments_interval_s": 0.0,  # the demo evaluates after every batch itself
            # The demo fast-forwards the emulator's clock (calls ring and talk in simulated
            # time), so its webhook signatures are dated hours ahead of the real clock.
            "webhook_future_s": 86400.0,
        }
    )
    async with session_scope(sessions) as session:
        token = (await tokens.create(session, "demo-experiment", actor="demo")).token
    async with (
        served(settings, port) as parley_url,
        httpx.AsyncClient(
            base_url=parley_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client,
    ):
        out.print(f"Parley's API at {parley_url} (webhooks: {parley_url}/webhooks/elevenlabs)")
        spec = EXPERIMENT.format(agent=agent, control=control, treatment=treatment)
        made = await client.post("/api/v1/experiments", json={"yaml": spec})
        if made.status_code != 201:
            raise RuntimeError(f"creating the experiment failed: {made.text}")
        out.print(spec.rstrip(), markup=False, highlight=False)
        started = await client.post("/api/v1/experiments/calmer_opener/start")
        started.raise_for_status()
        arms = ExperimentView.model_validate(started.json()).arms
        for arm in arms:
            out.print(
                f"arm {arm.name}: v{arm.version} served from ElevenLabs branch "
                f"{arm.remote_branch_id} (version {arm.remote_version_id})",
                markup=False,
            )
            await _tell_truth(raw, remote_agent, arm.remote_branch_id, TRUTH[arm.name])
        out.print(
            f"truth told to the emulator: v{control} books {TRUTH['control']:.0%} of "
            f"conversations, v{treatment} (calmer) {TRUTH['calmer']:.0%}; Parley does not know this"
        )
        report = await _drive(client, raw, out, agent, line)
        out.print(Rule("17. the result"))
        render(out, report)
        await _after(client, out, agent, report)
        if keep_serving:
            await _serve_forever(out, parley_url, token)


async def _drive(
    client: httpx.AsyncClient, raw: httpx.AsyncClient, out: Console, agent: str, line: str
) -> ExperimentReport:
    """Batches of conversations until Parley decides (or MAX_CONVERSATIONS)."""
    started = 0
    report = await _status(client, "calmer_opener", evaluate=False)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out, transient=False) as bar:
        task = bar.add_task("conversations judged", total=MAX_CONVERSATIONS)
        while started < MAX_CONVERSATIONS and report.experiment.status == "running":
            # One advisor in five talks to the agent on the website instead of the phone.
            jobs = [
                _browser(client, agent, i) if i % 5 == 4 else _call(client, agent, line, i)
                for i in range(started, started + BATCH)
            ]
            await _gather_limited(jobs, limit=4)
            started += BATCH
            # The calls ring, talk and end on the emulator's clock; moving it sends the webhooks.
            await raw.post("/_emulator/advance", json={"seconds": 1800})
            await _wait_for(client, started, bar, task)
            report = await _status(client, "calmer_opener", evaluate=True)
            calmer = report.primary.arms[1]
            bar.update(
                task,
                description=f"conversations judged ({report.decision.replace('_', ' ')}; "
                f"P(calmer beats control) {_pct(calmer.chance_to_beat_control)})",
            )
    return report


async def _after(
    client: httpx.AsyncClient, out: Console, agent: str, report: ExperimentReport
) -> None:
    """What the decision did: the agent's live version now, and where its arms were served."""
    if report.experiment.status != "promoted":
        out.print(f"not promoted yet: {report.decision.replace('_', ' ')}", markup=False)
        return
    detail = (await client.get(f"/api/v1/agents/{agent}")).json()
    winner = next(a for a in report.experiment.arms if a.name == report.experiment.winner)
    out.print(
        f"promoted: arm {winner.name} (v{winner.version}) is now {agent}'s live version "
        f"(v{detail['current_version']}, same content) on {winner.target}; the arms' branches "
        "were archived and new conversations go to the main branch again",
        markup=False,
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


async def _gather_limited(jobs: list[Any], *, limit: int) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(job: Any) -> None:
        async with gate:
            await job

    await asyncio.gather(*(one(job) for job in jobs))


async def _wait_for(client: httpx.AsyncClient, started: int, bar: Progress, task: Any) -> None:
    """Until every started conversation's webhook was received and processed (or 30 s)."""
    for _ in range(300):
        counted = await _counted(client, "calmer_opener")
        bar.update(task, completed=counted)
        if counted >= started:
            return
        await asyncio.sleep(0.1)


async def _serve_forever(out: Console, url: str, token: str) -> None:
    out.print(Rule("the API keeps running: explore it"))
    out.print(f"token:  {token}", markup=False)
    for path in (
        "/docs",
        "/api/v1/experiments/calmer_opener/status",
        "/api/v1/conversations?limit=5",
        "/api/v1/analytics?agent=etf-sales-specialist&group_by=version",
    ):
        out.print(f"  {url}{path}", markup=False)
    out.print(f'e.g. curl -H "Authorization: Bearer {token}" {url}/api/v1/experiments')
    out.print("Ctrl-C to stop.")
    with suppress(asyncio.CancelledError):
        await asyncio.Event().wait()


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
