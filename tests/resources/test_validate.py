"""Resource files are routed by `kind`, checked like agents, and agents' references resolved."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from parley.agents.validate import check_paths
from parley.resources.spec import KnowledgeSpec, ToolSpec, json_schema
from tests.agents.specs import MINIMAL, WITH_VARIABLES, write

TOOL = """\
kind: tool
name: lookup
description: Look the caller up.
webhook:
  url: https://crm.example.com/people/{person_id}
  method: GET
  headers: {Authorization: "Bearer {{api_token}}"}
parameters:
  person_id: {type: string, description: The person, required: true, location: path}
"""
DOC = """\
kind: knowledge
name: faq
source: {text: "Opening hours: 9 to 5."}
"""
AGENT = WITH_VARIABLES + "tools: [lookup]\nknowledge: [faq, missing-doc]\n"


def found(report: object) -> list[tuple[str, int, int, str, str]]:
    return [
        (Path(p.file).name, p.line, p.column, p.path, p.code)
        for p in report.all_problems  # type: ignore[attr-defined]
    ]


def test_kinds_are_routed_and_agents_keep_their_behaviour(tmp_path: Path) -> None:
    write(tmp_path, "agent.yaml", "kind: agent\n" + MINIMAL)
    write(tmp_path, "tool.yaml", TOOL)
    write(tmp_path, "doc.yaml", DOC)
    report = check_paths([tmp_path])
    assert report.all_problems == []
    assert [s.name for s in report.valid] == ["greeter"]
    kinds = sorted((type(r.spec).__name__, r.kind) for r in report.valid_resources)
    assert kinds == [("KnowledgeSpec", "knowledge"), ("ToolSpec", "tool")]


def test_unknown_references_point_at_the_agents_list_entry(tmp_path: Path) -> None:
    write(tmp_path, "agent.yaml", AGENT)
    write(tmp_path, "tool.yaml", TOOL)
    write(tmp_path, "doc.yaml", DOC)
    report = check_paths([tmp_path])
    [problem] = report.all_problems
    assert (problem.line, problem.column, problem.path) == (22, 18, "knowledge[1]")
    assert problem.code == "unknown_reference"
    assert "knowledge 'missing-doc' is not defined" in problem.message
    assert report.valid == []  # an agent with an unknown reference is not applied


def test_names_parley_manages_already_count_and_are_asked_lazily(tmp_path: Path) -> None:
    write(tmp_path, "agent.yaml", WITH_VARIABLES + "tools: [lookup]\n")
    asked: list[bool] = []

    def known() -> dict[str, set[str]]:
        asked.append(True)
        return {"tool": {"lookup"}}

    assert check_paths([tmp_path], known=known).all_problems == []
    assert asked == [True]
    write(tmp_path, "tool.yaml", TOOL)
    asked.clear()
    assert check_paths([tmp_path], known=known).all_problems == []
    assert asked == []  # everything resolved from the files: no database needed


def test_resource_problems_all_at_once(tmp_path: Path) -> None:
    write(tmp_path, "unknown-kind.yaml", "kind: tol\nname: x\n")
    write(tmp_path, "typo.yaml", TOOL.replace("description:", "descripton:"))
    write(tmp_path, "two-sources.yaml", DOC.replace("source: {", "source: {url: https://a.b, "))
    write(tmp_path, "no-file.yaml", "kind: knowledge\nname: f\nsource: {file: missing.md}\n")
    write(tmp_path, "client.yaml", TOOL.replace("webhook:", "type: client\nwebhook:"))
    codes = {(name, path, code) for name, _l, _c, path, code in found(check_paths([tmp_path]))}
    assert ("unknown-kind.yaml", "kind", "unknown_kind") in codes
    assert ("typo.yaml", "descripton", "unknown_field") in codes
    assert ("two-sources.yaml", "source", "value_error") in codes
    assert ("no-file.yaml", "source.file", "file_not_found") in codes
    assert ("client.yaml", "", "value_error") in codes


def test_duplicate_names_are_per_kind(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", TOOL)
    write(tmp_path, "b.yaml", TOOL)
    write(tmp_path, "c.yaml", DOC.replace("name: faq", "name: lookup"))  # other kind: fine
    problems = found(check_paths([tmp_path]))
    assert [(f, p, c) for f, _l, _c, p, c in problems] == [
        ("a.yaml", "name", "duplicate_name"),
        ("b.yaml", "name", "duplicate_name"),
    ]


def test_header_variables_must_be_the_agents_secrets(tmp_path: Path) -> None:
    write(tmp_path, "agent.yaml", MINIMAL + "tools: [lookup]\n")
    write(tmp_path, "tool.yaml", TOOL)
    [problem] = check_paths([tmp_path]).all_problems
    assert (problem.path, problem.code) == ("tools[0]", "tool_variable_not_secret")
    assert "{{api_token}}" in problem.message


def test_path_parameters_match_the_url() -> None:
    data = {"kind": "tool", "name": "t", "description": "d",
            "webhook": {"url": "https://x.example/{id}", "method": "GET"}}  # fmt: skip
    with pytest.raises(ValidationError, match=r"uses \{id\}"):
        ToolSpec.model_validate(data)


def test_schema_covers_both_kinds() -> None:
    schema = json_schema()
    assert set(schema["$defs"]) >= {"ToolSpec", "KnowledgeSpec"}
    assert KnowledgeSpec.model_json_schema()["additionalProperties"] is False
