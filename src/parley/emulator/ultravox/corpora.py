"""`/api/corpora`: corpora, their sources and documents, file uploads, and queries.

A crawl source fetches its `startUrls` for real through the emulator's outgoing HTTP client
when it is created (or its spec changes); upload and advanced sources attach files put to a
presigned URL (`corpus_uploads.py`). Either way the contents become queryable only after the
indexing delay, by the emulator clock (`corpus_index.py`). Lists are DRF cursor pages, oldest
first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request, Response

from parley.emulator.ultravox import corpus_index as index
from parley.emulator.ultravox.auth import require_api_key
from parley.emulator.ultravox.corpus_schemas import CorpusIn, QueryIn, SourceIn
from parley.emulator.ultravox.errors import UltravoxError
from parley.emulator.ultravox.pagination import paginate
from parley.emulator.ultravox.state import CorpusRecord, DocumentRecord, SourceRecord, UltravoxState
from parley.emulator.ultravox.wire import iso

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

router = APIRouter(prefix="/api/corpora", dependencies=[Depends(require_api_key)])
SPEC_FIELDS = {"crawl", "upload", "advanced", "loadSpec"}
MAX_QUERY_RESULTS = 20


def _emu(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emu
    return emu


def _state(emu: Emulator) -> UltravoxState:
    value: UltravoxState = emu.state("ultravox")
    return value


def _corpus(emu: Emulator, corpus_id: str) -> CorpusRecord:
    corpus = _state(emu).corpora.get(corpus_id)
    if corpus is None:
        raise UltravoxError(404, "Not found.")
    return corpus


def _source(emu: Emulator, corpus_id: str, source_id: str) -> SourceRecord:
    source = _state(emu).sources.get(source_id)
    if source is None or source.corpus_id != _corpus(emu, corpus_id).corpus_id:
        raise UltravoxError(404, "Not found.")
    return source


def corpus_view(emu: Emulator, corpus: CorpusRecord) -> dict[str, Any]:
    return {
        "corpusId": corpus.corpus_id,
        "created": iso(corpus.created),
        "name": corpus.name,
        "description": corpus.description,
        "stats": index.corpus_stats(_state(emu), corpus.corpus_id, emu.clock.now()),
    }


def source_view(emu: Emulator, source: SourceRecord) -> dict[str, Any]:
    return {
        "corpusId": source.corpus_id,
        "sourceId": source.source_id,
        "created": iso(source.created),
        "name": source.name,
        "description": source.description,
        "stats": index.source_stats(_state(emu), source, emu.clock.now()),
        **source.spec,
    }


def document_view(doc: DocumentRecord) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if doc.public_url:
        metadata["publicUrl"] = doc.public_url
    if doc.title:
        metadata["title"] = doc.title
    if doc.example_queries:
        metadata["exampleQueries"] = list(doc.example_queries)
    return {
        "corpusId": doc.corpus_id,
        "sourceId": doc.source_id,
        "documentId": doc.document_id,
        "created": iso(doc.created),
        "mimeType": doc.mime_type,
        "metadata": metadata,
        "sizeBytes": str(len(doc.text.encode())),  # int64 travels as a string in proto JSON
    }


# --- corpora ---------------------------------------------------------------------------------


@router.get("")
async def list_corpora(request: Request) -> dict[str, Any]:
    emu = _emu(request)
    items = sorted(_state(emu).corpora.values(), key=lambda c: (c.created, c.corpus_id))
    return paginate(request, items, lambda c: corpus_view(emu, c))


@router.post("", status_code=201)
async def create_corpus(body: CorpusIn, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    if not body.name:
        raise UltravoxError(400, {"name": ["This field is required."]})
    corpus = CorpusRecord(corpus_id=emu.ids.uuid(), created=emu.clock.now(), name=body.name,
                          description=body.description or "")  # fmt: skip
    _state(emu).corpora[corpus.corpus_id] = corpus
    return corpus_view(emu, corpus)


@router.get("/{corpus_id}")
async def get_corpus(corpus_id: str, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    return corpus_view(emu, _corpus(emu, corpus_id))


@router.api_route("/{corpus_id}", methods=["PUT", "PATCH"])
async def update_corpus(corpus_id: str, body: CorpusIn, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    corpus = _corpus(emu, corpus_id)
    replace = request.method == "PUT"
    if replace and not body.name:
        raise UltravoxError(400, {"name": ["This field is required."]})
    if body.name is not None:
        corpus.name = body.name
    if replace or body.description is not None:
        corpus.description = body.description or ""
    return corpus_view(emu, corpus)


@router.delete("/{corpus_id}", status_code=204)
async def delete_corpus(corpus_id: str, request: Request) -> Response:
    emu = _emu(request)
    state = _state(emu)
    del state.corpora[_corpus(emu, corpus_id).corpus_id]
    state.sources = {k: s for k, s in state.sources.items() if s.corpus_id != corpus_id}
    state.documents = {k: d for k, d in state.documents.items() if d.corpus_id != corpus_id}
    return Response(status_code=204)


@router.post("/{corpus_id}/query")
async def query_corpus(corpus_id: str, body: QueryIn, request: Request) -> list[dict[str, Any]]:
    emu = _emu(request)
    _corpus(emu, corpus_id)
    if not body.query:
        raise UltravoxError(400, {"query": ["This field is required."]})
    limit = min(MAX_QUERY_RESULTS, max(1, body.maxResults or 5))
    return index.query(_state(emu), corpus_id, body.query, emu.clock.now(), limit)


# --- sources and documents -------------------------------------------------------------------


@router.get("/{corpus_id}/sources")
async def list_sources(corpus_id: str, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    _corpus(emu, corpus_id)
    items = [s for s in _state(emu).sources.values() if s.corpus_id == corpus_id]
    items.sort(key=lambda s: (s.created, s.source_id))
    return paginate(request, items, lambda s: source_view(emu, s))


@router.post("/{corpus_id}/sources", status_code=201)
async def create_source(corpus_id: str, body: SourceIn, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    _corpus(emu, corpus_id)
    spec = body.spec()
    if spec is None:
        raise UltravoxError(400, {"non_field_errors": [_ONE_SPEC]})
    now = emu.clock.now()
    source = SourceRecord(source_id=emu.ids.uuid(), corpus_id=corpus_id, created=now,
                          name=body.name or "", description=body.description or "",
                          ready_at=now)  # fmt: skip
    await index.load(emu, source, spec)
    _state(emu).sources[source.source_id] = source
    return source_view(emu, source)


@router.get("/{corpus_id}/sources/{source_id}")
async def get_source(corpus_id: str, source_id: str, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    return source_view(emu, _source(emu, corpus_id, source_id))


@router.api_route("/{corpus_id}/sources/{source_id}", methods=["PUT", "PATCH"])
async def update_source(
    corpus_id: str, source_id: str, body: SourceIn, request: Request
) -> dict[str, Any]:
    emu = _emu(request)
    source = _source(emu, corpus_id, source_id)
    replace = request.method == "PUT"
    changes_spec = replace or bool(body.model_fields_set & SPEC_FIELDS)
    spec = body.spec()
    if changes_spec and spec is None:
        raise UltravoxError(400, {"non_field_errors": [_ONE_SPEC]})
    if replace or body.name is not None:
        source.name = body.name or ""
    if replace or body.description is not None:
        source.description = body.description or ""
    if spec is not None and spec != source.spec:
        await index.load(emu, source, spec)
    return source_view(emu, source)


@router.delete("/{corpus_id}/sources/{source_id}", status_code=204)
async def delete_source(corpus_id: str, source_id: str, request: Request) -> Response:
    emu = _emu(request)
    state = _state(emu)
    del state.sources[_source(emu, corpus_id, source_id).source_id]
    state.documents = {k: d for k, d in state.documents.items() if d.source_id != source_id}
    return Response(status_code=204)


@router.get("/{corpus_id}/sources/{source_id}/documents")
async def list_documents(corpus_id: str, source_id: str, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    _source(emu, corpus_id, source_id)
    now = emu.clock.now()
    docs = [d for d in index.source_docs(_state(emu), source_id) if index.current(d, now)]
    return paginate(request, docs, document_view)


@router.get("/{corpus_id}/sources/{source_id}/documents/{document_id}")
async def get_document(
    corpus_id: str, source_id: str, document_id: str, request: Request
) -> dict[str, Any]:
    emu = _emu(request)
    _source(emu, corpus_id, source_id)
    doc = _state(emu).documents.get(document_id)
    if doc is None or doc.source_id != source_id:
        raise UltravoxError(404, "Not found.")
    return document_view(doc)


_ONE_SPEC = "Exactly one of crawl, upload or advanced must be set."
