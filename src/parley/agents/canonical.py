"""Normal form and content address of a spec, and its YAML export.

The stored form of a version is the spec with every default filled in; its hash is SHA-256 over
canonical JSON (sorted keys, no whitespace, defaults left out), so the same content always gets
the same hash no matter how the YAML was written. Export drops defaults again and writes long
texts as YAML block scalars, so exported files read like hand-written ones and plan unchanged.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml

from parley.agents.spec import AgentSpec


def normalise(spec: AgentSpec) -> dict[str, Any]:
    return spec.model_dump(mode="json")


def content_hash(spec: AgentSpec) -> str:
    """SHA-256 over what the spec says, defaults left out.

    Leaving defaults out keeps hashes stable when a later Parley adds a field with a default:
    re-applying an unchanged file stays a no-op. The stored version still pins every default.
    """
    said = spec.model_dump(mode="json", exclude_defaults=True)
    canonical = json.dumps(said, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def short_hash(full: str) -> str:
    return full.removeprefix("sha256:")[:12]


class _ExportDumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Block scalars cannot keep trailing spaces on a line; such texts stay quoted.
    if "\n" in value and not any(line != line.rstrip() for line in value.splitlines()):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_ExportDumper.add_representer(str, _str_representer)


def to_yaml(normal: dict[str, Any]) -> str:
    """YAML for a stored spec, defaults omitted; loading it back gives the same content hash."""
    spec = AgentSpec.model_validate(normal)
    data = spec.model_dump(mode="json", exclude_defaults=True)
    return yaml.dump(data, Dumper=_ExportDumper, sort_keys=False, allow_unicode=True, width=100)
