"""`parley voices ...`: list the voices of each provider (cached for a while) and show one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from parley.cli.runtime import JSON_OPTION, console, guarded, print_json, providers, settings

if TYPE_CHECKING:
    from parley.providers.base import Voice
    from parley.providers.registry import Providers
    from parley.voices.schemas import Catalogue

T = TypeVar("T")
WIDE = 160  # columns from which the table has room for preview URLs

app = typer.Typer(help="Voices on each provider: what a spec's `voice.id` can name.")

PROVIDER_OPTION = typer.Option(
    "all", "--provider", help="elevenlabs, ultravox, or all (every provider with an API key)."
)


@app.command("list")
def list_(
    provider: str = PROVIDER_OPTION,
    search: str | None = typer.Option(
        None, "--search", help="Text in the id, name, description, category or labels."
    ),
    category: str | None = typer.Option(
        None,
        "--category",
        help="ElevenLabs: premade, cloned, generated, professional...; Ultravox: public, private.",
    ),
    refresh: bool = typer.Option(
        False, "--refresh", help="Ask the provider now instead of using the cached list."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """List voices; each provider's list is cached (PARLEY_VOICE_CACHE_TTL_S, default 1 h)."""
    from parley.voices import service

    cache = service.cache_for(settings())

    async def work(providers: Providers) -> list[Catalogue]:
        return await service.list_voices(
            providers, provider, cache=cache, refresh=refresh, search=search, category=category
        )

    found = _with_providers(work)
    voices = [voice for each in found for voice in each.voices]
    if as_json:
        print_json([_plain(v) for v in voices])
        return
    _tables(found)


@app.command()
def show(
    voice_id: str = typer.Argument(..., help="The voice's id in its provider's catalogue."),
    provider: str = PROVIDER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one voice, asking the provider (never the cache)."""
    from parley.voices import service

    async def work(providers: Providers) -> Voice:
        return await service.show_voice(providers, voice_id, provider)

    voice = _with_providers(work)
    if as_json:
        print_json(_plain(voice))
        return
    out = console()
    rows = {
        "provider": voice.provider,
        "id": voice.voice_id,
        "name": voice.name,
        "category": voice.category,
        "languages": ", ".join(voice.languages),
        "labels": _labels(voice),
        "description": voice.description or "",
        "preview": voice.preview_url or "",
    }
    for key, value in rows.items():
        if value:
            out.print(f"[bold]{key:<12}[/]{value}", markup=True)


def _with_providers(work: Callable[[Providers], Awaitable[T]]) -> T:
    """Run `work` with the configured providers; their errors become a plain message."""
    import asyncio

    async def main() -> T:
        async with providers() as built:
            return await work(built)

    return guarded(lambda: asyncio.run(main()))


def _tables(found: list[Catalogue]) -> None:
    """One table per provider, titled with where its list came from.

    Separate tables because ids differ in width (20 characters on ElevenLabs, 36 on Ultravox):
    one shared id column would leave no room for labels in an 80-column terminal.
    """
    from rich.table import Table

    out = console()
    # A preview URL is ~80 characters: folded into a narrow terminal it would squeeze the ids,
    # which are what people copy into specs, so narrow terminals get the URLs from --json.
    with_preview = out.width >= WIDE
    for each in found:
        table = Table(title=_source(each), title_justify="left", box=None)
        table.add_column("id", no_wrap=True)
        table.add_column("name", no_wrap=True)
        table.add_column("category", no_wrap=True)
        table.add_column("labels")
        if with_preview:
            table.add_column("preview URL", overflow="fold")
        for v in each.voices:
            row = [v.voice_id, v.name, v.category, ", ".join(v.labels.values())]
            table.add_row(*row, *([v.preview_url or ""] if with_preview else []))
        out.print(table)
    if not with_preview and any(each.voices for each in found):
        out.print(f"[dim]preview URLs: --json, or a terminal {WIDE} columns wide[/]", markup=True)


def _labels(voice: Voice) -> str:
    return ", ".join(f"{key}={value}" for key, value in voice.labels.items())


def _source(found: Catalogue) -> str:
    """Where a list came from: `ElevenLabs: 13 voice(s), cached 4 min ago (...)`."""
    from datetime import UTC, datetime

    from parley.providers.errors import display

    count = f"{display(found.provider)}: {len(found.voices)} voice(s)"
    if not found.from_cache:
        return f"{count}, fetched now"
    minutes = int((datetime.now(UTC) - found.fetched_at).total_seconds() // 60)
    age = f"{minutes} min ago" if minutes else "under a minute ago"
    return f"{count}, cached {age} (--refresh to ask again)"


def _plain(voice: Voice) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(voice)
