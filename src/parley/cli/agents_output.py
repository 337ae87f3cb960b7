"""Rich rendering of agents results: problems, plans, apply reports, lists, history, diffs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

if TYPE_CHECKING:
    from rich.console import Console

    from parley.agents.diff import FieldChange, RemoteReport
    from parley.agents.problems import Problem
    from parley.agents.remote import TargetItem
    from parley.agents.schemas import (
        AgentSummary,
        AppliedItem,
        PlanItem,
        VersionDetail,
        VersionSummary,
    )

ACTION_STYLE = {
    "create": "green",
    "update": "yellow",
    "restore": "cyan",
    "unchanged": "dim",
}
ACTION_WORD = {
    "create": "new agent",
    "update": "new version",
    "restore": "restore (unarchive)",
    "unchanged": "unchanged",
}


def problems(out: Console, found: Sequence[Problem]) -> None:
    for problem in found:
        colour = "red" if problem.severity == "error" else "yellow"
        out.print(f"[{colour}]{escape(str(problem))}[/]")


def changes(out: Console, found: Sequence[FieldChange], indent: str = "    ") -> None:
    for change in found:
        colour = {"added": "green", "removed": "red", "changed": "yellow"}[change.kind]
        out.print(f"{indent}[{colour}]{escape(change.summary())}[/]")
        if change.text_diff:
            unified_diff(out, change.text_diff, indent + "  ")


def unified_diff(out: Console, text: str, indent: str) -> None:
    for line in text.splitlines():
        colour = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1], "default")
        if line.startswith(("+++", "---")):
            colour = "bold"
        out.print(f"{indent}[{colour}]{escape(line)}[/]")


def plan(out: Console, items: Sequence[PlanItem]) -> None:
    for item in items:
        style = ACTION_STYLE[item.action]
        word = ACTION_WORD[item.action]
        version = ""
        if item.action == "update":
            version = f" (v{item.current_version} -> v{(item.current_version or 0) + 1})"
        elif item.action == "create":
            version = " (v1)"
        out.print(f"[{style}]{word:>12}[/]  [bold]{escape(item.name)}[/]{version}")
        changes(out, item.changes)
    counts = {a: sum(i.action == a for i in items) for a in ACTION_STYLE}
    out.print(
        f"\nPlan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['restore']} to restore, {counts['unchanged']} unchanged."
    )


def applied(out: Console, items: Sequence[AppliedItem]) -> None:
    for item in items:
        style = ACTION_STYLE[item.action]
        word = ACTION_WORD[item.action]
        out.print(f"[{style}]{word:>12}[/]  [bold]{escape(item.name)}[/] v{item.version}")
    counts = {a: sum(i.action == a for i in items) for a in ACTION_STYLE}
    out.print(
        f"\nApplied: {counts['create']} created, {counts['update']} new versions, "
        f"{counts['restore']} restored, {counts['unchanged']} unchanged."
    )


def agent_table(out: Console, agents: Sequence[AgentSummary]) -> None:
    table = Table("name", "version", "targets", "tags", "description", box=None)
    for agent in agents:
        name = agent.name + (" (archived)" if agent.archived else "")
        table.add_row(
            escape(name),
            f"v{agent.current_version}",
            ", ".join(agent.targets),
            escape(", ".join(agent.tags)),
            escape(agent.description[:60]),
        )
    out.print(table)


def history(out: Console, name: str, versions: Sequence[VersionSummary]) -> None:
    table = Table("", "version", "hash", "created", "author", "git", "message", box=None)
    for v in versions:
        git = (v.git_commit or "")[:8] + ("*" if v.git_dirty else "")
        message = v.message or (f"rollback to v{v.rollback_of}" if v.rollback_of else "")
        table.add_row(
            "*" if v.current else "",
            f"v{v.number}",
            v.content_hash.removeprefix("sha256:")[:12],
            v.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            escape(v.author),
            git,
            escape(message),
        )
    out.print(f"[bold]{escape(name)}[/]")
    out.print(table)


def version(out: Console, detail: VersionDetail, spec_yaml: str) -> None:
    out.print(
        f"[bold]{escape(detail.agent)}[/] v{detail.number}"
        f"{' (current)' if detail.current else ''}  {detail.content_hash}"
    )
    out.print(f"by {escape(detail.author)} at {detail.created_at:%Y-%m-%d %H:%M:%S} UTC")
    if detail.message:
        out.print(f"message: {escape(detail.message)}")
    if detail.git_commit:
        out.print(f"git: {detail.git_commit}{' (uncommitted edits)' if detail.git_dirty else ''}")
    out.print(Syntax(spec_yaml, "yaml", theme="ansi_dark", background_color="default"))


TARGET_STYLE = {
    "create": "green",
    "recreate": "green",
    "update": "yellow",
    "reuse": "cyan",
    "unchanged": "dim",
    "drift": "bold red",
    "blocked": "red",
    "failed": "bold red",
}


def targets(out: Console, items: Sequence[TargetItem], *, applied: bool = False) -> None:
    """One line per agent and provider, then what changed, drifted, was lost or not kept."""
    for item in items:
        style = TARGET_STYLE[item.action]
        remote = f" ({item.remote_id})" if item.remote_id else ""
        adopted = " (adopted an identical agent)" if item.adopted else ""
        out.print(
            f"[{style}]{item.action:>10}[/]  [bold]{escape(item.name)}[/] v{item.version} "
            f"on {item.target}{escape(remote)}{adopted}"
        )
        report_details(out, item, item.action, summarise_losses(item.losses))
    summary = tally(item.action for item in items)
    out.print(f"\n{'Applied' if applied else 'Providers'}: {summary or 'nothing to do'}.")


DETAIL = "            "


def report_details(out: Console, item: RemoteReport, action: str, losses: list[str]) -> None:
    """Under an item's line: its error, notes, drift, changes, losses and what was not kept."""
    if item.error:
        out.print(f"{DETAIL}[red]{escape(item.error)}[/]")
    for note in item.notes:
        out.print(f"{DETAIL}[yellow]{escape(note)}[/]")
    if action == "drift":
        out.print(f"{DETAIL}changed outside Parley (apply --force overwrites):")
        for change in item.drift:
            out.print(
                f"{DETAIL}  [red]{escape(change.path)}[/]: Parley wrote "
                f"{escape(repr(change.old))[:60]}, now {escape(repr(change.new))[:60]}"
            )
    changes(out, item.changes, indent=DETAIL)
    if action not in ("unchanged", "failed"):
        for line in losses:
            out.print(f"{DETAIL}[yellow]{escape(line)}[/]")
    for change in item.not_kept:
        out.print(f"{DETAIL}[red]not kept by {item.target}: {escape(change.path)}[/]")


def tally(actions: Iterable[str]) -> str:
    """`2 create, 1 update`: how many items ended in each action."""
    counts: dict[str, int] = {}
    for action in actions:
        counts[action] = counts.get(action, 0) + 1
    return ", ".join(f"{n} {action}" for action, n in sorted(counts.items()))


def summarise_losses(losses: Sequence[str]) -> list[str]:
    """`ultravox: data_collection.a: why` x N -> one line per field group and reason."""
    groups: dict[tuple[str, str], list[str]] = {}
    for loss in losses:
        _target, _, rest = loss.partition(": ")
        path, _, reason = rest.partition(": ")
        group, _, leaf = path.partition(".")
        if " " in group:  # "tool x is referenced ...": not a field path
            group, leaf, reason = "references", path.split(" is ")[0], "not managed by Parley yet"
        groups.setdefault((group, reason), []).append(leaf)
    lines = []
    for (group, reason), leaves in groups.items():
        named = ", ".join(leaf for leaf in leaves if leaf)
        lines.append(f"not carried over: {group}{f' ({named})' if named else ''}: {reason}")
    return lines
