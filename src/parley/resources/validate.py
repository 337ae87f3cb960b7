"""Validation of resource files (tools, knowledge) and of the references agents make to them.

`parley.agents.validate.check_paths` routes each YAML document by its `kind` and calls into
here; problems carry file, line, column and field path exactly as for agents. An agent may only
name a tool or document that the same run defines or that Parley already manages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from parley.agents.loader import LoadedDocument
from parley.agents.problems import Problem
from parley.agents.spec import AgentSpec
from parley.resources.spec import (
    MODELS,
    RESOURCE_KINDS,
    KnowledgeSpec,
    ResourceSpec,
    ToolSpec,
    header_variables,
)

AGENT_KINDS = (None, "agent")
HINTS = {"name": "resource names are letters, digits, ., - and _ (at most 128)"}
# name -> kind -> names Parley manages on some provider; asked only when a reference is unknown.
KnownNames = Mapping[str, set[str]]
KnownLookup = Callable[[], KnownNames]


@dataclass
class CheckedResource:
    """One resource file after validation: the spec when it has no errors, and its problems."""

    file: str
    kind: str
    spec: ResourceSpec | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.spec is not None and not any(p.severity == "error" for p in self.problems)


def kind_of(doc: LoadedDocument) -> str | None:
    """`tool`, `knowledge`, None for an agent, or the unknown value itself (an error later)."""
    if not isinstance(doc.data, dict):
        return None
    value = doc.data.get("kind")
    return None if value in AGENT_KINDS else str(value)


def without_agent_kind(doc: LoadedDocument) -> LoadedDocument:
    """An agent document with `kind: agent` removed (agent specs have no `kind` field)."""
    if isinstance(doc.data, dict) and doc.data.get("kind") == "agent":
        doc.data = {k: v for k, v in doc.data.items() if k != "kind"}
    return doc


def check_resource(doc: LoadedDocument, kind: str) -> CheckedResource:
    from parley.agents.validate import _shape_problems

    checked = CheckedResource(file=doc.file, kind=kind, spec=None, problems=list(doc.problems))
    if kind not in RESOURCE_KINDS:
        known = ", ".join(("agent", *RESOURCE_KINDS))
        checked.problems.append(
            doc.problem(("kind",), "unknown_kind", f"unknown kind {kind!r}; use one of {known}")
        )
        return checked
    model = MODELS[kind]
    try:
        spec = model.model_validate(doc.data)
    except ValidationError as exc:
        checked.problems.extend(_shape_problems(doc, exc, model, HINTS))
        return checked
    if isinstance(spec, KnowledgeSpec) and spec.source.file is not None:
        path = Path(doc.file).parent / spec.source.file
        if not path.is_file():
            checked.problems.append(
                doc.problem(("source", "file"), "file_not_found", f"no such file: {path}")
            )
    checked.spec = spec
    return checked


def flag_duplicates(checked: list[CheckedResource], docs: list[LoadedDocument]) -> None:
    """Two files defining the same tool (or the same document) are both errors."""
    holders: dict[tuple[str, str], list[tuple[CheckedResource, LoadedDocument]]] = defaultdict(list)
    for item, doc in zip(checked, docs, strict=True):
        if item.spec is not None:
            holders[(item.kind, item.spec.name)].append((item, doc))
    for (kind, name), found in holders.items():
        for item, doc in found if len(found) > 1 else []:
            others = ", ".join(d.file for c, d in found if c is not item)
            item.problems.append(
                doc.problem(
                    ("name",), "duplicate_name", f"{kind} {name!r} is also defined in {others}"
                )
            )


def check_references(
    agents: list[tuple[AgentSpec | None, LoadedDocument, list[Problem]]],
    resources: list[CheckedResource],
    known: KnownLookup | None,
) -> None:
    """Each tool/knowledge name an agent uses must be defined in this run or managed already.

    `known` (Parley's database) is asked only when the files alone leave a name unresolved, so
    validating a complete folder never needs a database.
    """
    defined: dict[str, dict[str, ResourceSpec]] = {k: {} for k in RESOURCE_KINDS}
    for item in resources:
        if item.spec is not None:
            defined[item.kind][item.spec.name] = item.spec
    managed: KnownNames | None = None
    for spec, doc, problems in agents:
        if spec is None:
            continue
        for kind, names in (("tool", spec.tools), ("knowledge", spec.knowledge)):
            for index, name in enumerate(names):
                path = ("tools" if kind == "tool" else "knowledge", index)
                found = defined[kind].get(name)
                if isinstance(found, ToolSpec):
                    problems.extend(_tool_variables(doc, spec, found, path))
                    continue
                if found is not None:
                    continue
                if managed is None:
                    managed = known() if known is not None else {}
                if name in managed.get(kind, set()):
                    continue
                problems.append(
                    doc.problem(
                        path,
                        "unknown_reference",
                        f"{kind} {name!r} is not defined in these files and not managed by "
                        f"Parley: add a file with `kind: {kind}` and `name: {name}`",
                    )
                )


def _tool_variables(
    doc: LoadedDocument, agent: AgentSpec, tool: ToolSpec, path: tuple[str, int]
) -> list[Problem]:
    """A tool's header `{{variables}}` come from the agent's secret variables."""
    problems = []
    for name in sorted(header_variables(tool)):
        variable = agent.variables.get(name)
        if variable is None or not variable.secret:
            problems.append(
                doc.problem(
                    path,
                    "tool_variable_not_secret",
                    f"tool {tool.name!r} sends {{{{{name}}}}} in a header: declare it under "
                    "`variables` with `secret: true`",
                )
            )
    return problems
