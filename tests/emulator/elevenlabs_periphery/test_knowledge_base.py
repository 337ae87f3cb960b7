"""Knowledge base through the official SDK: documents from text, URL and file, list filters and
cursors, get/update/content/delete, dependent agents, and RAG indexes built on the emulator
clock."""

from __future__ import annotations

import httpx
import pytest
from elevenlabs import (
    AddKnowledgeBaseResponseModel,
    GetKnowledgeBaseDependentAgentsResponseModel,
    GetKnowledgeBaseListResponseModel,
    RagDocumentIndexesResponseModel,
    RagDocumentIndexResponseModel,
    RagIndexOverviewResponseModel,
)
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.conversational_ai.knowledge_base.documents.types import (
    DocumentsGetResponse,
    DocumentsUpdateResponse,
)
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError

from tests.emulator.conftest import EL_KEY
from tests.emulator.elevenlabs_periphery.conftest import Wire


async def test_documents_from_text_url_and_file(sdk: AsyncElevenLabs, wire: Wire) -> None:
    docs = sdk.conversational_ai.knowledge_base.documents
    text = await docs.create_from_text(text="Opening hours: 9 to 5.\nClosed on Sundays.")
    wire.conforms(AddKnowledgeBaseResponseModel)
    assert text.name == "Opening hours: 9 to 5."
    url = await docs.create_from_url(url="https://example.com/faq", name="FAQ")
    upload = await docs.create_from_file(file=("prices.txt", b"Basic: 10 EUR", "text/plain"))
    wire.conforms(AddKnowledgeBaseResponseModel)
    assert upload.name == "prices.txt"

    got_text = await docs.get(text.id)
    wire.conforms(DocumentsGetResponse)
    assert got_text.type == "text"
    assert got_text.extracted_inner_html.startswith("Opening hours")
    assert got_text.metadata.size_bytes == len(b"Opening hours: 9 to 5.\nClosed on Sundays.")
    got_url = await docs.get(url.id)
    assert (got_url.type, got_url.url, got_url.name) == ("url", "https://example.com/faq", "FAQ")
    got_file = await docs.get(upload.id)
    wire.conforms(DocumentsGetResponse)
    assert (got_file.type, got_file.filename) == ("file", "prices.txt")
    assert await docs.get_content(upload.id) == "Basic: 10 EUR"

    renamed = await docs.update(text.id, name="Hours")
    wire.conforms(DocumentsUpdateResponse)
    assert renamed.name == "Hours"

    await docs.delete(url.id)
    with pytest.raises(ApiError) as gone:
        await docs.get(url.id)
    assert gone.value.status_code == 404
    assert gone.value.body["detail"]["status"] == "document_not_found"


async def test_list_filters_and_pages(sdk: AsyncElevenLabs, wire: Wire) -> None:
    docs = sdk.conversational_ai.knowledge_base.documents
    for name in ("Returns", "Refunds", "Shipping"):
        await docs.create_from_text(text=f"{name} policy.", name=name)
    await docs.create_from_url(url="https://example.com/terms", name="Terms")

    kb = sdk.conversational_ai.knowledge_base
    first = await kb.list(page_size=2, sort_by="name", sort_direction="asc")
    wire.conforms(GetKnowledgeBaseListResponseModel)
    assert [d.name for d in first.documents] == ["Refunds", "Returns"]
    assert first.has_more
    rest = await kb.list(
        page_size=2, sort_by="name", sort_direction="asc", cursor=first.next_cursor
    )
    assert [d.name for d in rest.documents] == ["Shipping", "Terms"]
    assert not rest.has_more
    assert [d.name for d in (await kb.list(types=["url"])).documents] == ["Terms"]
    assert sorted(d.name for d in (await kb.list(search="re")).documents) == ["Refunds", "Returns"]
    item = (await kb.list(types=["url"])).documents[0]
    assert item.type == "url"
    assert item.supported_usages == ["prompt", "auto"]


