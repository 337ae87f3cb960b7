"""`/api/v1/experiments` over the real app on both databases: the lifecycle, errors, status."""

from __future__ import annotations

from pathlib import Path

from parley.db.engine import create_engine, session_factory, session_scope
from tests.api_client import api_client
from tests.experiments.fixtures import agent_with_versions, conversation, spec

YAML = """\
name: opener
agent: sales
metric: data.meeting_booked
arms:
  - {name: control, version: 1}
  - {name: warmer, version: 2}
guardrails:
  - {metric: duration, margin: 30}
maturity_minutes: 0
promotion: recommend
"""


async def _seed(db_url: str, *, outcomes: bool) -> None:
    engine = create_engine(db_url)
    try:
        async with session_scope(session_factory(engine)) as session:
            if not outcomes:
                await agent_with_versions(session)
                return
            for arm, rate in (("control", 0.2), ("warmer", 0.7)):
                for i in range(150):
                    await conversation(session, f"{arm}{i}", arm, booked=i < rate * 150)
    finally:
        await engine.dispose()


async def test_experiments_api(db_url: str, tmp_path: Path) -> None:
    await _seed(db_url, outcomes=False)
    async with api_client(db_url, tmp_path) as client:
        bad = await client.post(
            "/api/v1/experiments", json={"yaml": YAML.replace("version: 2", "version: two")}
        )
        assert bad.status_code == 422
        problem = bad.json()["error"]["details"]["problems"][0]
        assert (problem["line"], problem["path"]) == (6, "arms[1].version")
        both = await client.post("/api/v1/experiments", json={"yaml": YAML, "spec": spec()})
        assert both.status_code == 422

        created = await client.post("/api/v1/experiments", json={"yaml": YAML})
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "draft"
        again = await client.post("/api/v1/experiments", json={"spec": spec()})
        assert again.status_code == 409

        started = await client.post("/api/v1/experiments/opener/start")
        assert started.json()["status"] == "running"
        weights = await client.put(
            "/api/v1/experiments/opener/weights", json={"control": 1, "warmer": 3}
        )
        assert [a["weight"] for a in weights.json()["arms"]] == [1, 3]
        unknown = await client.put("/api/v1/experiments/opener/weights", json={"nope": 1})
        assert unknown.status_code == 422
        listed = await client.get("/api/v1/experiments", params={"agent": "sales"})
        assert [e["name"] for e in listed.json()] == ["opener"]
        assert (await client.get("/api/v1/experiments/nope")).status_code == 404

        await _seed(db_url, outcomes=True)
        report = (await client.get("/api/v1/experiments/opener/status")).json()
        assert report["decision"] == "winner"
        assert report["winner"] == "warmer"
        assert [row["n"] for row in report["primary"]["arms"]] == [150, 150]
        evaluated = await client.post("/api/v1/experiments/opener/evaluate")
        assert evaluated.status_code == 200
        shown = (await client.get("/api/v1/experiments/opener")).json()
        assert (shown["status"], shown["winner"]) == ("running", "warmer")  # recommend only
        promoted = await client.post("/api/v1/experiments/opener/promote", json={})
        assert promoted.status_code == 200, promoted.text
        assert promoted.json()["status"] == "promoted"
        assert (await client.post("/api/v1/experiments/opener/start")).status_code == 409

        power = await client.get(
            "/api/v1/experiments/power", params={"baseline": 0.3, "lift": 0.2, "per_day": 200}
        )
        assert power.status_code == 200
        body = power.json()
        assert body["days_to_80_percent_fixed"] <= body["days_to_80_percent_sequential"]
        refused = await client.get(
            "/api/v1/experiments/power", params={"baseline": 3, "lift": 0.2, "per_day": 200}
        )
        assert refused.status_code == 422


def test_the_example_experiment_is_valid() -> None:
    from pathlib import Path

    from parley.experiments.spec import check

    path = Path(__file__).resolve().parents[2] / "examples" / "experiments" / "calmer-opener.yaml"
    spec = check(yaml_text=path.read_text(encoding="utf-8"), source=str(path))
    assert [(a.name, a.version) for a in spec.arms] == [("control", 1), ("calmer", 2)]
