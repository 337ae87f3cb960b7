"""Token lifecycle and checking. Tokens are 256 random bits, so a plain SHA-256 is a safe hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.errors import Conflict, InvalidInput, NotFound
from parley.models import ApiToken, AuditEvent

TOKEN_PREFIX = "prl_"


class TokenInfo(BaseModel):
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class CreatedToken(TokenInfo):
    token: str  # shown once, never stored


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        name=row.name, prefix=row.prefix, created_at=row.created_at, revoked_at=row.revoked_at
    )


async def create(session: AsyncSession, name: str, *, actor: str) -> CreatedToken:
    name = name.strip()
    if not name or len(name) > 128:
        raise InvalidInput("a token name is 1 to 128 characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=hash_token(token), prefix=token[:10], created_at=utcnow())
    session.add(row)
    session.add(AuditEvent(actor=actor, action="token.create", target=name, details={}))
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a token named {name!r} exists already") from exc
    return CreatedToken(**_info(row).model_dump(), token=token)


async def list_tokens(session: AsyncSession) -> list[TokenInfo]:
    rows = await session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id))
    return [_info(row) for row in rows]


async def revoke(session: AsyncSession, name: str, *, actor: str) -> TokenInfo:
    row = await session.scalar(select(ApiToken).where(ApiToken.name == name))
    if row is None:
        raise NotFound(f"no token named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(AuditEvent(actor=actor, action="token.revoke", target=name, details={}))
    return _info(row)


async def authenticate(session: AsyncSession, token: str) -> str | None:
    """The name of the live token matching `token`, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = await session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
        )
    )
    return None if row is None else row.name
