"""Validation of spec files: every problem at once, each with file, line, column and field path.

Three layers: YAML syntax (loader), the spec's shape and types (pydantic), and meaning (templates
against declared variables, secrets kept out of what the LLM sees, names unique across files).
"""

from __future__ import annotations

import difflib
import types
import typing
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from parley.agents.loader import FieldPath, LoadedDocument, find_spec_files, load_file, load_text
from parley.agents.problems import Problem
from parley.agents.spec import TEMPLATE, AgentSpec
from parley.resources import validate as resource_checks

SYSTEM_VARIABLE_PREFIX = "system__"
# Regex patterns make poor messages; these say the rule instead, keyed by the field's name.
PATTERN_HINTS = {
    "name": "use lowercase letters, digits, - and _, starting with a letter or digit (max 64)",
    "language": "use a language code such as en, de or pt-BR",
    "variables": "names are letters, digits and _, starting with a letter",
    "data_collection": "names are letters, digits and _, starting with a letter",
    "evaluation": "ids are letters, digits and _, starting with a letter",
    "tools": "tool names are letters, digits, ., - and _",
    "knowledge": "document names are letters, digits, ., - and _",
}
TEMPLATED_FIELDS = ("system_prompt", "first_message")


@dataclass
class CheckedSpec:
    """One file after validation: the spec when it has no errors, and all its problems."""

    file: str
    spec: AgentSpec | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.spec is not None and not any(p.severity == "error" for p in self.problems)


@dataclass
class CheckReport:
    specs: list[CheckedSpec] = field(default_factory=list)  # agents only
    problems: list[Problem] = field(default_factory=list)  # not tied to one parsed spec
    resources: list[resource_checks.CheckedResource] = field(
        default_factory=list
    )  # tools, knowledge

    @property
    def valid(self) -> list[AgentSpec]:
        return [c.spec for c in self.specs if c.ok and c.spec is not None]

    @property
    def valid_resources(self) -> list[resource_checks.CheckedResource]:
        return [r for r in self.resources if r.ok]

    @property
    def all_problems(self) -> list[Problem]:
        out = list(self.problems)
        for checked in self.specs:
            out.extend(checked.problems)
        for resource in self.resources:
            out.extend(resource.problems)
        return out

    @property
    def error_count(self) -> int:
        return sum(p.severity == "error" for p in self.all_problems)


def check_paths(
    paths: list[Path], *, known: resource_checks.KnownLookup | None = None
) -> CheckReport:
    """Load and validate every spec under `paths`; duplicate names are errors in each file.

    Documents are routed by `kind` (none or `agent`: an agent; `tool`, `knowledge`: a resource).
    Names agents reference must be defined among the resources or, through `known`, be
    managed by Parley already.
    """
    files, problems = find_spec_files(paths)
    report = CheckReport(problems=problems)
    if not files and not problems:
        report.problems.append(
            Problem(", ".join(map(str, paths)), 1, 1, "", "error", "no_specs", "no .yaml files")
        )
    docs = [load_file(path) for path in files]
    agent_docs = [
        resource_checks.without_agent_kind(d) for d in docs if resource_checks.kind_of(d) is None
    ]
    resource_docs = [d for d in docs if resource_checks.kind_of(d) is not None]
    report.specs = [check_document(doc) for doc in agent_docs]
    report.resources = [
        resource_checks.check_resource(d, str(resource_checks.kind_of(d))) for d in resource_docs
    ]
    _flag_duplicate_names(report, agent_docs)
    resource_checks.flag_duplicates(report.resources, resource_docs)
    agents = [(c.spec, d, c.problems) for c, d in zip(report.specs, agent_docs, strict=True)]
    resource_checks.check_references(agents, report.resources, known)
    return report


def check_document(doc: LoadedDocument) -> CheckedSpec:
    checked = CheckedSpec(file=doc.file, spec=None, problems=list(doc.problems))
    if any(p.severity == "error" for p in doc.problems) and doc.data is None:
        return checked
    if not isinstance(doc.data, dict):
        checked.problems.append(
            doc.problem((), "not_a_mapping", "an agent spec is a mapping of fields (name: ...)")
        )
        return checked
    try:
        spec = AgentSpec.model_validate(doc.data)
    except ValidationError as exc:
        checked.problems.extend(_shape_problems(doc, exc))
        return checked
    checked.problems.extend(_template_problems(doc, spec))
    checked.spec = spec
    return checked


def _flag_duplicate_names(report: CheckReport, docs: list[LoadedDocument]) -> None:
    by_name: dict[str, list[tuple[CheckedSpec, LoadedDocument]]] = defaultdict(list)
    for checked, doc in zip(report.specs, docs, strict=True):
        if checked.spec is not None:
            by_name[checked.spec.name].append((checked, doc))
    for name, holders in by_name.items():
        if len(holders) < 2:
            continue
        for checked, doc in holders:
            others = ", ".join(d.file for c, d in holders if c is not checked)
            checked.problems.append(
                doc.problem(
                    ("name",), "duplicate_name", f"agent {name!r} is also defined in {others}"
                )
            )


