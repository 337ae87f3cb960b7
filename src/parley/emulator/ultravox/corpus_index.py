"""The corpus index: loading sources (crawls, uploads), clock-driven statuses, chunks, scores.

Nothing runs in the background: a source records when its contents become queryable
(`ready_at`), and every read derives `SOURCE_STATUS_INITIALIZING` / `_UPDATING` / `_READY` and
the stats from the clock, so `/_emulator/advance` is all a test needs. Each document carries the
window in which queries see it (`ready_at` .. `retired_at`), which lets an updating source keep
answering with its old contents until the new ones are ready, as a re-indexing service does.

Queries are naive keyword scoring, deterministic and explainable: a chunk's score is the share
of the query's distinct words it contains; `advanced` documents are scored on their
`exampleQueries` and returned whole, as documented.
"""

from __future__ import annotations

import re
from collections import deque
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import httpx

from parley.emulator.ultravox import lifecycle
from parley.emulator.ultravox.errors import UltravoxError
from parley.emulator.ultravox.state import DocumentRecord, SourceRecord, UltravoxState
from parley.emulator.ultravox.wire import iso

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

# How long indexing takes, in emulator seconds: crawls are slower than uploaded files.
INDEX_DELAY_S = {"crawl": 60.0, "upload": 15.0, "advanced": 15.0}
CHUNK_WORDS = 80
DEFAULT_MAX_DOCUMENTS = 20
WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    ("a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
     "i", "in", "is", "it", "me", "my", "of", "on", "or", "the", "to", "what", "when", "where",
     "which", "who", "why", "with", "you", "your")
)  # fmt: skip
TAG = re.compile(r"<[^>]+>")
DROP = re.compile(r"<(script|style)\b.*?</\1>", re.IGNORECASE | re.DOTALL)
TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
BLOCK = re.compile(r"</?(?:p|div|h[1-6]|li|br|tr|section|article)\b[^>]*>", re.IGNORECASE)
HREF = re.compile(r"""href\s*=\s*["']([^"'#]+)""", re.IGNORECASE)


def kind(spec: dict[str, Any]) -> str:
    return next((k for k in ("crawl", "upload", "advanced") if k in spec), "crawl")


def status(source: SourceRecord, now: float) -> str:
    if now >= source.ready_at:
        return "SOURCE_STATUS_READY"
    if source.previous_ready_at is not None:
        return "SOURCE_STATUS_UPDATING"
    return "SOURCE_STATUS_INITIALIZING"


def last_updated(source: SourceRecord, now: float) -> float | None:
    return source.ready_at if now >= source.ready_at else source.previous_ready_at


def visible(doc: DocumentRecord, now: float) -> bool:
    ready = doc.ready_at is not None and doc.ready_at <= now
    return doc.source_id is not None and ready and (doc.retired_at is None or now < doc.retired_at)


def current(doc: DocumentRecord, now: float) -> bool:
    """Part of its source's present or upcoming contents (not on its way out)."""
    return doc.source_id is not None and (doc.retired_at is None or now < doc.retired_at)


def source_docs(state: UltravoxState, source_id: str) -> list[DocumentRecord]:
    docs = [d for d in state.documents.values() if d.source_id == source_id]
    return sorted(docs, key=lambda d: (d.created, d.document_id))


def source_stats(state: UltravoxState, source: SourceRecord, now: float) -> dict[str, Any]:
    docs = [d for d in source_docs(state, source.source_id) if visible(d, now)]
    stats: dict[str, Any] = {"status": status(source, now), "numDocs": len(docs)}
    updated = last_updated(source, now)
    if updated is not None:
        stats["lastUpdated"] = iso(updated)
    return stats


def corpus_stats(state: UltravoxState, corpus_id: str, now: float) -> dict[str, Any]:
    sources = [s for s in state.sources.values() if s.corpus_id == corpus_id]
    statuses = {status(s, now) for s in sources}
    if not sources:
        value = "CORPUS_STATUS_EMPTY"
    elif statuses == {"SOURCE_STATUS_READY"}:
        value = "CORPUS_STATUS_READY"
    elif statuses & {"SOURCE_STATUS_READY", "SOURCE_STATUS_UPDATING"}:
        value = "CORPUS_STATUS_UPDATING"
    else:
        value = "CORPUS_STATUS_INITIALIZING"
    docs = [d for d in state.documents.values() if d.corpus_id == corpus_id and visible(d, now)]
    chunk_count = sum(len(chunks(d)) for d in docs)
    vectors = sum(len(d.example_queries) or len(chunks(d)) for d in docs)
    stats: dict[str, Any] = {"status": value, "numDocs": len(docs), "numChunks": chunk_count,
                             "numVectors": vectors}  # fmt: skip
    times = [t for t in (last_updated(s, now) for s in sources) if t is not None]
    if times:
        stats["lastUpdated"] = iso(max(times))
    return stats


def chunks(doc: DocumentRecord) -> list[str]:
    """Paragraphs, split further so that none is longer than CHUNK_WORDS words."""
    if doc.example_queries:
        return [doc.text]  # advanced documents are one chunk, returned whole
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", doc.text):
        words = paragraph.split()
        out += [" ".join(words[i : i + CHUNK_WORDS]) for i in range(0, len(words), CHUNK_WORDS)]
    return out


def terms(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if w not in STOPWORDS}


