"""`/api/v1/agents` end to end over the real app, on both databases."""

from __future__ import annotations

from pathlib import Path

from tests.agents.specs import MINIMAL, WITH_VARIABLES
from tests.api_client import api_client


async def test_apply_list_get_versions_diff_rollback_archive_export(
    db_url: str, tmp_path: Path
) -> None:
    async with api_client(db_url, tmp_path) as client:
        applied = await client.post(
            "/api/v1/agents/apply",
            json={"specs": [{"yaml": WITH_VARIABLES}, {"yaml": MINIMAL.replace("greeter", "b")}]},
        )
        assert applied.status_code == 200, applied.text
        assert [(i["name"], i["action"]) for i in applied.json()["items"]] == [
            ("greeter", "create"),
            ("b", "create"),
        ]
        edited = WITH_VARIABLES.replace("Acme", "Globex")
        plan = await client.post("/api/v1/agents/plan", json={"specs": [{"yaml": edited}]})
        assert plan.json()[0]["action"] == "update"
        assert plan.json()[0]["changes"][0]["path"] == "variables.company.default"
        created = await client.post(
            "/api/v1/agents/greeter/versions", json={"yaml": edited, "message": "rename"}
        )
        assert (created.json()["action"], created.json()["version"]) == ("update", 2)

        listed = await client.get("/api/v1/agents", params={"tag": "support", "limit": 1})
        assert [a["name"] for a in listed.json()["items"]] == ["greeter"]
        page = await client.get("/api/v1/agents", params={"limit": 1})
        assert page.json()["next_cursor"]
        rest = await client.get("/api/v1/agents", params={"cursor": page.json()["next_cursor"]})
        assert [a["name"] for a in rest.json()["items"]] == ["greeter"]
        by_meta = await client.get("/api/v1/agents", params={"meta": "owner=team-a"})
        assert [a["name"] for a in by_meta.json()["items"]] == ["greeter"]

        detail = (await client.get("/api/v1/agents/greeter")).json()
        assert detail["current_version"] == 2
        assert detail["spec"]["variables"]["company"]["default"] == "Globex"
        versions = (await client.get("/api/v1/agents/greeter/versions")).json()["items"]
        assert [(v["number"], v["current"], v["author"]) for v in versions] == [
            (2, True, "token:tests"),
            (1, False, "token:tests"),
        ]
        v1 = (await client.get("/api/v1/agents/greeter/versions/1")).json()
        assert v1["spec"]["variables"]["company"]["default"] == "Acme"
        diff = (await client.get("/api/v1/agents/greeter/diff?from=1&to=2")).json()
        assert [(c["path"], c["old"], c["new"]) for c in diff["changes"]] == [
            ("variables.company.default", "Acme", "Globex")
        ]

        rolled = await client.post("/api/v1/agents/greeter/rollback", json={"version": 1})
        assert (rolled.json()["action"], rolled.json()["version"]) == ("update", 3)
        exported = await client.get("/api/v1/agents/greeter/export")
        assert exported.headers["content-type"].startswith("application/yaml")
        assert "default: Acme" in exported.text
        old = await client.get("/api/v1/agents/greeter/export", params={"version": 2})
        assert "default: Globex" in old.text

        archived = await client.post("/api/v1/agents/b/archive")
        assert archived.json()["archived"] is True
        names = [a["name"] for a in (await client.get("/api/v1/agents")).json()["items"]]
        assert names == ["greeter"]
        everything = await client.get("/api/v1/agents", params={"archived": True})
        assert len(everything.json()["items"]) == 2


async def test_invalid_specs_list_every_problem(db_url: str, tmp_path: Path) -> None:
    async with api_client(db_url, tmp_path) as client:
        bad = MINIMAL + "frist_message: hi\nvoice: {id: v, stability: 9}\n"
        answer = await client.post(
            "/api/v1/agents/apply", json={"specs": [{"yaml": bad}, {"spec": {"name": "x"}}]}
        )
        assert answer.status_code == 422
        error = answer.json()["error"]
        assert error["code"] == "spec_invalid"
        problems = error["details"]["problems"]
        assert {(p["file"], p["path"]) for p in problems} >= {
            ("specs[0]", "frist_message"),
            ("specs[0]", "voice.stability"),
            ("specs[1]", ""),
        }
        assert next(p for p in problems if p["path"] == "frist_message")["line"] == 5
        # Nothing was applied: the request is all or nothing.
        assert (await client.get("/api/v1/agents")).json()["items"] == []


async def test_spec_input_shape_and_name_mismatch(db_url: str, tmp_path: Path) -> None:
    async with api_client(db_url, tmp_path) as client:
        both = await client.post("/api/v1/agents/plan", json={"specs": [{}]})
        assert both.status_code == 422
        assert "exactly one of" in both.json()["error"]["message"]
        wrong = await client.post("/api/v1/agents/other/versions", json={"yaml": MINIMAL})
        assert wrong.status_code == 422
        assert "named 'greeter', not 'other'" in wrong.json()["error"]["message"]
        twice = await client.post(
            "/api/v1/agents/apply", json={"specs": [{"yaml": MINIMAL}, {"yaml": MINIMAL}]}
        )
        assert "given twice: greeter" in twice.json()["error"]["details"]["problems"][0]["message"]


async def test_schema_endpoint(db_url: str, tmp_path: Path) -> None:
    async with api_client(db_url, tmp_path) as client:
        schema = (await client.get("/api/v1/schemas/agent-spec")).json()
    assert schema["title"] == "Parley agent spec"
