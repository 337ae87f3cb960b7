"""`parley conversations ...`: sync from the providers, list with filters, show one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from parley.cli.runtime import JSON_OPTION, console, fail, print_json, providers, with_session

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

app = typer.Typer(help="Conversations from every provider, kept in Parley's own database.")


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


@app.command("list")
def list_(
    agent: str | None = typer.Option(None, "--agent", help="Parley agent name."),
    version: int | None = typer.Option(None, "--version", min=1, help="Parley version number."),
    provider: str | None = typer.Option(None, "--provider"),
    after: str | None = typer.Option(None, "--after", help="Started at or after (ISO 8601)."),
    before: str | None = typer.Option(None, "--before", help="Started before (ISO 8601)."),
    successful: bool | None = typer.Option(
        None, "--successful/--failed", help="Only successful (or only failed) conversations."
    ),
    user: str | None = typer.Option(None, "--user", help="User identifier."),
    evaluation: list[str] = typer.Option(
        [], "--evaluation", help="criterion:result, e.g. meeting_booked:success (repeatable)."
    ),
    data: list[str] = typer.Option(
        [], "--data", help="field=value, e.g. meeting_booked=true (repeatable)."
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=200),
    cursor: str | None = typer.Option(None, "--cursor", help="next_cursor of a previous page."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Stored conversations, newest first."""
    from parley.cli import conversations_output as show
    from parley.conversations import service
    from parley.conversations.repository import ConversationFilter

    flt = ConversationFilter(
        agent=agent,
        version=version,
        provider=provider,
        started_after=_when(after, "--after"),
        started_before=_when(before, "--before"),
        successful=successful,
        user_id=user,
        labels=service.parse_label_filters(evaluation, data),
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
