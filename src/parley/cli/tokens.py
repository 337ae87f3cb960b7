"""`parley tokens ...`: create (shown once), list and revoke API bearer tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from parley.cli.runtime import JSON_OPTION, author, console, print_json, with_session

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

app = typer.Typer(help="API bearer tokens.")


@app.command()
def create(
    name: str = typer.Option(..., "--name", help="What the token is for, e.g. ci or dashboard."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a token and print it once; only its hash is stored."""
    from parley.tokens import service

    async def work(session: AsyncSession) -> Any:
        return await service.create(session, name, actor=author())

    created = with_session(work)
    if as_json:
        print_json(created)
        return
    out = console()
    out.print(f"token [bold]{created.name}[/] created. Copy it now, it is not shown again:")
    typer.echo(created.token)


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List tokens (names and prefixes only)."""
    from rich.table import Table

    from parley.tokens import service

    async def work(session: AsyncSession) -> Any:
        return await service.list_tokens(session)

    rows = with_session(work)
    if as_json:
        print_json(rows)
        return
    table = Table("name", "prefix", "created", "status", box=None)
    for row in rows:
        status = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        table.add_row(row.name, row.prefix + "...", f"{row.created_at:%Y-%m-%d %H:%M}", status)
    console().print(table)


@app.command()
def revoke(name: str, as_json: bool = JSON_OPTION) -> None:
    """Revoke a token: requests that use it get 401 from now on."""
    from parley.tokens import service

    async def work(session: AsyncSession) -> Any:
        return await service.revoke(session, name, actor=author())

    info = with_session(work)
    if as_json:
        print_json(info)
    else:
        console().print(f"token {info.name} revoked")
