"""`parley analytics`: one agent's conversations summarised per version, day or provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from parley.cli.runtime import JSON_OPTION, console, fail, print_json, with_session

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.ext.asyncio import AsyncSession

    from parley.analytics.schemas import AnalyticsGroup, AnalyticsReport, Percentiles


def analytics(
    agent: str = typer.Option(..., "--agent", help="Parley agent name."),
    version: int | None = typer.Option(None, "--version", min=1, help="Only this version."),
    provider: str | None = typer.Option(None, "--provider", help="Only this provider."),
    since: str | None = typer.Option(
        None, "--since", help="Started at or after (ISO 8601; default: 30 days before --until)."
    ),
    until: str | None = typer.Option(None, "--until", help="Started before (default: now)."),
    by: str | None = typer.Option(None, "--by", help="Group by version, day or provider."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Conversations, success rate, duration, latency, cost, tools and outcomes of an agent."""
    from parley.analytics import service
    from parley.analytics.routes import default_range
    from parley.analytics.schemas import GROUP_BYS
    from parley.cli.conversations import _when

    if by is not None and by not in GROUP_BYS:
        fail(f"--by must be one of {', '.join(GROUP_BYS)}, not {by!r}")
    start, end = default_range(_when(since, "--since"), _when(until, "--until"))

    async def work(session: AsyncSession) -> Any:
        return await service.summarise(
            session,
            agent=agent,
            version=version,
            provider=provider,
            since=start,
            until=end,
            group_by=by,
        )

    report = with_session(work)
    if as_json:
        print_json(report)
        return
    render(console(), report)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _spread(p: Percentiles, *, p99: bool = True) -> str:
    if p.p50 is None:
        return "-"
    parts = [_num(p.p50), _num(p.p90)] + ([_num(p.p99)] if p99 else [])
    return "/".join(parts)


def _cost(group: AnalyticsGroup) -> tuple[str, str]:
    """Per conversation and per success, one line per unit (units are never added up)."""
    per = [f"{c.per_conversation:.4g} {c.unit or ''}".strip() for c in group.costs]
    won = [
        f"{c.per_successful:.4g} {c.unit or ''}".strip()
        for c in group.costs
        if c.per_successful is not None
    ]
    return "\n".join(per) or "-", "\n".join(won) or "-"


def render(out: Console, report: AnalyticsReport) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    since = report.since.isoformat(timespec="seconds") if report.since else "-"
    until = report.until.isoformat(timespec="seconds") if report.until else "-"
    out.print(f"[bold]{escape(report.agent)}[/] conversations from {since} to {until}")
    if not report.groups:
        out.print("No conversations in this range.")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    headers = [report.group_by or "", "convs", "success", "duration s", "latency s"]
    for name in headers:
        table.add_column(name, no_wrap=True)
    table.add_column("cost per\nconv.")
    table.add_column("cost per\nsuccess")
    for group in report.groups:
        rate = "-" if group.success_rate is None else f"{group.success_rate:.0%}"
        table.add_row(
            escape(group.key or "none"),
            str(group.conversations),
            f"{rate} ({group.successful}/{group.successful + group.failed})",
            _spread(group.duration_s),
            _spread(group.latency_s, p99=False),
            *_cost(group),
        )
    out.print(table)
    out.print("[dim]duration p50/p90/p99, latency p50/p90 per agent turn[/]")
    for group in report.groups:
        lines = _details(group)
        if lines:
            out.print(f"[bold]{escape(group.key or 'none')}[/]")
            for line in lines:
                out.print(f"  {escape(line)}")


def _details(group: AnalyticsGroup) -> list[str]:
    """Termination reasons, tool usage and data collection of one group, one line each."""
    lines = []
    if group.termination_reasons:
        reasons = ", ".join(f"{r} ({n})" for r, n in group.termination_reasons.items())
        lines.append(f"ended: {reasons}")
    if group.tool_usage:
        lines.append("tools: " + ", ".join(f"{t} ({n})" for t, n in group.tool_usage.items()))
    for item in group.data_collection:
        if item.kind == "boolean":
            lines.append(f"data {item.field}: {item.true} true, {item.false} false")
        elif item.kind == "number":
            lines.append(f"data {item.field}: mean {_num(item.mean)} ({item.count})")
        else:
            top = ", ".join(f"{v.value} ({v.count})" for v in item.top or [])
            lines.append(f"data {item.field}: {top}")
    return lines
