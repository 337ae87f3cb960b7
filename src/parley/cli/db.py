"""`parley db ...`: schema migrations on the configured database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from parley.cli.runtime import console, guarded, settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")
app = typer.Typer(help="Database schema migrations.")


def _on_engine(work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    async def main() -> T:
        from parley.db.engine import create_engine

        engine = create_engine(settings().resolved_database_url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return guarded(lambda: asyncio.run(main()))


@app.command()
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Migrate the schema up (to the newest revision by default)."""
    from parley.db import migrate

    _on_engine(lambda engine: migrate.upgrade(engine, revision))
    console().print(f"database at {revision}")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, or base.")) -> None:
    """Migrate the schema down."""
    from parley.db import migrate

    _on_engine(lambda engine: migrate.downgrade(engine, revision))
    console().print(f"database at {revision}")


@app.command()
def current() -> None:
    """Print the schema revision of the database (or `none` when empty)."""
    from parley.db import migrate

    revision = _on_engine(migrate.current_revision)
    typer.echo(revision or "none")
