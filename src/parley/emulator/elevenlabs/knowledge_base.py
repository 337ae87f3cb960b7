"""Knowledge-base documents: `v1/convai/knowledge-base` from text, URL or uploaded file.

The emulator never fetches a URL (it works offline): a URL document's content is a short,
deterministic stand-in page naming the URL. Uploaded files are read as UTF-8 text when they are
text, otherwise their content is a placeholder naming the file. Multipart bodies are parsed with
the standard library, so the emulator needs no form-parsing dependency. Creating a document does
not attach it to an agent; agents reference documents in `prompt.knowledge_base`. RAG indexes
live in `rag_index.py`.
"""

from __future__ import annotations

import email.parser
import email.policy
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field, field_validator

from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.errors import ElevenLabsError, not_found
from parley.emulator.elevenlabs.periphery import (
    agents_using_document,
    dependent_agent,
    el_state,
    short_id,
)
from parley.emulator.elevenlabs.shapes import ACCESS_INFO, emulator, page

router = APIRouter(prefix="/v1/convai/knowledge-base", dependencies=[Depends(require_api_key)])


class RagIndex(BaseModel):
    id: str
    model: str
    created_at: float


class KnowledgeDocument(BaseModel):
    id: str
    type: Literal["text", "url", "file"]
    name: str
    content: str
    url: str | None = None
    filename: str | None = None
    parent_folder_id: str | None = None
    auto_sync: dict[str, Any] | None = None
    created_at_unix_secs: int
    last_updated_at_unix_secs: int
    rag_indexes: dict[str, RagIndex] = Field(default_factory=dict)

    @property
    def size_bytes(self) -> int:
        return len(self.content.encode("utf-8"))

    def summary(self, state: Any) -> dict[str, Any]:
        """An item of GetKnowledgeBaseListResponseModel.documents."""
        item = self._common()
        item["dependent_agents"] = [
            dependent_agent(a) for a in agents_using_document(state, self.id)
        ]
        if self.type == "url":
            item["url"] = self.url
        return item

    def detail(self) -> dict[str, Any]:
        """DocumentsGetResponse / DocumentsUpdateResponse."""
        item = self._common()
        item["extracted_inner_html"] = self.content
        if self.type == "url":
            item["url"] = self.url
        if self.type == "file":
            item["filename"] = self.filename
        return item

    def _common(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "name": self.name,
            "metadata": {
                "created_at_unix_secs": self.created_at_unix_secs,
                "last_updated_at_unix_secs": self.last_updated_at_unix_secs,
                "size_bytes": self.size_bytes,
            },
            "supported_usages": ["prompt", "auto"],
            "access_info": ACCESS_INFO,
            "folder_parent_id": self.parent_folder_id,
            "folder_path": [],
        }


class TextDocumentRequest(BaseModel):
    text: str = Field(min_length=1)
    name: str | None = None
    parent_folder_id: str | None = None


class UrlDocumentRequest(BaseModel):
    url: str
    name: str | None = None
    parent_folder_id: str | None = None
    enable_auto_sync: bool | None = None
    auto_remove: bool | None = None
    minimum_frequency_days: int | None = None

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("URL must start with http:// or https://")
        return value


class DocumentUpdateRequest(BaseModel):
    name: str | None = None
    content: str | None = None
    enable_auto_sync: bool | None = None
    auto_remove: bool | None = None
    minimum_frequency_days: int | None = None
    tighten_only: bool | None = None


def get_document(request: Request, documentation_id: str) -> KnowledgeDocument:
    document = el_state(request).knowledge_base.get(documentation_id)
    if document is None:
        raise not_found("document", documentation_id)
    return document


def _store(request: Request, **fields: Any) -> dict[str, Any]:
    emu = emulator(request)
    now = emu.clock.now_secs()
    document = KnowledgeDocument(
        id=short_id(emu), created_at_unix_secs=now, last_updated_at_unix_secs=now, **fields
    )
    el_state(request).knowledge_base[document.id] = document
    return {"id": document.id, "name": document.name, "folder_path": []}


@router.post("/text")
async def create_from_text(body: TextDocumentRequest, request: Request) -> dict[str, Any]:
    first_line = body.text.strip().splitlines()[0] if body.text.strip() else "Text document"
    return _store(
        request,
        type="text",
        name=body.name or first_line[:50],
        content=body.text,
        parent_folder_id=body.parent_folder_id,
    )


@router.post("/url")
async def create_from_url(body: UrlDocumentRequest, request: Request) -> dict[str, Any]:
    sync = body.model_dump(include={"enable_auto_sync", "auto_remove", "minimum_frequency_days"})
    return _store(
        request,
        type="url",
        name=body.name or body.url,
        url=body.url,
        content=f"<html><body><h1>{body.url}</h1><p>Content of {body.url}.</p></body></html>",
        parent_folder_id=body.parent_folder_id,
        auto_sync=sync if body.enable_auto_sync else None,
    )


