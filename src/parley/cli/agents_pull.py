"""`parley agents pull`: import agents made in a provider's dashboard as spec files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from parley.cli.runtime import (
    JSON_OPTION,
    author,
    console,
    fail,
    print_json,
    providers,
    with_session,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def _one_target(target: str) -> str:
    from parley.providers.registry import PROVIDERS

    if target not in PROVIDERS:
        fail(f"--target must name one provider ({' or '.join(PROVIDERS)}), not {target!r}")
    return target


def pull(
    target: str = typer.Option(..., "--target", help="elevenlabs or ultravox."),
    out: Path = typer.Option(Path("agents"), "--out", help="Folder for the new spec files."),
    name: list[str] = typer.Option([], "--name", help="Only agents with this provider name."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Import agents created outside Parley as spec files; a plan afterwards shows no change."""
    from parley.agents import pull as puller

    only = _one_target(target)
    who = author()

    async def work(session: AsyncSession) -> Any:
        async with providers() as built:
            return await puller.pull(session, built, only, out, author=who, names=name)

    report = with_session(work)
    if as_json:
        print_json([item.__dict__ for item in report.items])
        return
    out_ = console()
    for item in report.items:
        if item.skipped:
            out_.print(f"[yellow]skipped[/] {item.name} ({item.remote_id}): {item.skipped}")
        else:
            out_.print(f"[green]pulled[/] {item.name} ({item.remote_id}) -> {item.file}")
    out_.print(f"{sum(not i.skipped for i in report.items)} agent(s) pulled from {only}.")
