"""Rich rendering of conversations: the sync report and progress, the list, one transcript."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console

    from parley.conversations.schemas import (
        ConversationDetail,
        ConversationSummary,
        SyncCounts,
        SyncReport,
    )

VERDICT = {True: "[green]yes[/]", False: "[red]no[/]", None: "[dim]-[/]"}
SUMMARY_WIDTH = 60


@contextmanager
def sync_progress(quiet: bool) -> Iterator[Callable[[SyncCounts], None] | None]:
    """A Rich progress bar per provider on stderr (None when quiet)."""
    if quiet:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from parley.cli.runtime import console

    with Progress(
        TextColumn("syncing {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def step(counts: SyncCounts) -> None:
            if counts.provider not in tasks:
                tasks[counts.provider] = bar.add_task(counts.provider, total=counts.seen)
            done = counts.new + counts.updated + counts.unchanged + counts.skipped_live
            bar.update(tasks[counts.provider], completed=done)

        yield step


def sync_report(out: Console, report: SyncReport) -> None:
    if not report.providers:
        out.print("No provider has an API key: nothing to sync.")
        return
    for p in report.providers:
        mark = p.watermark.isoformat(timespec="seconds") if p.watermark else "-"
        out.print(
            f"{p.provider}: {p.seen} seen, {p.new} new, {p.updated} updated, "
            f"{p.unchanged} unchanged, {p.skipped_live} still running; watermark {mark}"
        )


def _agent(item: ConversationSummary) -> str:
    if item.agent is None:
        return f"[dim]{escape(item.remote_agent_id or '?')}[/]"
    return f"{escape(item.agent)} v{item.version}" if item.version else escape(item.agent)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def conversation_table(out: Console, items: Sequence[ConversationSummary]) -> None:
    if not items:
        out.print("No conversations.")
        return
    rows = [
        [
            str(item.id),
            item.started_at.strftime("%m-%d %H:%M"),
            item.provider,
            _agent(item),
            _duration(item.duration_s),
            VERDICT[item.successful],
        ]
        for item in items
    ]
    headers = ("id", "time", "provider", "agent", "duration", "success")
    widths = [
        max(len(name), *(Text.from_markup(row[i]).cell_len for row in rows))
        for i, name in enumerate(headers)
    ]
    # Every other column keeps its full width and the summary gets what the terminal has left;
    # on a terminal too narrow even for that, the table runs wider rather than cutting ids.
    fixed = sum(widths) + 3 * len(headers) + 1
    room = max(16, min(SUMMARY_WIDTH, out.width - fixed - 1))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, width=fixed + room + 1)
    for name, width in zip(headers, widths, strict=True):
        table.add_column(name, no_wrap=True, width=width)
    table.add_column("summary", no_wrap=True, width=room)
    for row, item in zip(rows, items, strict=True):
        summary = item.summary or ""
        if len(summary) > room:
            summary = summary[: room - 1] + "…"
        table.add_row(*row, escape(summary))
    out.print(table)


def conversation(out: Console, detail: ConversationDetail) -> None:
    out.print(f"[bold]Conversation {detail.id}[/] ({detail.provider} {escape(detail.remote_id)})")
    out.print(f"  agent:     {_agent(detail)}")
    out.print(f"  started:   {detail.started_at.isoformat(timespec='seconds')}")
    out.print(f"  duration:  {_duration(detail.duration_s)}  ({detail.status})")
    out.print(f"  channel:   {detail.channel}, {detail.direction}")
    if detail.caller_masked:
        out.print(f"  caller:    {detail.caller_masked}")
    if detail.user_id:
        out.print(f"  user:      {escape(detail.user_id)}")
    if detail.cost is not None:
        out.print(f"  cost:      {detail.cost:g} {detail.cost_unit or ''}")
    out.print(f"  success:   {VERDICT[detail.successful]}")
    if detail.termination_reason:
        out.print(f"  ended:     {escape(detail.termination_reason)}")
    if detail.summary:
        out.print(f"  summary:   {escape(detail.summary)}")
    for criterion, result in detail.evaluation.items():
        out.print(f"  eval:      {escape(criterion)}: {escape(str(result.get('result')))}")
    for field, value in detail.data_collection.items():
        if value.get("value") is not None:
            out.print(f"  data:      {escape(field)} = {escape(str(value['value']))}")
    out.print()
    for turn in detail.turns:
        at = f"{turn.offset_s:>6.1f}s" if turn.offset_s is not None else "      -"
        cut = " [dim](interrupted)[/]" if turn.interrupted else ""
        if turn.role == "tool" or not turn.text:
            for call in turn.tool_calls:
                out.print(f"[dim]{at}  tool call   {escape(str(call.get('name')))}[/]")
            for result in turn.tool_results:
                out.print(f"[dim]{at}  tool result {escape(str(result.get('name')))}[/]")
            if turn.role == "tool" or not (turn.tool_calls or turn.tool_results):
                continue
        style = "cyan" if turn.role == "agent" else "bold"
        out.print(f"{at}  [{style}]{turn.role:<5}[/] {escape(turn.text)}{cut}")


@contextmanager
def export_progress(total: int, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr over `total` conversations; yields "n more written"."""
    if quiet:
        yield lambda _n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from parley.cli.runtime import console

    with Progress(
        TextColumn("exporting"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("export", total=total)
        yield lambda n: bar.advance(task, n)
