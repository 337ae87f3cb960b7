"""`parley resources ...`: delete a managed tool or document, list them, export the schema.

Resources are planned and applied with the agents that use them (`parley agents plan|apply
PATHS --target ...`, resources first); this group holds what only concerns resources.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from parley.cli.runtime import (
    JSON_OPTION,
    author,
    console,
    emit_text,
    fail,
    print_json,
    providers,
    with_session,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from parley.agents.validate import CheckReport
    from parley.resources.service import SourcedResource

app = typer.Typer(help="Tools and knowledge documents that agents use, on each provider.")
KINDS = ("tool", "knowledge")


def managed_names() -> dict[str, set[str]]:
    """Tools and documents Parley manages: asked only when the files leave a name unresolved."""
    from parley.resources.usage import known_names

    return with_session(known_names)


def sourced(report: CheckReport) -> list[SourcedResource]:
    """The valid resources of a check, each with the folder its file sources are relative to."""
    from parley.resources.service import SourcedResource

    return [
        SourcedResource(r.spec, Path(r.file).parent)
        for r in report.valid_resources
        if r.spec is not None
    ]


@app.command()
def delete(
    kind: str = typer.Argument(..., help="tool or knowledge."),
    name: str = typer.Argument(..., help="The resource's name."),
    target: str = typer.Option(..., "--target", help="elevenlabs or ultravox."),
    force: bool = typer.Option(
        False, "--force", help="Delete even while live agents on the target still use it."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete a managed tool or document from one provider (refused while agents use it)."""
    from parley.providers.registry import PROVIDERS
    from parley.resources import service

    if kind not in KINDS:
        fail(f"KIND must be tool or knowledge, not {kind!r}")
    if target not in PROVIDERS:
        fail(f"--target must be one of {', '.join(PROVIDERS)}, not {target!r}")
    who = author()

    async def work(session: AsyncSession) -> Any:
        async with providers() as built:
            return await service.delete(session, built, kind, name, target, author=who, force=force)

    item = with_session(work)
    if as_json:
        print_json(item)
        return
    console().print(f"deleted {kind} {name} ({item.remote_id}) from {target}")
    for note in item.notes:
        console().print(f"[yellow]{note}[/]")


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """Every tool and document Parley manages, per provider, with its remote id."""
    from rich.table import Table

    from parley.resources.repository import ResourceRepository

    async def work(session: AsyncSession) -> Any:
        rows = await ResourceRepository(session).rows()
        return [
            {"kind": r.kind, "name": r.name, "target": r.target, "remote_id": r.remote_id,
             "applied_at": r.applied_at.isoformat()}
            for r in rows
        ]  # fmt: skip

    found = with_session(work)
    if as_json:
        print_json(found)
        return
    table = Table("kind", "name", "target", "remote id", "applied", box=None)
    for row in found:
        table.add_row(row["kind"], row["name"], row["target"], row["remote_id"],
                      row["applied_at"][:19])  # fmt: skip
    console().print(table)


@app.command()
def schema(
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file."),
) -> None:
    """Print the JSON Schema of resource files (`kind: tool` / `kind: knowledge`)."""
    import json

    from parley.resources.spec import json_schema

    emit_text(json.dumps(json_schema(), indent=2) + "\n", output)
