"""Field-level differences between two specs, with unified diffs for long texts such as prompts."""

from __future__ import annotations

import difflib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from parley.agents.problems import format_path

ChangeKind = Literal["added", "removed", "changed"]
LONG_TEXT = 80


class FieldChange(BaseModel):
    """One field that differs: its path, how, and both values."""

    model_config = ConfigDict(frozen=True)

    path: str
    kind: ChangeKind
    old: Any = None
    new: Any = None
    text_diff: str | None = None  # unified diff when old and new are long texts

    def summary(self) -> str:
        if self.kind == "added":
            return f"+ {self.path}: {_show(self.new)}"
        if self.kind == "removed":
            return f"- {self.path}: {_show(self.old)}"
        if self.text_diff is not None:
            return f"~ {self.path}: (text changed, see diff)"
        if isinstance(self.old, list) and isinstance(self.new, list):
            added = [_show(v) for v in self.new if v not in self.old]
            removed = [_show(v) for v in self.old if v not in self.new]
            if added or removed:
                parts = [f"+{v}" for v in added] + [f"-{v}" for v in removed]
                return f"~ {self.path}: {' '.join(parts)}"
            return f"~ {self.path}: reordered {_show(self.new)}"
        return f"~ {self.path}: {_show(self.old)} -> {_show(self.new)}"


def diff_specs(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """Every leaf that differs between two normalised specs, in document order."""
    changes: list[FieldChange] = []
    _walk(old, new, (), changes)
    return changes


def _walk(old: Any, new: Any, path: tuple[str | int, ...], out: list[FieldChange]) -> None:
    if isinstance(old, dict) and isinstance(new, dict) and old and new:
        for key in list(old) + [k for k in new if k not in old]:
            child = (*path, key)
            if key not in new:
                out.append(FieldChange(path=format_path(child), kind="removed", old=old[key]))
            elif key not in old:
                out.append(FieldChange(path=format_path(child), kind="added", new=new[key]))
            else:
                _walk(old[key], new[key], child, out)
        return
    if old == new:
        return
    where = format_path(path)
    if isinstance(old, str) and isinstance(new, str) and _is_long(old, new):
        out.append(
            FieldChange(
                path=where, kind="changed", old=old, new=new, text_diff=unified(old, new, where)
            )
        )
    else:
        out.append(FieldChange(path=where, kind="changed", old=old, new=new))


def _is_long(*texts: str) -> bool:
    return any("\n" in t or len(t) > LONG_TEXT for t in texts)


def unified(old: str, new: str, label: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{label}",
        tofile=f"b/{label}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def as_changes(found: list[tuple[str, Any, Any]]) -> list[FieldChange]:
    """(path, old, new) triples, e.g. from `providers.projection.differences`, as changes."""
    return [FieldChange(path=path, kind="changed", old=a, new=b) for path, a, b in found]


class RemoteReport(BaseModel):
    """What happened (or would happen) to one agent or resource on one provider."""

    name: str
    target: str
    remote_id: str | None = None
    changes: list[FieldChange] = Field(default_factory=list)
    drift: list[FieldChange] = Field(default_factory=list)
    losses: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    not_kept: list[FieldChange] = Field(default_factory=list)
    adopted: bool = False
    error: str | None = None
