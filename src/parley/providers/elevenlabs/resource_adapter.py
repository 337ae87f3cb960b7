"""ElevenLabs workspace tools and knowledge-base documents through the official SDK.

Bodies go to the SDK as plain dicts (it sends them through untouched, so extras reach
ElevenLabs even when its types lag behind); answers are cut to the shape of what Parley sends,
so the three-way plan can compare them. Every call switches the SDK's own retries off: the
resilient transport underneath owns retries.
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from elevenlabs.core.request_options import RequestOptions

from parley.providers.base import CompiledResource, RemoteResource
from parley.providers.elevenlabs import resources as compiler

if TYPE_CHECKING:
    from parley.providers.elevenlabs.adapter import ElevenLabsAdapter

NO_SDK_RETRIES: RequestOptions = {"max_retries": 0}
PAGE_SIZE = 100
KNOWLEDGE_KEYS = ("type", "name", "text", "url", "filename", "sha256", "rag_model")


class ElevenLabsResources:
    def __init__(self, adapter: ElevenLabsAdapter) -> None:
        self.adapter = adapter
        self.ai = adapter.sdk.conversational_ai

    def compile(
        self, kind: str, spec: dict[str, Any], content: bytes | None = None
    ) -> CompiledResource:
        return compiler.compile_resource(kind, spec, content)

    # --- tools --------------------------------------------------------------------------------

    async def create_tool(self, compiled: CompiledResource) -> RemoteResource:
        body: Any = compiled.payload
        answer = await self.adapter._call(
            f"create tool {compiled.name}",
            self.ai.tools.create(request=body, request_options=NO_SDK_RETRIES),
        )
        return _tool(answer)

    async def update_tool(self, remote_id: str, compiled: CompiledResource) -> RemoteResource:
        body: Any = compiled.payload
        answer = await self.adapter._call(
            f"update tool {remote_id}",
            self.ai.tools.update(remote_id, request=body, request_options=NO_SDK_RETRIES),
        )
        return _tool(answer)

    async def get_tool(self, remote_id: str) -> RemoteResource:
        answer = await self.adapter._call(
            f"read tool {remote_id}",
            self.ai.tools.get(remote_id, request_options=NO_SDK_RETRIES),
        )
        return _tool(answer)

    async def delete_tool(self, remote_id: str, *, force: bool = False) -> None:
        await self.adapter._call(
            f"delete tool {remote_id}",
            self.ai.tools.delete(remote_id, force=force, request_options=NO_SDK_RETRIES),
        )

    async def list_tools(self) -> AsyncIterator[RemoteResource]:
        cursor: str | None = None
        while True:
            page = await self.adapter._call(
                "list tools",
                self.ai.tools.list(
                    page_size=PAGE_SIZE, cursor=cursor, request_options=NO_SDK_RETRIES
                ),
            )
            for tool in page.tools:
                yield _tool(tool)
            if not page.has_more or not page.next_cursor:
                return
            cursor = page.next_cursor

    # --- knowledge ----------------------------------------------------------------------------

    async def create_knowledge(self, compiled: CompiledResource) -> RemoteResource:
        body = compiled.payload
        extras = {k: v for k, v in body.items() if k not in KNOWLEDGE_KEYS}
        options: RequestOptions = {**NO_SDK_RETRIES, "additional_body_parameters": extras}
        docs = self.ai.knowledge_base.documents
        action = f"create document {compiled.name}"
        if body["type"] == "text":
            call = docs.create_from_text(
                text=body["text"], name=body["name"], request_options=options
            )
        elif body["type"] == "url":
            call = docs.create_from_url(url=body["url"], name=body["name"], request_options=options)
        else:
            mime = mimetypes.guess_type(body["filename"])[0] or "application/octet-stream"
            upload = (body["filename"], compiled.content or b"", mime)
            call = docs.create_from_file(file=upload, name=body["name"], request_options=options)
        created = await self.adapter._call(action, call)
        # Agents that retrieve with RAG need an index; computing it early means it is ready
        # (or well under way) by the time the agent is applied and called.
        await self.adapter._call(
            f"index document {created.id}",
            self.ai.knowledge_base.document.compute_rag_index(
                created.id, model=body.get("rag_model", compiler.RAG_MODEL),
                request_options=NO_SDK_RETRIES,
            ),
        )  # fmt: skip
        return await self.get_knowledge(created.id)

    async def get_knowledge(self, remote_id: str) -> RemoteResource:
        answer = await self.adapter._call(
            f"read document {remote_id}",
            self.ai.knowledge_base.documents.get(remote_id, request_options=NO_SDK_RETRIES),
        )
        return _document(answer.model_dump(mode="json", by_alias=True))

    async def delete_knowledge(self, remote_id: str, *, force: bool = False) -> None:
        await self.adapter._call(
            f"delete document {remote_id}",
            self.ai.knowledge_base.documents.delete(
                remote_id, force=force, request_options=NO_SDK_RETRIES
            ),
        )

    async def list_knowledge(self) -> AsyncIterator[RemoteResource]:
        cursor: str | None = None
        while True:
            page = await self.adapter._call(
                "list documents",
                self.ai.knowledge_base.list(
                    page_size=PAGE_SIZE, cursor=cursor, request_options=NO_SDK_RETRIES
                ),
            )
            for doc in page.documents:
                yield _document(doc.model_dump(mode="json", by_alias=True))
            if not page.has_more or not page.next_cursor:
                return
            cursor = page.next_cursor


def _tool(answer: Any) -> RemoteResource:
    data = answer.model_dump(mode="json", by_alias=True, exclude_unset=True)
    config = data.get("tool_config") or {}
    return RemoteResource(
        "tool", "elevenlabs", data["id"], str(config.get("name", "")), {"tool_config": config}
    )


def _document(data: dict[str, Any]) -> RemoteResource:
    payload = {"type": data.get("type"), "name": data.get("name")}
    for key in ("url", "filename"):
        if data.get(key) is not None:
            payload[key] = data[key]
    return RemoteResource("knowledge", "elevenlabs", data["id"], str(data.get("name")), payload)
