"""`parley jobs ...`: run the job runner (once or as a worker), list jobs, replay a parked one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from parley.cli.runtime import JSON_OPTION, console, print_json, settings, with_session, with_units

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

app = typer.Typer(help="Background jobs: webhook processing and other persisted work.")


@app.command()
def run(
    once: bool = typer.Option(False, "--once", help="Run what is due now, then exit."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run due jobs: once, or as a worker until interrupted (scale-out mode)."""
    from parley.jobs.runner import Runner
    from parley.jobs.schemas import JobContext

    async def work(units: async_sessionmaker[AsyncSession]) -> Any:
        runner = Runner(units, JobContext(settings()))
        if once:
            return await runner.run_once()
        await runner.run_forever()
        return None

    report = with_units(work)
    if report is None:
        return
    if as_json:
        print_json(report)
        return
    console().print(f"done {report.done}, retried {report.retried}, parked {report.parked}")


@app.command("list")
def list_(
    status: str | None = typer.Option(None, "--status", help="queued, running, done or parked."),
    kind: str | None = typer.Option(None, "--kind", help="Only jobs of this kind."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    as_json: bool = JSON_OPTION,
) -> None:
    """List jobs, newest first (parked jobs show their last error)."""
    from rich.table import Table

    from parley.jobs import service

    async def work(session: AsyncSession) -> Any:
        return await service.list_jobs(session, status=status, kind=kind, limit=limit)

    rows = with_session(work)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "kind", "status", "attempts", "run after", "last error", box=None)
    for row in rows:
        table.add_row(
            str(row.id),
            row.kind,
            row.status,
            str(row.attempts),
            f"{row.run_after:%Y-%m-%d %H:%M:%S}",
            (row.last_error or "")[:80],
        )
    console().print(table)


@app.command()
def replay(job_id: int, as_json: bool = JSON_OPTION) -> None:
    """Queue a parked (or finished) job again with a fresh count of attempts."""
    from parley.jobs import service

    async def work(session: AsyncSession) -> Any:
        return await service.replay(session, job_id)

    job = with_session(work)
    if as_json:
        print_json(job)
        return
    console().print(f"job {job.id} ({job.kind}) queued again")