def _shape_problems(
    doc: LoadedDocument,
    exc: ValidationError,
    model: type[BaseModel] = AgentSpec,
    hints: dict[str, str] | None = None,
) -> list[Problem]:
    hints = {**PATTERN_HINTS, **(hints or {})}
    problems = []
    for error in exc.errors(include_url=False):
        loc: FieldPath = tuple(error["loc"])
        kind = error["type"]
        if kind == "string_pattern_mismatch":
            field_name = next((str(p) for p in loc if str(p) in hints), "")
            hint = hints.get(field_name, error["msg"])
            where = loc[:-1] if loc and loc[-1] == "[key]" else loc
            problems.append(
                doc.problem(where, "invalid_format", f"{hint} (got {error['input']!r})", key=True)
            )
        elif kind == "extra_forbidden":
            problems.append(
                doc.problem(loc, "unknown_field", _unknown_field_message(loc, model), key=True)
            )
        elif kind == "missing":
            problems.append(
                doc.problem(loc[:-1], "missing_field", f"missing required field {loc[-1]!r}")
            )
        else:
            message = error["msg"]
            if "input" in error and not isinstance(error["input"], dict | list):
                message += f" (got {error['input']!r})"
            problems.append(doc.problem(loc, kind, message))
    return problems


def _unknown_field_message(loc: FieldPath, model: type[BaseModel] = AgentSpec) -> str:
    name = str(loc[-1])
    known = _fields_at(loc[:-1], model)
    message = f"unknown field {name!r}"
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    elif known:
        message += f"; allowed: {', '.join(known)}"
    return message


def _fields_at(path: FieldPath, root: type[BaseModel] = AgentSpec) -> list[str]:
    """The field names the spec allows at `path` (for "did you mean" hints)."""
    annotation: Any = root
    for part in path:
        model = _model_in(annotation)
        if model is not None and isinstance(part, str) and part in model.model_fields:
            annotation = model.model_fields[part].annotation
            continue
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[-1] if args else None
    model = _model_in(annotation)
    return list(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None


def _template_problems(doc: LoadedDocument, spec: AgentSpec) -> list[Problem]:
    problems: list[Problem] = []
    used: set[str] = set()
    for field_name in TEMPLATED_FIELDS:
        text: str = getattr(spec, field_name)
        for match in TEMPLATE.finditer(text):
            name = match.group(1)
            used.add(name)
            path: FieldPath = (field_name,)
            line, column = _template_position(doc, path, match.group(0))
            variable = spec.variables.get(name)
            if name.startswith(SYSTEM_VARIABLE_PREFIX):
                continue
            if variable is None:
                problems.append(
                    Problem(
                        doc.file, line, column, field_name, "error", "undeclared_variable",
                        f"{{{{{name}}}}} is used but not declared under `variables`",
                    )
                )  # fmt: skip
            elif variable.secret:
                problems.append(
                    Problem(
                        doc.file, line, column, field_name, "error", "secret_in_prompt",
                        f"secret variable {{{{{name}}}}} must not appear in the {field_name}: "
                        "secrets reach tool headers only, never the LLM",
                    )
                )  # fmt: skip
    for name, variable in spec.variables.items():
        if name not in used and not variable.secret:
            problems.append(
                doc.problem(
                    ("variables", name),
                    "unused_variable",
                    f"variable {name!r} is declared but not used in the prompt or first message",
                    severity="warning",
                    key=True,
                )
            )
        if variable.secret and variable.default is not None:
            problems.append(
                doc.problem(
                    ("variables", name, "default"),
                    "secret_default",
                    "a secret variable cannot have a default: it would be stored with every "
                    "version and shown in plans; supply it per conversation",
                )
            )
        elif variable.required and variable.default is not None:
            problems.append(
                doc.problem(
                    ("variables", name, "default"),
                    "default_ignored",
                    "a required variable's default is never used",
                    severity="warning",
                )
            )
    return problems


def _template_position(doc: LoadedDocument, path: FieldPath, token: str) -> tuple[int, int]:
    """Where `token` appears in the raw text of the scalar at `path` (its start when not found)."""
    span = doc.node_spans.get(path)
    if span is not None:
        first, last, _style = span
        lines = doc.text.splitlines()
        for index in range(first, min(last + 1, len(lines))):
            column = lines[index].find(token)
            if column >= 0:
                return index + 1, column + 1
    return doc.position_of(path)


def check_input(*, data: Any = None, yaml_text: str | None = None, source: str) -> CheckedSpec:
    """Validate a spec that arrived as data or YAML text (the API), not as a file."""
    if yaml_text is not None:
        return check_document(load_text(yaml_text, source))
    return check_document(LoadedDocument(file=source, text="", data=data))
