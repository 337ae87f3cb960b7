"""A `Receiver` that also plays the customer's servers: HTTP tools and pages to crawl.

Test modules swap it in by overriding the `receiver` fixture, so the emulator's outgoing
transport (tool calls, crawls, webhooks) lands here. It answers any method, records the method
and query string as well, serves fixed `pages` by path, and otherwise answers the queued
`replies` (status, body, headers) in order, then 200 with an empty body.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI, Request, Response

from tests.emulator.conftest import Receiver

Reply = tuple[int, str, dict[str, str]]


@dataclass
class ToolServer(Receiver):
    pages: dict[str, str] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)

    def app(self) -> FastAPI:
        server = FastAPI()

        @server.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        async def record(path: str, request: Request) -> Response:
            self.requests.append(
                {"path": "/" + path, "method": request.method, "query": dict(request.query_params),
                 "headers": dict(request.headers), "body": await request.body()}
            )  # fmt: skip
            if "/" + path in self.pages:
                return Response(self.pages["/" + path], media_type="text/html")
            status, body, headers = self.replies.pop(0) if self.replies else (200, "", {})
            return Response(body, status_code=status, headers=headers, media_type="text/plain")

        return server
