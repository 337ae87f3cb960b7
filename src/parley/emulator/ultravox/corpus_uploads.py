"""File uploads for corpora: a presigned URL to PUT a document to, served by this emulator.

`POST /api/corpora/{corpus_id}/uploads {mimeType, fileName}` answers `{documentId,
presignedUrl}`, as the real service does; the URL (under `/ultravox/storage/uploads`, no API
key, HMAC-signed and valid for an hour by the emulator clock) takes the file's bytes with PUT.
The document then waits, unattached, for an `upload` or `advanced` source to name it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from parley.emulator.ultravox import lifecycle
from parley.emulator.ultravox.auth import require_api_key
from parley.emulator.ultravox.errors import UltravoxError
from parley.emulator.ultravox.state import DocumentRecord

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

router = APIRouter(prefix="/api/corpora", dependencies=[Depends(require_api_key)])
storage = APIRouter(prefix="/storage")
UPLOAD_URL_TTL_S = 3600


class UploadIn(BaseModel):
    mimeType: str = Field(min_length=1)
    fileName: str = ""


def _emu(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emu
    return emu


@router.post("/{corpus_id}/uploads", status_code=201)
async def create_upload(corpus_id: str, body: UploadIn, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    if corpus_id not in lifecycle.state(emu).corpora:
        raise UltravoxError(404, "Not found.")
    doc = DocumentRecord(document_id=emu.ids.uuid(), corpus_id=corpus_id,
                         created=emu.clock.now(), mime_type=body.mimeType,
                         title=body.fileName or None)  # fmt: skip
    lifecycle.state(emu).documents[doc.document_id] = doc
    expires = int(emu.clock.now()) + UPLOAD_URL_TTL_S
    url = (
        f"{emu.config.public_url}/ultravox/storage/uploads/{doc.document_id}"
        f"?expires={expires}&signature={_sign(emu, doc.document_id, expires)}"
    )
    return {"documentId": doc.document_id, "presignedUrl": url}


@storage.put("/uploads/{document_id}")
async def put_upload(document_id: str, expires: int, signature: str, request: Request) -> Response:
    emu = _emu(request)
    good = hmac.compare_digest(signature, _sign(emu, document_id, expires))
    doc = lifecycle.state(emu).documents.get(document_id)
    if not good or expires < emu.clock.now() or doc is None:
        return Response("Access denied.", status_code=403, media_type="text/plain")
    # Only text is "parsed": the emulator has no PDF or DOCX reader.
    doc.text = (await request.body()).decode("utf-8", errors="replace")
    return Response(status_code=200)


def _sign(emu: Emulator, document_id: str, expires: int) -> str:
    key = f"ultravox-uploads-{emu.seed}".encode()
    return hmac.new(key, f"{document_id}:{expires}".encode(), hashlib.sha256).hexdigest()
