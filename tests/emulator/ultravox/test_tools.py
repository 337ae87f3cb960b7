"""Durable tools: CRUD as the spec has it, built-ins, and `selectedTools` resolving to them."""

from __future__ import annotations

from typing import Any

import httpx

from parley.emulator.state import Emulator
from tests.emulator.ultravox import spec
from tests.emulator.ultravox.helpers import BASE, H, create_agent, start_agent_call

LOOKUP = {
    "description": "Look up an order.",
    "dynamicParameters": [
        {"name": "order_id", "location": "PARAMETER_LOCATION_PATH",
         "schema": {"type": "string"}, "required": True},
    ],
    "http": {"baseUrlPattern": "https://shop.test/orders/{order_id}", "httpMethod": "GET"},
    "timeout": "5s",
    "precomputable": True,
}  # fmt: skip


async def make_tool(
    client: httpx.AsyncClient, name: str, definition: dict[str, Any] | None = None
) -> dict[str, Any]:
    body = {"name": name, "definition": definition or LOOKUP}
    answer = await client.post(f"{BASE}/api/tools", json=body, headers=H)
    assert answer.status_code == 201, answer.text
    spec.check(answer.json(), "/api/tools", "post", 201)
    result: dict[str, Any] = answer.json()
    return result


async def test_tool_crud_round_trip(client: httpx.AsyncClient) -> None:
    tool = await make_tool(client, "lookupOrder")
    assert tool["ownership"] == "private"
    assert tool["definition"]["modelToolName"] == "lookupOrder"  # defaults to the name
    assert tool["definition"]["dynamicParameters"][0]["schema"] == {"type": "string"}
    url = f"{BASE}/api/tools/{tool['toolId']}"
    got = await client.get(url, headers=H)
    spec.check(got.json(), "/api/tools/{tool_id}", "get", 200)
    assert got.json() == tool

    replaced = await client.put(
        url, json={"name": "lookupOrder", "definition": {**LOOKUP, "timeout": "10s"}}, headers=H
    )
    assert replaced.status_code == 200, replaced.text
    spec.check(replaced.json(), "/api/tools/{tool_id}", "put", 200)
    assert replaced.json()["definition"]["timeout"] == "10s"
    assert replaced.json()["created"] == tool["created"]
    partial = await client.put(url, json={"name": "x"}, headers=H)
    assert (partial.status_code, partial.json()) == (
        400, {"definition": ["This field is required."]},
    )  # fmt: skip
    patched = await client.patch(url, json={"name": "y"}, headers=H)
    assert (patched.status_code, patched.json()) == (
        405, {"detail": 'Method "PATCH" not allowed.'},
    )  # the spec has no PATCH for tools; DRF's wording  # fmt: skip

    assert (await client.delete(url, headers=H)).status_code == 204
    missing = await client.get(url, headers=H)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})


async def test_definition_validation(client: httpx.AsyncClient) -> None:
    async def problems(name: str, definition: dict[str, Any]) -> dict[str, Any]:
        answer = await client.post(
            f"{BASE}/api/tools", json={"name": name, "definition": definition}, headers=H
        )
        assert answer.status_code == 400, answer.text
        result: dict[str, Any] = answer.json()
        return result

    assert "definition" in await problems("t", {"description": "no implementation"})
    both = {"http": LOOKUP["http"], "client": {}}
    assert "definition" in await problems("t", both)
    assert "definition.descripton" in await problems("t", {**LOOKUP, "descripton": "typo"})
    assert "definition.timeout" in await problems("t", {**LOOKUP, "timeout": "41s"})
    assert "definition.modelToolName" in await problems("t", {**LOOKUP, "modelToolName": "a b"})
    header_on_client = {
        "client": {},
        "dynamicParameters": [{"name": "h", "location": "PARAMETER_LOCATION_HEADER"}],
    }
    assert "definition" in await problems("t", header_on_client)
    assert "name" in await problems("x" * 41, LOOKUP)
    await make_tool(client, "taken")
    assert await problems("taken", LOOKUP) == {"name": ["A tool with this name already exists."]}


