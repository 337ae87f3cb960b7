"""RAG indexes of knowledge-base documents, built on the emulator clock.

An index is requested with `POST .../{documentation_id}/rag-index {model}`. The answer that
creates it says `new`; from then on it reads `processing` (progress growing with emulated time)
until `BUILD_SECONDS` have passed, then `succeeded`. The status is computed from the clock on
every read, so nothing needs a tick and `/_emulator/advance` finishes a build at once. Usage in
bytes is what the embeddings would take: one vector per 1,000-byte chunk.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.errors import not_found
from parley.emulator.elevenlabs.knowledge_base import KnowledgeDocument, RagIndex, get_document
from parley.emulator.elevenlabs.periphery import el_state, short_id
from parley.emulator.elevenlabs.shapes import emulator

router = APIRouter(prefix="/v1/convai/knowledge-base", dependencies=[Depends(require_api_key)])

BUILD_SECONDS = 2.0
CHUNK_BYTES = 1000
DIMENSIONS = {"e5_mistral_7b_instruct": 4096, "multilingual_e5_large_instruct": 1024}
MAX_BYTES = 1024**3
EmbeddingModel = Literal["e5_mistral_7b_instruct", "multilingual_e5_large_instruct"]


class RagIndexRequest(BaseModel):
    model: EmbeddingModel


class BatchItem(BaseModel):
    document_id: str
    create_if_missing: bool
    model: EmbeddingModel


class BatchRequest(BaseModel):
    items: list[BatchItem] = Field(min_length=1, max_length=100)


def used_bytes(document: KnowledgeDocument, model: str) -> int:
    chunks = max(1, math.ceil(document.size_bytes / CHUNK_BYTES))
    return chunks * DIMENSIONS.get(model, 1024) * 4  # float32 vectors


def view(
    document: KnowledgeDocument, index: RagIndex, now: float, *, just_created: bool = False
) -> dict[str, Any]:
    """RagDocumentIndexResponseModel, with the status the clock says."""
    elapsed = now - index.created_at
    if just_created:
        status, progress = "new", 0.0
    elif elapsed < BUILD_SECONDS:
        status, progress = "processing", round(min(99.0, 100 * elapsed / BUILD_SECONDS), 1)
    else:
        status, progress = "succeeded", 100.0
    done = status == "succeeded"
    return {
        "id": index.id,
        "model": index.model,
        "status": status,
        "progress_percentage": progress,
        "document_model_index_usage": {
            "used_bytes": used_bytes(document, index.model) if done else 0
        },
    }


def compute(request: Request, document: KnowledgeDocument, model: str) -> dict[str, Any]:
    """Start indexing if there is no index for `model` yet, otherwise report the existing one."""
    emu = emulator(request)
    now = emu.clock.now()
    index = document.rag_indexes.get(model)
    if index is None:
        index = RagIndex(id=short_id(emu), model=model, created_at=now)
        document.rag_indexes[model] = index
        return view(document, index, now, just_created=True)
    return view(document, index, now)


@router.get("/rag-index")
async def rag_index_overview(request: Request) -> dict[str, Any]:
    now = emulator(request).clock.now()
    totals = dict.fromkeys(DIMENSIONS, 0)
    for document in el_state(request).knowledge_base.values():
        for index in document.rag_indexes.values():
            totals[index.model] += view(document, index, now)["document_model_index_usage"][
                "used_bytes"
            ]
    return {
        "total_used_bytes": sum(totals.values()),
        "total_max_bytes": MAX_BYTES,
        "models": [{"model": m, "used_bytes": b} for m, b in totals.items()],
    }


@router.post("/rag-index")
async def get_or_create_rag_indexes(body: BatchRequest, request: Request) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    state = el_state(request)
    now = emulator(request).clock.now()
    for item in body.items:
        document = state.knowledge_base.get(item.document_id)
        if document is None:
            answers[item.document_id] = _failure(404, "document_not_found", item.document_id)
        elif item.create_if_missing:
            answers[item.document_id] = {
                "status": "success",
                "data": compute(request, document, item.model),
            }
        elif item.model in document.rag_indexes:
            index = document.rag_indexes[item.model]
            answers[item.document_id] = {"status": "success", "data": view(document, index, now)}
        else:
            answers[item.document_id] = _failure(404, "rag_index_not_found", item.document_id)
    return answers


def _failure(code: int, status: str, document_id: str) -> dict[str, Any]:
    return {
        "status": "failure",
        "error_code": code,
        "error_status": status,
        "error_message": f"{status.replace('_', ' ')}: {document_id}",
    }


@router.post("/{documentation_id}/rag-index")
async def compute_rag_index(
    documentation_id: str, body: RagIndexRequest, request: Request
) -> dict[str, Any]:
    return compute(request, get_document(request, documentation_id), body.model)


@router.get("/{documentation_id}/rag-index")
async def document_rag_indexes(documentation_id: str, request: Request) -> dict[str, Any]:
    document = get_document(request, documentation_id)
    now = emulator(request).clock.now()
    return {"indexes": [view(document, i, now) for i in document.rag_indexes.values()]}


@router.delete("/{documentation_id}/rag-index/{rag_index_id}")
async def delete_rag_index(
    documentation_id: str, rag_index_id: str, request: Request
) -> dict[str, Any]:
    document = get_document(request, documentation_id)
    for model, index in document.rag_indexes.items():
        if index.id == rag_index_id:
            answer = view(document, index, emulator(request).clock.now())
            del document.rag_indexes[model]
            return answer
    raise not_found("rag_index", rag_index_id)
