"""Rich rendering of resources results: one line per tool or document and provider."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.markup import escape

from parley.cli.agents_output import TARGET_STYLE, report_details, tally

if TYPE_CHECKING:
    from rich.console import Console

    from parley.resources.service import ResourceItem

STYLE = {**TARGET_STYLE, "delete": "red"}


def items(out: Console, found: Sequence[ResourceItem], *, applied: bool = False) -> None:
    for item in found:
        remote = f" ({item.remote_id})" if item.remote_id else ""
        out.print(
            f"[{STYLE[item.action]}]{item.action:>10}[/]  {item.kind} "
            f"[bold]{escape(item.name)}[/] on {item.target}{escape(remote)}"
        )
        losses = [f"not carried over: {loss}" for loss in item.losses]
        report_details(out, item, item.action, losses)
    summary = tally(item.action for item in found)
    out.print(f"\nResources {'applied' if applied else 'on providers'}: {summary}.\n")
