"""Ultravox durable tools (`/api/tools`) and corpora (`/api/corpora`) through `UltravoxClient`.

A document is a corpus with one source. Text and files go through the upload flow: ask for a
presigned URL, PUT the bytes there (no API key: the URL is the credential), then create an
`upload` source naming the document. A URL becomes a `crawl` source.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from parley.providers.base import CompiledResource, RemoteResource
from parley.providers.errors import ProviderUnavailable, from_response
from parley.providers.ultravox import resources as compiler
from parley.providers.ultravox.client import UltravoxClient


class UltravoxResources:
    def __init__(self, client: UltravoxClient) -> None:
        self.client = client

    def compile(
        self, kind: str, spec: dict[str, Any], content: bytes | None = None
    ) -> CompiledResource:
        return compiler.compile_resource(kind, spec, content)

    # --- tools --------------------------------------------------------------------------------

    async def create_tool(self, compiled: CompiledResource) -> RemoteResource:
        body = compiled.payload
        return _tool(await self.client.request("POST", "/api/tools", "create a tool", json=body))

    async def update_tool(self, remote_id: str, compiled: CompiledResource) -> RemoteResource:
        # Ultravox has no PATCH for tools: PUT replaces the whole definition.
        path, action = f"/api/tools/{remote_id}", f"update tool {remote_id}"
        return _tool(await self.client.request("PUT", path, action, json=compiled.payload))

    async def get_tool(self, remote_id: str) -> RemoteResource:
        path, action = f"/api/tools/{remote_id}", f"read tool {remote_id}"
        return _tool(await self.client.request("GET", path, action))

    async def delete_tool(self, remote_id: str, *, force: bool = False) -> None:
        await self.client.request("DELETE", f"/api/tools/{remote_id}", f"delete tool {remote_id}")

    async def list_tools(self) -> AsyncIterator[RemoteResource]:
        async for item in self.client.pages("/api/tools", "list tools", ownership="private"):
            yield _tool(item)

    # --- knowledge ----------------------------------------------------------------------------

    async def create_knowledge(self, compiled: CompiledResource) -> RemoteResource:
        body = compiled.payload
        corpus = await self.client.request(
            "POST", "/api/corpora", f"create corpus {compiled.name}", json=body["corpus"]
        )
        corpus_id = corpus["corpusId"]
        source = dict(body["source"])
        if "upload" in source:
            document_id = await self._upload(corpus_id, body["document"], compiled.content)
            source["upload"] = {**source["upload"], "documentIds": [document_id]}
        await self.client.request(
            "POST", f"/api/corpora/{corpus_id}/sources", f"add a source to {corpus_id}",
            json=source,
        )  # fmt: skip
        return _corpus(corpus)

    async def _upload(self, corpus_id: str, document: dict[str, Any], data: bytes | None) -> str:
        meta = {"mimeType": document["mimeType"], "fileName": document["fileName"]}
        slot = await self.client.request(
            "POST", f"/api/corpora/{corpus_id}/uploads", "upload a document", json=meta
        )
        try:
            answer = await self.client.http.put(
                slot["presignedUrl"],
                content=data or b"",
                headers={"Content-Type": document["mimeType"]},
            )
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                "ultravox", f"Ultravox storage could not be reached ({type(exc).__name__})"
            ) from None
        if answer.status_code >= 400:
            raise from_response("ultravox", answer, "store an uploaded document")
        return str(slot["documentId"])

    async def get_knowledge(self, remote_id: str) -> RemoteResource:
        path, action = f"/api/corpora/{remote_id}", f"read corpus {remote_id}"
        return _corpus(await self.client.request("GET", path, action))

    async def delete_knowledge(self, remote_id: str, *, force: bool = False) -> None:
        path, action = f"/api/corpora/{remote_id}", f"delete corpus {remote_id}"
        await self.client.request("DELETE", path, action)

    async def list_knowledge(self) -> AsyncIterator[RemoteResource]:
        async for item in self.client.pages("/api/corpora", "list corpora"):
            yield _corpus(item)


def _tool(item: dict[str, Any]) -> RemoteResource:
    payload = {"name": item["name"], "definition": item.get("definition") or {}}
    return RemoteResource("tool", "ultravox", item["toolId"], item["name"], payload)


def _corpus(item: dict[str, Any]) -> RemoteResource:
    corpus = {"name": item.get("name", ""), "description": item.get("description", "")}
    return RemoteResource(
        "knowledge", "ultravox", item["corpusId"], corpus["name"], {"corpus": corpus}
    )
