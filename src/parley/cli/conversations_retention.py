"""`parley conversations retention ...`: per-agent retention policies and applying them now."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from parley.cli.runtime import JSON_OPTION, author, console, print_json, settings, with_session

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

app = typer.Typer(help="How long conversations and recordings are kept, per agent.")


def _days(value: int | None) -> str:
    return "forever" if value is None else f"{value} days"


@app.command("set")
def set_(
    agent: str = typer.Argument(..., help="Parley agent name, or '*' for the default."),
    audio_days: int | None = typer.Option(
        None, "--audio-days", min=1, help="Delete recordings after N days (omit: keep)."
    ),
    conversation_days: int | None = typer.Option(
        None, "--conversation-days", min=1, help="Delete conversations after N days (omit: keep)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create or replace a policy; an agent's policy replaces the default for that agent."""
    from parley.conversations import retention

    wanted = retention.PolicyIn(
        agent=agent, audio_days=audio_days, conversation_days=conversation_days
    )

    async def work(session: AsyncSession) -> Any:
        return await retention.set_policy(session, wanted, actor=author())

    policy = with_session(work)
    if as_json:
        print_json(policy)
        return
    console().print(
        f"{policy.agent}: audio {_days(policy.audio_days)}, "
        f"conversations {_days(policy.conversation_days)}"
    )


@app.command("remove")
def remove(agent: str = typer.Argument(..., help="Parley agent name, or '*'.")) -> None:
    """Drop a policy (an agent's conversations fall back to the default)."""
    from parley.conversations import retention

    async def work(session: AsyncSession) -> None:
        await retention.remove_policy(session, agent, actor=author())

    with_session(work)
    console().print(f"Removed the retention policy for {agent}.")


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """Every policy."""
    from parley.conversations import retention

    policies = with_session(retention.list_policies)
    if as_json:
        print_json(policies)
        return
    if not policies:
        console().print("No retention policies: everything is kept.")
    for policy in policies:
        console().print(
            f"{policy.agent}: audio {_days(policy.audio_days)}, "
            f"conversations {_days(policy.conversation_days)}"
        )


@app.command("apply")
def apply(
    queue: bool = typer.Option(
        False, "--queue", help="Queue a conversations.retention job for a runner instead."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete what the policies say is too old, now (run it daily, e.g. from cron)."""
    from parley.conversations import retention

    if queue:
        from parley.db.base import utcnow
        from parley.jobs import enqueue

        async def queued(session: AsyncSession) -> Any:
            # One retention job a day however often this runs.
            key = utcnow().date().isoformat()
            return await enqueue(session, retention.RETENTION, {}, dedupe_key=key)

        job = with_session(queued)
        if as_json:
            print_json({"job": job})
        else:
            console().print(f"Queued job {job}." if job else "Already queued today.")
        return

    async def work(session: AsyncSession) -> Any:
        return await retention.apply(session, data_dir=settings().data_dir, actor=author())

    report = with_session(work)
    if as_json:
        print_json(report)
        return
    console().print(
        f"Deleted {report.conversations_deleted} conversation(s) "
        f"and {report.audio_deleted} recording(s)."
    )
