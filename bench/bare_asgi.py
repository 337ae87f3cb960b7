"""Bare ASGI apps for `emulator_rest.py` to compare the emulator's agent read against.

Not a benchmark itself. `emulator_rest.py` serves these with uvicorn in a subprocess, exactly as
the emulator is served, on the emulator's path for an agent read. Both answer with the bytes
in the file named by BENCH_BODY (the emulator's own answer for the same agent, saved by the
benchmark), so request, response and size are the same; what differs is the work behind them.

- `starlette_app`: one Starlette route that checks the `xi-api-key` header and sends the bytes.
- `fastapi_app`: one FastAPI route with the key as a header dependency, returning the parsed
  JSON as a dict (FastAPI validates and serialises it), as the emulator's routes do.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PATH = "/elevenlabs/v1/convai/agents/{agent_id}"
BODY = Path(os.environ["BENCH_BODY"]).read_bytes()
DATA: dict[str, Any] = json.loads(BODY)


async def _agent(request: Request) -> Response:
    if not request.headers.get("xi-api-key"):
        return JSONResponse({"detail": "missing xi-api-key"}, status_code=401)
    return Response(BODY, media_type="application/json")


starlette_app = Starlette(routes=[Route(PATH, _agent, methods=["GET"])])
fastapi_app = FastAPI()


@fastapi_app.get(PATH)
async def get_agent(
    agent_id: str, xi_api_key: Annotated[str | None, Header(alias="xi-api-key")] = None
) -> dict[str, Any]:
    if not xi_api_key:
        raise HTTPException(401, "missing xi-api-key")
    return DATA