async def test_a_document_in_use_needs_force(
    sdk: AsyncElevenLabs, wire: Wire, agent_id: str
) -> None:
    docs = sdk.conversational_ai.knowledge_base.documents
    doc = await docs.create_from_text(text="Policy.", name="Policy")
    await sdk.conversational_ai.agents.update(
        agent_id,
        conversation_config={
            "agent": {
                "prompt": {"knowledge_base": [{"type": "text", "name": "Policy", "id": doc.id}]}
            }
        },
    )
    users = await docs.get_agents(doc.id)
    wire.conforms(GetKnowledgeBaseDependentAgentsResponseModel)
    assert [a.id for a in users.agents] == [agent_id]
    listed = await sdk.conversational_ai.knowledge_base.list()
    assert [a.id for a in listed.documents[0].dependent_agents] == [agent_id]
    with pytest.raises(ApiError) as refused:
        await docs.delete(doc.id)
    assert refused.value.status_code == 400
    await docs.delete(doc.id, force=True)


async def test_rag_index_moves_new_processing_succeeded_with_the_clock(
    sdk: AsyncElevenLabs, wire: Wire, client: httpx.AsyncClient
) -> None:
    docs = sdk.conversational_ai.knowledge_base.documents
    doc = await docs.create_from_text(text="x" * 2500, name="Long")
    document = sdk.conversational_ai.knowledge_base.document

    started = await document.compute_rag_index(doc.id, model="e5_mistral_7b_instruct")
    wire.conforms(RagDocumentIndexResponseModel)
    assert (started.status, started.progress_percentage) == ("new", 0.0)
    again = await document.compute_rag_index(doc.id, model="e5_mistral_7b_instruct")
    assert again.id == started.id
    assert again.status == "processing"
    listed = await sdk.conversational_ai.get_document_rag_indexes(doc.id)
    wire.conforms(RagDocumentIndexesResponseModel)
    assert [i.status for i in listed.indexes] == ["processing"]
    assert listed.indexes[0].document_model_index_usage.used_bytes == 0

    await client.post("/_emulator/advance", json={"seconds": 2})
    done = await sdk.conversational_ai.get_document_rag_indexes(doc.id)
    index = done.indexes[0]
    assert (index.status, index.progress_percentage) == ("succeeded", 100.0)
    assert index.document_model_index_usage.used_bytes == 3 * 4096 * 4  # 3 chunks of float32

    overview = await sdk.conversational_ai.rag_index_overview()
    wire.conforms(RagIndexOverviewResponseModel)
    assert overview.total_used_bytes == 3 * 4096 * 4
    batch = await sdk.conversational_ai.knowledge_base.get_or_create_rag_indexes(
        items=[
            {"document_id": doc.id, "create_if_missing": False, "model": "e5_mistral_7b_instruct"},
            {"document_id": "nope", "create_if_missing": True, "model": "e5_mistral_7b_instruct"},
        ]
    )
    assert batch[doc.id].status == "success"
    assert batch["nope"].status == "failure"

    deleted = await sdk.conversational_ai.delete_document_rag_index(doc.id, index.id)
    assert deleted.id == index.id
    assert (await sdk.conversational_ai.get_document_rag_indexes(doc.id)).indexes == []


async def test_errors_come_in_elevenlabs_shapes(
    sdk: AsyncElevenLabs, client: httpx.AsyncClient
) -> None:
    docs = sdk.conversational_ai.knowledge_base.documents
    with pytest.raises(UnprocessableEntityError) as bad_url:
        await docs.create_from_url(url="ftp://example.com/file")
    assert bad_url.value.body["detail"][0]["loc"] == ["body", "url"]
    with pytest.raises(UnprocessableEntityError):
        await sdk.conversational_ai.knowledge_base.document.compute_rag_index(
            "whatever",
            model="not-a-model",  # type: ignore[arg-type]
        )
    with pytest.raises(ApiError) as missing:
        await sdk.conversational_ai.knowledge_base.document.compute_rag_index(
            "missing", model="e5_mistral_7b_instruct"
        )
    assert missing.value.status_code == 404
    no_file = await client.post(
        "/elevenlabs/v1/convai/knowledge-base/file",
        headers={"xi-api-key": EL_KEY},
        files={"name": (None, b"no file here")},
    )
    assert no_file.status_code == 422
    assert no_file.json()["detail"][0]["loc"] == ["body", "file"]
    unauthorised = await client.get("/elevenlabs/v1/convai/knowledge-base")
    assert unauthorised.status_code == 401
