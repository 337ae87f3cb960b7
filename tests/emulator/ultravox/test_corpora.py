"""Corpora: CRUD, crawl and upload sources indexed by the emulator clock, queries, queryCorpus."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from parley.emulator.state import Emulator
from parley.emulator.ultravox import lifecycle
from parley.emulator.ultravox.conversation import Conversation
from tests.emulator.ultravox import spec
from tests.emulator.ultravox.helpers import BASE, H, create_agent, start_agent_call
from tests.emulator.ultravox.tool_server import ToolServer

PAGES = {
    "/help": """<html><head><title>Help centre</title><style>p {}</style></head><body>
        <p>Refunds are paid within 14 days of the return arriving.</p>
        <p>Shipping is free for orders over 50 euros.</p>
        <a href="/help/fees">Fees</a></body></html>""",
    "/help/fees": "<html><title>Fees</title><p>The account fee is 2 euros a month.</p></html>",
}
C = f"{BASE}/api/corpora"


@pytest.fixture
def receiver() -> ToolServer:
    return ToolServer(pages=dict(PAGES))


async def ok(answer: httpx.Response, path: str, method: str, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    spec.check(answer.json(), path, method, status)
    return answer.json()


async def advance(client: httpx.AsyncClient, seconds: float) -> None:
    assert (await client.post("/_emulator/advance", json={"seconds": seconds})).status_code == 200


async def query(client: httpx.AsyncClient, corpus_id: str, text: str, **extra: Any) -> Any:
    answer = await client.post(f"{C}/{corpus_id}/query", json={"query": text, **extra}, headers=H)
    return await ok(answer, "/api/corpora/{corpus_id}/query", "post")


async def test_corpus_crud(client: httpx.AsyncClient) -> None:
    made = await ok(await client.post(C, json={"name": "kb", "description": "Help"}, headers=H),
                    "/api/corpora", "post", 201)  # fmt: skip
    assert made["stats"] == {"status": "CORPUS_STATUS_EMPTY", "numDocs": 0, "numChunks": 0,
                             "numVectors": 0}  # fmt: skip
    url = f"{C}/{made['corpusId']}"
    assert await ok(await client.get(url, headers=H), "/api/corpora/{corpus_id}", "get") == made
    patched = await client.patch(url, json={"name": "kb2"}, headers=H)
    assert (await ok(patched, "/api/corpora/{corpus_id}", "patch"))["description"] == "Help"
    put = await client.put(url, json={"name": "kb3"}, headers=H)
    assert (await ok(put, "/api/corpora/{corpus_id}", "put"))["description"] == ""
    listed = await ok(await client.get(C, headers=H), "/api/corpora", "get")
    assert [c["name"] for c in listed["results"]] == ["kb3"]
    typo = await client.post(C, json={"name": "x", "nmae": "y"}, headers=H)
    assert (typo.status_code, list(typo.json())) == (400, ["nmae"])
    assert (await client.post(C, json={}, headers=H)).status_code == 400
    assert (await client.delete(url, headers=H)).status_code == 204
    assert (await client.get(url, headers=H)).status_code == 404


async def test_crawl_source_indexes_by_the_clock(
    client: httpx.AsyncClient, receiver: ToolServer
) -> None:
    corpus = (await client.post(C, json={"name": "kb"}, headers=H)).json()
    sources = f"{C}/{corpus['corpusId']}/sources"
    crawl = {"startUrls": ["http://site.test/help"], "maxDepth": 2}
    source = await ok(await client.post(sources, json={"name": "site", "crawl": crawl}, headers=H),
                      "/api/corpora/{corpus_id}/sources", "post", 201)  # fmt: skip
    assert [r["path"] for r in receiver.requests] == ["/help", "/help/fees"]  # links followed
    assert source["stats"] == {"status": "SOURCE_STATUS_INITIALIZING", "numDocs": 0}
    assert source["crawl"] == crawl
    assert await query(client, corpus["corpusId"], "refund") == []  # not indexed yet
    one = f"{sources}/{source['sourceId']}"

    await advance(client, 60)
    one_path = "/api/corpora/{corpus_id}/sources/{source_id}"
    ready = await ok(await client.get(one, headers=H), one_path, "get")
    assert ready["stats"]["status"] == "SOURCE_STATUS_READY"
    assert ready["stats"]["numDocs"] == 2
    stats = (await client.get(f"{C}/{corpus['corpusId']}", headers=H)).json()["stats"]
    assert (stats["status"], stats["numDocs"], stats["numChunks"]) == ("CORPUS_STATUS_READY", 2, 4)
    docs = await ok(await client.get(f"{one}/documents", headers=H),
                    "/api/corpora/{corpus_id}/sources/{source_id}/documents", "get")  # fmt: skip
    assert {d["metadata"]["title"] for d in docs["results"]} == {"Help centre", "Fees"}
    doc = docs["results"][0]
    doc_path = one_path + "/documents/{document_id}"
    await ok(await client.get(f"{one}/documents/{doc['documentId']}", headers=H), doc_path, "get")

    found = await query(client, corpus["corpusId"], "How long do refunds take?")
    assert found[0]["content"] == "Refunds are paid within 14 days of the return arriving."
    assert found[0]["citation"]["publicUrl"] == "http://site.test/help"
    assert found[0]["citation"]["title"] == "Help centre"
    assert found == await query(client, corpus["corpusId"], "How long do refunds take?")
    assert len(await query(client, corpus["corpusId"], "euros", maxResults=1)) == 1

    # Re-crawling: UPDATING, old contents keep answering until the new ones are ready.
    receiver.pages["/help"] = "<p>Refunds now take 30 days.</p>"
    patched = await client.patch(one, json={"crawl": {"startUrls": ["http://site.test/help"]}},
                                 headers=H)  # fmt: skip
    assert (await ok(patched, one_path, "patch"))["stats"]["status"] == "SOURCE_STATUS_UPDATING"
    stats = (await client.get(f"{C}/{corpus['corpusId']}", headers=H)).json()["stats"]
    assert stats["status"] == "CORPUS_STATUS_UPDATING"
    assert "14 days" in (await query(client, corpus["corpusId"], "refunds"))[0]["content"]
    await advance(client, 60)
    assert (await query(client, corpus["corpusId"], "refunds"))[0]["content"] == (
        "Refunds now take 30 days."
    )
    assert await query(client, corpus["corpusId"], "account fee") == []  # maxDepth 1 now
    assert (await client.delete(one, headers=H)).status_code == 204
    stats = (await client.get(f"{C}/{corpus['corpusId']}", headers=H)).json()["stats"]
    assert stats["status"] == "CORPUS_STATUS_EMPTY"


async def test_upload_and_advanced_sources(client: httpx.AsyncClient) -> None:
    corpus = (await client.post(C, json={"name": "kb"}, headers=H)).json()
    base = f"{C}/{corpus['corpusId']}"

    async def upload(text: str) -> str:
        file = {"mimeType": "text/plain", "fileName": "faq.txt"}
        answer = await client.post(f"{base}/uploads", json=file, headers=H)
        made = await ok(answer, "/api/corpora/{corpus_id}/uploads", "post", 201)
        assert made["presignedUrl"].startswith("http://emulator.test/ultravox/storage/uploads/")
        assert (await client.put(made["presignedUrl"], content=text.encode())).status_code == 200
        tampered = made["presignedUrl"].replace("signature=", "signature=0")
        assert (await client.put(tampered, content=b"x")).status_code == 403
        document_id: str = made["documentId"]
        return document_id

    faq = await upload("Our office opens at 9am.\n\nParking is behind the building.")
    plain = await client.post(f"{base}/sources", json={"upload": {"documentIds": [faq]}}, headers=H)
    source = await ok(plain, "/api/corpora/{corpus_id}/sources", "post", 201)
    assert source["upload"] == {"documentIds": [faq]}
    price = await upload("The premium plan costs 20 euros.")
    advanced = {"documents": [{"documentId": price, "exampleQueries": ["how much is premium"]}]}
    await client.post(f"{base}/sources", json={"advanced": advanced}, headers=H)
    await advance(client, 15)
    assert (await query(client, corpus["corpusId"], "where is parking"))[0]["content"] == (
        "Parking is behind the building."
    )
    whole = await query(client, corpus["corpusId"], "How much is premium?")
    assert whole[0] == {"content": "The premium plan costs 20 euros.", "score": 1.0,
                        "citation": {"sourceId": whole[0]["citation"]["sourceId"],
                                     "documentId": price, "title": "faq.txt"}}  # fmt: skip

    async def refused(body: dict[str, Any]) -> dict[str, Any]:
        answer = await client.post(f"{base}/sources", json=body, headers=H)
        assert answer.status_code == 400, answer.text
        result: dict[str, Any] = answer.json()
        return result

    both = {"upload": {"documentIds": [faq]}, "crawl": {"startUrls": ["http://a.test"]}}
    assert "non_field_errors" in await refused(both)
    assert "upload.documentIds" in await refused({"upload": {"documentIds": ["nope"]}})
    assert "crawl.startUrls" in await refused({"crawl": {"startUrls": ["ftp://x"]}})


async def test_query_corpus_tool_in_a_call(
    client: httpx.AsyncClient, emu: Emulator, receiver: ToolServer
) -> None:
    corpus = (await client.post(C, json={"name": "kb"}, headers=H)).json()
    crawl = {"startUrls": ["http://site.test/help"]}
    await client.post(f"{C}/{corpus['corpusId']}/sources", json={"crawl": crawl}, headers=H)
    await advance(client, 60)
    rag = {"toolName": "queryCorpus", "parameterOverrides": {"corpus_id": corpus["corpusId"]}}
    agent = await create_agent(client, selectedTools=[rag])
    call = await start_agent_call(client, agent["agentId"])
    record = emu.state("ultravox").calls[call["callId"]]
    lifecycle.join(emu, record, "test")
    talk = Conversation(emu, record)
    await talk.user_text('use tool queryCorpus {"query": "is shipping free", "max_results": 1}')
    page = (await client.get(f"{BASE}/api/calls/{call['callId']}/messages", headers=H)).json()
    spec.check(page, "/api/calls/{call_id}/messages", "get", 200)
    tool_call, result = page["results"][-3:-1]
    assert json.loads(tool_call["text"]) == {"query": "is shipping free", "max_results": 1}
    assert result["role"] == "MESSAGE_ROLE_TOOL_RESULT"
    assert result["text"] == "Shipping is free for orders over 50 euros."
    assert "errorDetails" not in result

    await client.delete(f"{C}/{corpus['corpusId']}", headers=H)
    await talk.user_text('use tool queryCorpus {"query": "shipping"}')
    result = (await client.get(f"{BASE}/api/calls/{call['callId']}/messages", headers=H)).json()[
        "results"
    ][-2]
    assert "does not exist" in result["errorDetails"]
