"""`parley conversations ...`: sync from the providers, list (and search) with filters, show one,
export, fetch a recording, delete on request; `retention` lives in conversations_retention.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer

from parley.cli import conversations_retention
from parley.cli.runtime import JSON_OPTION, console, fail, print_json, providers, with_session

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from parley.conversations.repository import ConversationFilter

app = typer.Typer(help="Conversations from every provider, kept in Parley's own database.")
app.add_typer(conversations_retention.app, name="retention")

# The filters `list` and `export` share (one Option object may serve several commands).
AGENT = typer.Option(None, "--agent", help="Parley agent name.")
VERSION = typer.Option(None, "--version", min=1, help="Parley version number.")
PROVIDER = typer.Option(None, "--provider")
AFTER = typer.Option(None, "--after", help="Started at or after (ISO 8601).")
BEFORE = typer.Option(None, "--before", help="Started before (ISO 8601).")
SUCCESSFUL = typer.Option(
    None, "--successful/--failed", help="Only successful (or only failed) conversations."
)
USER = typer.Option(None, "--user", help="User identifier.")
EVALUATION = typer.Option(
    [], "--evaluation", help="criterion:result, e.g. meeting_booked:success (repeatable)."
)
DATA = typer.Option([], "--data", help="field=value, e.g. meeting_booked=true (repeatable).")
SEARCH = typer.Option(
    None, "--search", help="Words that must all occur in the transcript or the summary."
)


def _when(value: str | None, option: str) -> datetime | None:
    """An ISO 8601 time; without a zone it is taken as UTC."""
    if value is None:
        return None
    from datetime import UTC, datetime

    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"{option} must be an ISO 8601 time such as 2026-01-31T09:00:00Z, not {value!r}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@app.command()
def sync(
    provider: str | None = typer.Option(
        None, "--provider", help="Only this provider (default: every one with an API key)."
    ),
    since: str | None = typer.Option(
        None, "--since", help="List from this time (ISO 8601) instead of the stored watermark."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Backfill conversations that webhooks did not bring, from each provider's list."""
    from parley.cli import conversations_output as show
    from parley.conversations import sync as reconcile

    start = _when(since, "--since")

    async def work(session: AsyncSession) -> Any:
        with show.sync_progress(quiet=as_json) as step:
            async with providers() as built:
                return await reconcile.sync(
                    session, built, provider=provider, since=start, progress=step
                )

    report = with_session(work)
    if as_json:
        print_json(report)
        return
    show.sync_report(console(), report)


def _filter(
    agent: str | None,
    version: int | None,
    provider: str | None,
    after: str | None,
    before: str | None,
    successful: bool | None,
    user: str | None,
    evaluation: list[str],
    data: list[str],
    search: str | None,
) -> ConversationFilter:
    from parley.conversations import service
    from parley.conversations.repository import ConversationFilter
    from parley.errors import ParleyError

    try:
        labels = service.parse_label_filters(evaluation, data)
    except ParleyError as exc:
        fail(exc.message)
    return ConversationFilter(
        agent=agent,
        version=version,
        provider=provider,
        started_after=_when(after, "--after"),
        started_before=_when(before, "--before"),
        successful=successful,
        user_id=user,
        labels=labels,
        search=search,
    )


