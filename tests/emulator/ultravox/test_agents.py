"""Agents: CRUD with `callTemplate`, revisions, write-only secrets, pagination, error shapes."""

from __future__ import annotations

import httpx

from tests.emulator.ultravox import spec
from tests.emulator.ultravox.helpers import BASE, H, create_agent

TEMPLATE = {
    "systemPrompt": "You help {{customer}} with {{topic}}.",
    "voice": "Mark",
    "temperature": 0.2,
    "joinTimeout": "20s",
    "maxDuration": "600s",
    "firstSpeakerSettings": {"agent": {"text": "Hi {{customer}}!"}},
    "sharedSecrets": ["s" * 20],
}


async def test_agent_crud_round_trip(client: httpx.AsyncClient) -> None:
    agent = await create_agent(client, name="support", **TEMPLATE)
    agent_id = agent["agentId"]
    assert agent["callTemplate"]["systemPrompt"] == TEMPLATE["systemPrompt"]
    assert "sharedSecrets" not in agent["callTemplate"]  # write-only
    assert agent["statistics"] == {"calls": 0}

    got = await client.get(f"{BASE}/api/agents/{agent_id}", headers=H)
    spec.check(got.json(), "/api/agents/{agent_id}", "get", 200)
    assert got.json() == agent

    patched = await client.patch(
        f"{BASE}/api/agents/{agent_id}", json={"name": "support-v2"}, headers=H
    )
    spec.check(patched.json(), "/api/agents/{agent_id}", "patch", 200)
    assert patched.json()["name"] == "support-v2"
    assert patched.json()["callTemplate"]["voice"] == "Mark"  # untouched by a name-only PATCH
    assert patched.json()["publishedRevisionId"] != agent["publishedRevisionId"]

    new_template = {"callTemplate": {"systemPrompt": "Only this", "model": "ultravox-v0.6"}}
    replaced = await client.patch(f"{BASE}/api/agents/{agent_id}", json=new_template, headers=H)
    assert replaced.json()["callTemplate"]["systemPrompt"] == "Only this"
    assert "voice" not in replaced.json()["callTemplate"]

    deleted = await client.delete(f"{BASE}/api/agents/{agent_id}", headers=H)
    assert deleted.status_code == 204
    missing = await client.get(f"{BASE}/api/agents/{agent_id}", headers=H)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})


async def test_errors_take_drf_shapes(client: httpx.AsyncClient) -> None:
    no_key = await client.get(f"{BASE}/api/agents")
    assert no_key.status_code == 403
    assert no_key.json() == {"detail": "Authentication credentials were not provided."}
    bad_key = await client.get(f"{BASE}/api/agents", headers={"X-API-Key": "nope"})
    assert bad_key.status_code == 403
    bad = await client.post(
        f"{BASE}/api/agents",
        json={"name": "x", "callTemplate": {"temperature": 3, "joinTimeout": "20"}},
        headers=H,
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"callTemplate.temperature", "callTemplate.joinTimeout"}
    assert all(isinstance(v, list) and v for v in bad.json().values())
    typo = await client.post(
        f"{BASE}/api/agents", json={"callTemplate": {"sytemPrompt": "x"}}, headers=H
    )
    assert typo.status_code == 400
    assert "callTemplate.sytemPrompt" in typo.json()
    voice = await client.post(
        f"{BASE}/api/agents", json={"callTemplate": {"voice": "Nobody"}}, headers=H
    )
    assert voice.status_code == 400
    assert "callTemplate.voice" in voice.json()


async def test_list_paginates_with_full_uri_cursors(client: httpx.AsyncClient) -> None:
    created = [await create_agent(client, name=f"agent-{i}") for i in range(5)]
    seen: list[str] = []
    url: str | None = f"http://emulator.test{BASE}/api/agents?pageSize=2"
    pages = 0
    while url is not None:
        page = await client.get(url, headers=H)
        assert page.status_code == 200
        spec.check(page.json(), "/api/agents", "get", 200)
        assert page.json()["total"] == 5
        seen += [a["agentId"] for a in page.json()["results"]]
        url = page.json()["next"]
        if url is not None:
            assert url.startswith("http://emulator.test/ultravox/api/agents?")
            assert "pageSize=2" in url
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(a["agentId"] for a in created)
    assert seen[0] == created[-1]["agentId"]  # newest first by default
    last = await client.get(url or page.json()["previous"], headers=H)
    assert last.json()["results"]
    invalid = await client.get(f"{BASE}/api/agents?cursor=bm9wZQ%3D%3D", headers=H)
    assert (invalid.status_code, invalid.json()) == (404, {"detail": "Invalid cursor"})


async def test_search_and_sort(client: httpx.AsyncClient) -> None:
    for name in ("beta", "alpha", "gamma-sales"):
        await create_agent(client, name=name)
    found = await client.get(f"{BASE}/api/agents", params={"search": "SALES"}, headers=H)
    assert [a["name"] for a in found.json()["results"]] == ["gamma-sales"]
    by_name = await client.get(f"{BASE}/api/agents", params={"sort": "name"}, headers=H)
    assert [a["name"] for a in by_name.json()["results"]] == ["alpha", "beta", "gamma-sales"]


async def test_voices_and_models(client: httpx.AsyncClient) -> None:
    seeded = await client.post(
        "/_emulator/seed",
        json={
            "fixtures": {"ultravox": {"voices": [{"name": "Clone-1", "primary_language": "de"}]}}
        },
    )
    assert seeded.status_code == 200
    voices = await client.get(f"{BASE}/api/voices", headers=H)
    spec.check(voices.json(), "/api/voices", "get", 200)
    names = [v["name"] for v in voices.json()["results"]]
    assert {"Mark", "Clone-1"} <= set(names)
    private = await client.get(f"{BASE}/api/voices", params={"ownership": "private"}, headers=H)
    assert [v["name"] for v in private.json()["results"]] == ["Clone-1"]
    german = await client.get(f"{BASE}/api/voices", params={"primaryLanguage": "de"}, headers=H)
    assert {v["primaryLanguage"] for v in german.json()["results"]} == {"de"}
    one = await client.get(f"{BASE}/api/voices/{voices.json()['results'][0]['voiceId']}", headers=H)
    spec.check(one.json(), "/api/voices/{voice_id}", "get", 200)
    models = await client.get(f"{BASE}/api/models", headers=H)
    spec.check(models.json(), "/api/models", "get", 200)
    assert "ultravox-v0.7" in [m["name"] for m in models.json()["results"]]
    agent = await create_agent(client, voice="Clone-1")  # seeded voices are usable
    assert agent["callTemplate"]["voice"] == "Clone-1"