async def test_list_includes_public_built_ins(client: httpx.AsyncClient) -> None:
    first = await make_tool(client, "alpha")
    await client.post("/_emulator/advance", json={"seconds": 1})
    second = await make_tool(client, "beta", {"client": {}, "description": "Client side."})

    async def names(**params: Any) -> list[str]:
        page = await client.get(f"{BASE}/api/tools", params=params, headers=H)
        assert page.status_code == 200, page.text
        spec.check(page.json(), "/api/tools", "get", 200)
        return [t["name"] for t in page.json()["results"]]

    everything = await names()
    assert everything[:2] == ["beta", "alpha"]  # private first, newest first
    assert {"hangUp", "queryCorpus"} <= set(everything[2:])
    assert await names(ownership="private") == ["beta", "alpha"]
    assert "alpha" not in await names(ownership="public")
    assert await names(search="ALP") == ["alpha"]
    assert (await names(sortOrder="alphabetic"))[0] == "alpha"
    assert (await names(sortOrder="display"))[-2:] == ["beta", "alpha"]
    page = await client.get(f"{BASE}/api/tools", params={"pageSize": 1}, headers=H)
    follow = await client.get(page.json()["next"], headers=H)
    assert [t["toolId"] for t in follow.json()["results"]] == [first["toolId"]]
    assert page.json()["results"][0]["toolId"] == second["toolId"]

    hang_up = next(
        t for t in (await client.get(f"{BASE}/api/tools", headers=H)).json()["results"]
        if t["name"] == "hangUp"
    )  # fmt: skip
    assert hang_up["ownership"] == "public"
    one = await client.get(f"{BASE}/api/tools/{hang_up['toolId']}", headers=H)
    spec.check(one.json(), "/api/tools/{tool_id}", "get", 200)
    gone = await client.delete(f"{BASE}/api/tools/{hang_up['toolId']}", headers=H)
    assert gone.status_code == 404  # built-ins are not the account's to change


async def test_selected_tools_resolve_to_durable_and_built_in_tools(
    client: httpx.AsyncClient, emu: Emulator
) -> None:
    tool = await make_tool(client, "lookupOrder")
    agent = await create_agent(
        client,
        selectedTools=[
            {"toolId": tool["toolId"]},
            {"toolName": "lookupOrder", "nameOverride": "lookupAgain"},
            {"toolName": "hangUp"},
        ],
    )
    call = await start_agent_call(client, agent["agentId"])
    stored = emu.state("ultravox").calls[call["callId"]]
    assert [(t.name, t.kind) for t in stored.tools] == [
        ("lookupOrder", "http"), ("lookupAgain", "http"), ("hangUp", "builtin"),
    ]  # fmt: skip
    assert stored.tools[0].definition["http"]["httpMethod"] == "GET"

    removed = await start_agent_call(client, agent["agentId"],
                                     toolOverrides={"remove": ["lookupOrder"]})  # fmt: skip
    names = [t.name for t in emu.state("ultravox").calls[removed["callId"]].tools]
    assert names == ["lookupAgain", "hangUp"]  # removal by model name works for toolId refs

    # Editing the durable tool does not change calls already started.
    await client.put(
        f"{BASE}/api/tools/{tool['toolId']}",
        json={"name": "lookupOrder", "definition": {**LOOKUP, "http": {
            "baseUrlPattern": "https://other.test/{order_id}", "httpMethod": "GET"}}},
        headers=H,
    )  # fmt: skip
    assert stored.tools[0].definition["http"]["baseUrlPattern"].startswith("https://shop.test")

    await client.delete(f"{BASE}/api/tools/{tool['toolId']}", headers=H)
    orphaned = await client.post(f"{BASE}/api/agents/{agent['agentId']}/calls", json={}, headers=H)
    assert orphaned.status_code == 400
    assert "selectedTools" in orphaned.json()


async def test_unknown_or_unusable_tools_are_rejected(client: httpx.AsyncClient) -> None:
    async def rejected(selected: list[dict[str, Any]]) -> list[str]:
        answer = await client.post(
            f"{BASE}/api/agents", json={"callTemplate": {"selectedTools": selected}}, headers=H
        )
        assert answer.status_code == 400, answer.text
        messages: list[str] = answer.json()["callTemplate.selectedTools"]
        return messages

    unknown_id = "00000000-0000-4000-8000-00000000ffff"
    assert "does not exist" in (await rejected([{"toolId": unknown_id}]))[0]
    assert "does not exist" in (await rejected([{"toolName": "noSuchTool"}]))[0]
    assert "corpus_id" in (await rejected([{"toolName": "queryCorpus"}]))[0]
    bad_temporary = [{"temporaryTool": {"modelToolName": "x", "description": "no impl"}}]
    assert (await rejected(bad_temporary))[0].startswith("temporaryTool")
    secured = {**LOOKUP, "requirements": {"httpSecurityOptions": {"options": [
        {"requirements": {"key": {"headerApiKey": {"name": "X-Key"}}}}]}}}  # fmt: skip
    tool = await make_tool(client, "secured", secured)
    assert "authTokens" in (await rejected([{"toolId": tool["toolId"]}]))[0]
    ok = [{"toolId": tool["toolId"], "authTokens": {"key": "k"}}]
    assert (await create_agent(client, selectedTools=ok))["callTemplate"]["selectedTools"] == ok
    direct = await client.post(
        f"{BASE}/api/calls", json={"selectedTools": [{"toolName": "noSuchTool"}]}, headers=H
    )
    assert direct.status_code == 400
    assert "does not exist" in direct.json()["selectedTools"][0]