@router.post("/file")
async def create_from_file(request: Request) -> dict[str, Any]:
    fields = await _multipart(request)
    if "file" not in fields or fields["file"][0] is None:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body", "file"), "msg": "Field required", "input": None}]
        )
    filename, raw = fields["file"]
    assert filename is not None
    name = fields["name"][1].decode() if "name" in fields else ""
    folder = fields["parent_folder_id"][1].decode() if "parent_folder_id" in fields else None
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        content = f"[{filename}: {len(raw)} bytes of binary content]"
    return _store(
        request,
        type="file",
        name=name or filename,
        filename=filename,
        content=content,
        parent_folder_id=folder or None,
    )


async def _multipart(request: Request) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart body: name -> (filename or None, bytes)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body", "file"), "msg": "Field required", "input": None}]
        )
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        head + await request.body()
    )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            fields[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


@router.get("")
async def list_documents(
    request: Request,
    page_size: Annotated[int, Query(ge=1, le=100)] = 30,
    search: str | None = None,
    show_only_owned_documents: bool = False,
    created_by_user_id: str | None = None,
    types: Annotated[list[Literal["file", "url", "text", "folder"]] | None, Query()] = None,
    parent_folder_id: str | None = None,
    ancestor_folder_id: str | None = None,
    folders_first: bool = False,
    sort_direction: Literal["asc", "desc"] = "desc",
    sort_by: Literal["name", "created_at", "updated_at", "size"] = "created_at",
    cursor: str | None = None,
) -> dict[str, Any]:
    state = el_state(request)
    documents = list(state.knowledge_base.values())
    if search:
        # "only documents whose names start with this string"
        documents = [d for d in documents if d.name.lower().startswith(search.lower())]
    if types:
        documents = [d for d in documents if d.type in types]
    if parent_folder_id or ancestor_folder_id:
        # The emulator has no folders: only a document's direct parent is known.
        folder = parent_folder_id or ancestor_folder_id
        documents = [d for d in documents if d.parent_folder_id == folder]
    keys = {
        "name": lambda d: (d.name.lower(), d.id),
        "created_at": lambda d: (d.created_at_unix_secs, d.id),
        "updated_at": lambda d: (d.last_updated_at_unix_secs, d.id),
        "size": lambda d: (d.size_bytes, d.id),
    }
    documents.sort(key=keys[sort_by], reverse=sort_direction == "desc")
    chunk, next_cursor = page(documents, cursor, page_size)
    return {
        "documents": [d.summary(state) for d in chunk],
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
    }


@router.get("/{documentation_id}")
async def get_document_route(
    documentation_id: str, request: Request, agent_id: str | None = None
) -> dict[str, Any]:
    return get_document(request, documentation_id).detail()


@router.patch("/{documentation_id}")
async def update_document(
    documentation_id: str, body: DocumentUpdateRequest, request: Request
) -> dict[str, Any]:
    document = get_document(request, documentation_id)
    if body.content is not None:
        if document.type != "text":
            raise ElevenLabsError(
                400, "invalid_request", "Only text documents can have their content replaced."
            )
        document.content = body.content
        document.rag_indexes.clear()  # the old embeddings describe the old text
    if body.name is not None:
        document.name = body.name
    document.last_updated_at_unix_secs = emulator(request).clock.now_secs()
    return document.detail()


@router.delete("/{documentation_id}")
async def delete_document(
    documentation_id: str, request: Request, force: bool = False
) -> dict[str, Any]:
    get_document(request, documentation_id)
    state = el_state(request)
    users = agents_using_document(state, documentation_id)
    if users and not force:
        raise ElevenLabsError(
            400,
            "document_in_use",
            f"Document {documentation_id} is used by {len(users)} agent(s); "
            "pass force=true to delete it.",
        )
    del state.knowledge_base[documentation_id]
    return {}


@router.get("/{documentation_id}/content")
async def document_content(documentation_id: str, request: Request) -> PlainTextResponse:
    return PlainTextResponse(get_document(request, documentation_id).content)


@router.get("/{documentation_id}/dependent-agents")
async def document_dependent_agents(
    documentation_id: str,
    request: Request,
    dependent_type: str | None = None,
    page_size: Annotated[int, Query(ge=1, le=100)] = 30,
    cursor: str | None = None,
) -> dict[str, Any]:
    get_document(request, documentation_id)
    users = sorted(
        agents_using_document(el_state(request), documentation_id), key=lambda a: a.agent_id
    )
    chunk, next_cursor = page(users, cursor, page_size)
    return {
        "agents": [dependent_agent(a) for a in chunk],
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
    }
