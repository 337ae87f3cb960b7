"""Rich rendering of resources results: one line per tool or document and provider."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.markup import escape

from parley.cli.agents_output import TARGET_STYLE, changes

if TYPE_CHECKING:
    from rich.console import Console

    from parley.resources.service import ResourceItem

STYLE = {**TARGET_STYLE, "delete": "red"}
INDENT = "            "


def items(out: Console, found: Sequence[ResourceItem], *, applied: bool = False) -> None:
    for item in found:
        remote = f" ({item.remote_id})" if item.remote_id else ""
        out.print(
            f"[{STYLE[item.action]}]{item.action:>10}[/]  {item.kind} "
            f"[bold]{escape(item.name)}[/] on {item.target}{escape(remote)}"
        )
        if item.error:
            out.print(f"{INDENT}[red]{escape(item.error)}[/]")
        for note in item.notes:
            out.print(f"{INDENT}[yellow]{escape(note)}[/]")
        if item.action == "drift":
            out.print(f"{INDENT}changed outside Parley (apply --force overwrites):")
            for change in item.drift:
                out.print(
                    f"{INDENT}  [red]{escape(change.path)}[/]: Parley wrote "
                    f"{escape(repr(change.old))[:60]}, now {escape(repr(change.new))[:60]}"
                )
        changes(out, item.changes, indent=INDENT)
        if item.action not in ("unchanged", "failed"):
            for loss in item.losses:
                out.print(f"{INDENT}[yellow]not carried over: {escape(loss)}[/]")
        for change in item.not_kept:
            out.print(f"{INDENT}[red]not kept by {item.target}: {escape(change.path)}[/]")
    counts: dict[str, int] = {}
    for item in found:
        counts[item.action] = counts.get(item.action, 0) + 1
    summary = ", ".join(f"{n} {action}" for action, n in sorted(counts.items()))
    out.print(f"\nResources {'applied' if applied else 'on providers'}: {summary}.\n")
