"""Experiment arms on ElevenLabs are served from branches of their own, so every start (browser
session, outbound call, inbound initiation) reaches exactly its arm's version, even after newer
versions are applied to the agent's main branch; stopping the experiment archives the branches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from parley.conversations import service as conversations
from parley.conversations.callers import hash_key
from parley.db.engine import session_scope
from parley.models import ConversationStart
from tests.conversations.conftest import apply_examples
from tests.sessions.conftest import Live
from tests.sessions.test_calls_api import VARIABLES, _number

SALES = "etf-sales-specialist"
OPENERS = {
    1: None,  # the example's own first message
    2: "Hello {{advisor_name}}, this is Sarah from Northbridge Capital. Do you have a minute?",
    3: "Hi {{advisor_name}}, Sarah here from Northbridge. Is now a good time?",
}
EXPERIMENT = """\
name: opener
agent: etf-sales-specialist
unit: caller
metric: data.meeting_booked
arms:
  - {name: control, version: 1, target: elevenlabs}
  - {name: calmer, version: 2, target: elevenlabs}
maturity_minutes: 0
"""


async def _el(live: Live, path: str, **params: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"{live.emulator.url}/elevenlabs") as http:
        answer = await http.get(path, headers={"xi-api-key": "xi-sessions"}, params=params)
        answer.raise_for_status()
        data: dict[str, Any] = answer.json()
        return data


async def _apply_opener(live: Live, examples: Path, version: int) -> None:
    edits = {"first_message": OPENERS[version]} if OPENERS[version] else {}
    await apply_examples(live.sessions, live.providers, examples, **{SALES: edits})


async def test_each_elevenlabs_arm_is_served_its_own_version(live: Live, examples: Path) -> None:
    await _apply_opener(live, examples, 2)  # version 2 is now the tip of main; version 1 is history
    made = await live.client.post("/api/v1/experiments", json={"yaml": EXPERIMENT})
    assert made.status_code == 201, made.text
    started = await live.client.post("/api/v1/experiments/opener/start")
    assert started.status_code == 200, started.text
    arms = {arm["name"]: arm for arm in started.json()["arms"]}
    remote_agent = live.remote[(SALES, "elevenlabs")]
    branches = {
        b["name"]: b
        for b in (await _el(live, f"/v1/convai/agents/{remote_agent}/branches"))["results"]
    }
    for name in ("control", "calmer"):
        branch = branches[f"parley-opener-{name}"]
        assert arms[name]["remote_branch_id"] == branch["id"]
        assert arms[name]["remote_version_id"]
    # A version applied during the experiment goes to main and leaves the arms alone.
    await _apply_opener(live, examples, 3)

    line = await _number(live)
    seen: dict[str, set[str]] = {"control": set(), "calmer": set()}
    for i in range(16):
        answer = await live.client.post(
            "/api/v1/calls",
            json={
                "agent": SALES,
                "target": "elevenlabs",
                "to": f"+1212555{i:04d}",
                "line": line,
                "variables": VARIABLES,
            },
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        record = await live.providers.get("elevenlabs").get_conversation(body["conversation_id"])
        arm = arms[body["arm"]]
        assert record.remote_branch_id == arm["remote_branch_id"]
        assert record.remote_version_id == arm["remote_version_id"]
        served = await _el(
            live, f"/v1/convai/agents/{remote_agent}", version_id=record.remote_version_id
        )
        opener = served["conversation_config"]["agent"]["first_message"]
        seen[body["arm"]].add(opener)
        async with session_scope(live.sessions) as session:
            row, _ = await conversations.store(session, record, caller_key=hash_key(live.settings))
            assert (row.experiment, row.arm) == ("opener", body["arm"])
            assert row.version_number == arm["version"]
    assert all(seen.values()), seen  # both arms got traffic
    assert seen["calmer"] == {OPENERS[2]}
    assert OPENERS[2] not in seen["control"]
    assert OPENERS[3] not in seen["control"]
    async with session_scope(live.sessions) as session:
        starts = (await session.scalars(select(ConversationStart))).all()
    assert {s.remote_branch_id for s in starts} == {a["remote_branch_id"] for a in arms.values()}

    stopped = await live.client.post("/api/v1/experiments/opener/stop")
    assert stopped.status_code == 200, stopped.text
    listed = await _el(live, f"/v1/convai/agents/{remote_agent}/branches", include_archived="true")
    archived = {b["name"]: b["is_archived"] for b in listed["results"]}
    assert archived["parley-opener-control"]
    assert archived["parley-opener-calmer"]
    # Outside the experiment, new calls go to main again: the newest version.
    answer = await live.client.post(
        "/api/v1/calls",
        json={"agent": SALES, "target": "elevenlabs", "to": "+12125559999", "line": line,
              "variables": VARIABLES},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["experiment"] is None


async def test_a_retried_start_takes_back_the_branch_it_made(live: Live, examples: Path) -> None:
    """A start interrupted after the branch was made (not recorded) finds it again by name."""
    await _apply_opener(live, examples, 2)
    made = await live.client.post("/api/v1/experiments", json={"yaml": EXPERIMENT})
    assert made.status_code == 201, made.text
    remote_agent = live.remote[(SALES, "elevenlabs")]
    version_1 = (await _el(live, f"/v1/convai/agents/{remote_agent}/branches"))["results"]
    main = next(b for b in version_1 if b["name"] == "Main")
    async with httpx.AsyncClient(base_url=f"{live.emulator.url}/elevenlabs") as http:
        tip = await _el(live, f"/v1/convai/agents/{remote_agent}", branch_id=main["id"])
        earlier = await http.post(
            f"/v1/convai/agents/{remote_agent}/branches",
            headers={"xi-api-key": "xi-sessions"},
            json={
                "parent_version_id": tip["version_id"],
                "name": "parley-opener-calmer",
                "description": "left by an interrupted start",
            },
        )
        earlier.raise_for_status()
    started = await live.client.post("/api/v1/experiments/opener/start")
    assert started.status_code == 200, started.text
    calmer = next(a for a in started.json()["arms"] if a["name"] == "calmer")
    assert calmer["remote_branch_id"] == earlier.json()["created_branch_id"]
    assert calmer["remote_version_id"] == earlier.json()["created_version_id"]
