"""What the resources flow reports: one line per tool or document and provider."""

from __future__ import annotations

from typing import Literal

from parley.agents.diff import RemoteReport

ResourceAction = Literal[
    "create", "recreate", "update", "unchanged", "drift", "blocked", "failed", "delete"
]


class ResourceItem(RemoteReport):
    kind: str
    action: ResourceAction
