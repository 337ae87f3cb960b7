"""FastAPI dependencies shared by every router: the request's database session and its caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.db.engine import session_scope
from parley.errors import Unauthorized
from parley.tokens import service as tokens

_bearer = HTTPBearer(auto_error=False, description="A token from `parley tokens create`.")


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed when the handler returns without error."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with session_scope(factory) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit is
# never answered with 2xx (FastAPI otherwise runs the code after `yield` after responding).
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def require_token(
    session: Session,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The caller's identity (`token:<name>`); 401 without a valid, unrevoked bearer token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send `Authorization: Bearer <token>`; create one with `parley tokens`")
    name = await tokens.authenticate(session, credentials.credentials)
    if name is None:
        raise Unauthorized("the bearer token is unknown or revoked")
    return f"token:{name}"


Caller = Annotated[str, Depends(require_token)]