@app.command("list")
def list_(
    agent: str | None = AGENT,
    version: int | None = VERSION,
    provider: str | None = PROVIDER,
    after: str | None = AFTER,
    before: str | None = BEFORE,
    successful: bool | None = SUCCESSFUL,
    user: str | None = USER,
    evaluation: list[str] = EVALUATION,
    data: list[str] = DATA,
    search: str | None = SEARCH,
    limit: int = typer.Option(50, "--limit", min=1, max=200),
    cursor: str | None = typer.Option(None, "--cursor", help="next_cursor of a previous page."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Stored conversations, newest first."""
    from parley.cli import conversations_output as show
    from parley.conversations import service

    flt = _filter(
        agent, version, provider, after, before, successful, user, evaluation, data, search
    )

    async def work(session: AsyncSession) -> Any:
        return await service.list_conversations(session, flt, cursor=cursor, limit=limit)

    page = with_session(work)
    if as_json:
        print_json(page)
        return
    show.conversation_table(console(), page.items)
    if page.next_cursor:
        console().print(f"more: --cursor {page.next_cursor}")


@app.command("export")
def export_(
    fmt: str = typer.Option("jsonl", "--format", help="jsonl (full records) or csv (flat)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="File (default: stdout)."),
    agent: str | None = AGENT,
    version: int | None = VERSION,
    provider: str | None = PROVIDER,
    after: str | None = AFTER,
    before: str | None = BEFORE,
    successful: bool | None = SUCCESSFUL,
    user: str | None = USER,
    evaluation: list[str] = EVALUATION,
    data: list[str] = DATA,
    search: str | None = SEARCH,
) -> None:
    """Every matching conversation, newest first, streamed (progress bar on stderr)."""
    from parley.cli import conversations_output as show
    from parley.cli.runtime import with_units
    from parley.conversations import export

    if fmt not in export.FORMATS:
        fail(f"--format must be one of {', '.join(export.FORMATS)}, not {fmt!r}")
    flt = _filter(
        agent, version, provider, after, before, successful, user, evaluation, data, search
    )

    async def work(sessions: async_sessionmaker[AsyncSession]) -> int:
        async with sessions() as session:
            total = await export.count(session, flt)
        with show.export_progress(total, quiet=False) as step, _sink(output) as out:
            async for chunk, done in export.stream(sessions, flt, fmt):
                out.write(chunk)
                step(done)
        return total

    total = with_units(work)
    if output is not None:
        console(stderr=True).print(f"{total} conversations written to {output}")


@contextmanager
def _sink(output: Path | None) -> Iterator[TextIO]:
    """The file to write (newline="" so CSV keeps its CRLF rows as written), or stdout."""
    if output is None:
        yield sys.stdout
        return
    with output.open("w", encoding="utf-8", newline="") as handle:
        yield handle


@app.command("delete")
def delete_(
    conversation: str = typer.Argument(..., help="Parley id or the provider's conversation id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete on request: record, transcript, labels, recording and raw webhook events."""
    from parley.cli.runtime import author, settings
    from parley.conversations import deletion

    async def work(session: AsyncSession) -> Any:
        return await deletion.delete_conversation(
            session, conversation, data_dir=settings().data_dir, actor=author()
        )

    done = with_session(work)
    if as_json:
        print_json(done)
        return
    console().print(
        f"Deleted conversation {done.id} ({done.provider} {done.remote_id}): "
        f"{done.audio_files} audio file(s), {done.webhook_events} webhook event(s)."
    )


@app.command("show")
def show_(
    conversation: str = typer.Argument(..., help="Parley id or the provider's conversation id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """One conversation: who, when, outcome, and the transcript."""
    from parley.cli import conversations_output as show
    from parley.conversations import service

    async def work(session: AsyncSession) -> Any:
        return await service.show(session, conversation)

    detail = with_session(work)
    if as_json:
        print_json(detail)
        return
    show.conversation(console(), detail)


@app.command("audio")
def audio_(
    conversation: str = typer.Argument(..., help="Parley id or the provider's conversation id."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Where to write it (default: its own name, here)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Save a conversation's recording: Parley's copy, else fetched from the provider and kept."""
    import shutil

    from parley.cli.runtime import settings
    from parley.conversations import audio

    async def work(session: AsyncSession) -> Any:
        return await audio.get_audio(session, conversation, settings=settings())

    found = with_session(work)
    target = output if output is not None else Path(found.path.name)
    if target.is_dir():
        target = target / found.path.name
    shutil.copyfile(found.path, target)
    size = target.stat().st_size
    source = "provider" if found.fetched else "cache"
    if as_json:
        print_json(
            {"path": str(target), "media_type": found.media_type, "bytes": size, "source": source}
        )
        return
    via = "fetched from the provider" if found.fetched else "from Parley's copy"
    console(stderr=True).print(f"{size} bytes ({found.media_type}, {via}) written to {target}")