def query(
    state: UltravoxState, corpus_id: str, text: str, now: float, limit: int, minimum: float = 0.0
) -> list[dict[str, Any]]:
    wanted = terms(text)
    if not wanted:
        return []
    scored: list[tuple[float, float, str, int, str, DocumentRecord]] = []
    for doc in state.documents.values():
        if doc.corpus_id != corpus_id or not visible(doc, now):
            continue
        for index, chunk in enumerate(chunks(doc)):
            keys = doc.example_queries or [chunk]
            score = max(len(wanted & terms(k)) / len(wanted) for k in keys)
            if score > 0 and score >= minimum:
                scored.append((-score, doc.created, doc.document_id, index, chunk, doc))
    scored.sort(key=lambda row: row[:4])
    return [_result(-row[0], row[4], row[5]) for row in scored[:limit]]


def _result(score: float, content: str, doc: DocumentRecord) -> dict[str, Any]:
    citation: dict[str, Any] = {"sourceId": doc.source_id, "documentId": doc.document_id}
    if doc.public_url:
        citation["publicUrl"] = doc.public_url
    if doc.title:
        citation["title"] = doc.title
    return {"content": content, "score": round(score, 4), "citation": citation}


async def crawl(emu: Emulator, spec: dict[str, Any]) -> list[dict[str, str]]:
    """Fetch `startUrls` (and links, to `maxDepth`) through the outgoing client; failures skip."""
    limit = int(spec.get("maxDocuments") or DEFAULT_MAX_DOCUMENTS)
    max_bytes = int(spec.get("maxDocumentBytes") or 0)
    depth_limit = max(1, int(spec.get("maxDepth") or 1))
    queue = deque((str(url), 1) for url in spec.get("startUrls") or [])
    seen: set[str] = set()
    pages: list[dict[str, str]] = []
    async with emu.http_client() as client:
        while queue and len(pages) < limit:
            url, depth = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            try:
                answer = await client.get(url)
            except httpx.HTTPError:
                continue
            if answer.status_code >= 400:
                continue
            raw = answer.content[:max_bytes] if max_bytes else answer.content
            body = raw.decode("utf-8", errors="replace")
            mime = answer.headers.get("content-type", "text/html").split(";")[0].strip()
            pages.append({"url": url, "mime": mime, **_readable(body, mime)})
            if depth < depth_limit and mime == "text/html":
                queue.extend((urljoin(url, link), depth + 1) for link in HREF.findall(body))
    return pages


def _readable(body: str, mime: str) -> dict[str, str]:
    if mime != "text/html":
        return {"title": "", "text": body}
    title = TITLE.search(body)
    text = TAG.sub(" ", BLOCK.sub("\n\n", DROP.sub(" ", TITLE.sub(" ", body))))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return {
        "title": " ".join(title.group(1).split()) if title else "",
        "text": "\n\n".join(p for p in paragraphs if p),
    }


def tool_answer(state: UltravoxState, args: dict[str, Any], now: float) -> tuple[str, str | None]:
    """The built-in `queryCorpus`: result text for the model, and error details if it failed."""
    corpus_id = str(args.get("corpus_id") or "")
    if corpus_id not in state.corpora:
        return "The knowledge base is unavailable.", f"Corpus {corpus_id!r} does not exist."
    text = str(args.get("query") or "")
    if not text.strip():
        return "A query is required.", "Missing required parameter 'query'."
    try:
        limit = min(20, max(1, int(args.get("max_results") or 5)))
        minimum = float(args.get("minimum_score") or 0.0)
    except (TypeError, ValueError):
        return "Invalid parameters.", "max_results and minimum_score must be numbers."
    found = query(state, corpus_id, text, now, limit, minimum)
    if not found:
        return "No relevant information found.", None
    return "\n\n".join(r["content"] for r in found), None


async def load(emu: Emulator, source: SourceRecord, spec: dict[str, Any]) -> None:
    """(Re)load a source's documents; they become queryable after the indexing delay."""
    state = lifecycle.state(emu)
    now = emu.clock.now()
    if now >= source.ready_at and source.spec:
        source.previous_ready_at = source.ready_at  # had contents: UPDATING, not INITIALIZING
    which = kind(spec)
    ready_at = now + INDEX_DELAY_S[which]
    if which == "crawl":
        wanted: dict[str, list[str]] = {}
        pages = await crawl(emu, spec["crawl"])
    else:
        details = spec[which].get("documents") or [
            {"documentId": d} for d in spec[which].get("documentIds") or []
        ]
        wanted = {str(d["documentId"]): list(d.get("exampleQueries") or []) for d in details}
        pages = []
        unknown = [d for d in wanted if not _attachable(state, d, source)]
        if unknown:
            field = "upload.documentIds" if which == "upload" else "advanced.documents"
            raise UltravoxError(400, {field: [f"Unknown document {unknown[0]!r}."]})
    for doc in source_docs(state, source.source_id):
        if doc.document_id not in wanted and doc.retired_at is None:
            doc.retired_at = ready_at  # old contents answer until the new ones are ready
    for doc_id, queries in wanted.items():
        doc = state.documents[doc_id]
        if doc.source_id != source.source_id or doc.example_queries != queries:
            doc.source_id, doc.example_queries = source.source_id, queries
            doc.ready_at, doc.retired_at = ready_at, None
    for page in pages:
        doc = DocumentRecord(document_id=emu.ids.uuid(), corpus_id=source.corpus_id,
                             source_id=source.source_id, created=now, mime_type=page["mime"],
                             title=page["title"] or None, public_url=page["url"],
                             text=page["text"], ready_at=ready_at)  # fmt: skip
        state.documents[doc.document_id] = doc
    source.spec, source.ready_at = spec, ready_at


def _attachable(state: UltravoxState, doc_id: str, source: SourceRecord) -> bool:
    doc = state.documents.get(doc_id)
    mine = doc is not None and doc.corpus_id == source.corpus_id
    return mine and doc is not None and doc.source_id in (None, source.source_id)
