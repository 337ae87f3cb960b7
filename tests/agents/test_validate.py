"""Validation reports every problem with file, line, column and field path."""

from __future__ import annotations

from pathlib import Path

from parley.agents.validate import check_input, check_paths
from tests.agents.specs import MINIMAL, WITH_VARIABLES, write


def _problems(path: Path) -> list[tuple[int, int, str, str, str]]:
    report = check_paths([path])
    return [(p.line, p.column, p.path, p.severity, p.code) for p in report.all_problems]


def test_examples_are_valid_without_warnings(examples: Path) -> None:
    report = check_paths([examples])
    assert report.all_problems == []
    assert len(report.valid) >= 3


def test_minimal_spec_is_valid(tmp_path: Path) -> None:
    report = check_paths([write(tmp_path, "a.yaml", MINIMAL)])
    assert report.all_problems == []
    [spec] = report.valid
    assert spec.targets == ["elevenlabs", "ultravox"]


def test_malformed_yaml_points_at_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "name: x\nllm: {model: a\nsystem_prompt: hi\n")
    [problem] = check_paths([path]).all_problems
    assert problem.code == "yaml_syntax"
    assert problem.line == 3
    assert problem.file == str(path)
    assert "malformed YAML" in problem.message


def test_wrong_types_name_field_and_position(tmp_path: Path) -> None:
    text = MINIMAL.replace("  model: gpt-4o-mini", "  model: gpt-4o-mini\n  temperature: hot")
    text += "voice:\n  id: v\n  stability: 3\n"
    found = _problems(write(tmp_path, "a.yaml", text))
    assert (5, 16, "llm.temperature", "error", "float_parsing") in found
    assert (8, 14, "voice.stability", "error", "less_than_equal") in found


def test_unknown_field_suggests_the_close_name(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", MINIMAL + "frist_message: hello\n")
    [problem] = check_paths([path]).all_problems
    assert (problem.line, problem.column, problem.path) == (5, 1, "frist_message")
    assert problem.code == "unknown_field"
    assert "did you mean 'first_message'" in problem.message


def test_unknown_nested_field(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", MINIMAL + "  temprature: 0.5\n")
    [problem] = check_paths([path]).all_problems
    assert problem.path == "llm.temprature"
    assert (problem.line, problem.column) == (5, 3)
    assert "did you mean 'temperature'" in problem.message


def test_missing_required_field_points_at_parent(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "name: x\nllm:\n  temperature: 0.1\n")
    found = {(p.path, p.code, p.message) for p in check_paths([path]).all_problems}
    assert ("", "missing_field", "missing required field 'system_prompt'") in found
    assert ("llm", "missing_field", "missing required field 'model'") in found


def test_undeclared_variable_is_located_inside_the_block(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "system_prompt: You greet people.",
        "system_prompt: |\n  You greet people.\n  Mention {{city}} once.",
    )
    [problem] = check_paths([write(tmp_path, "a.yaml", text)]).all_problems
    assert problem.code == "undeclared_variable"
    assert (problem.line, problem.column) == (4, 11)
    assert problem.path == "system_prompt"
    assert "{{city}}" in problem.message


def test_secret_variable_in_first_message_is_an_error(tmp_path: Path) -> None:
    text = WITH_VARIABLES.replace("Hello {{user_name}}!", "Hello {{user_name}}, {{api_token}}")
    found = check_paths([write(tmp_path, "a.yaml", text)]).all_problems
    [secret] = [p for p in found if p.code == "secret_in_prompt"]
    assert secret.severity == "error"
    assert secret.path == "first_message"
    assert secret.line == 8


def test_unused_variable_is_a_warning_and_secrets_are_exempt(tmp_path: Path) -> None:
    text = WITH_VARIABLES + "  unused_one:\n    default: x\n"
    report = check_paths([write(tmp_path, "a.yaml", text)])
    [warning] = report.all_problems
    assert (warning.severity, warning.code, warning.path) == (
        "warning",
        "unused_variable",
        "variables.unused_one",
    )
    assert report.error_count == 0
    assert len(report.valid) == 1


def test_system_variables_need_no_declaration(tmp_path: Path) -> None:
    text = MINIMAL.replace("You greet people.", "It is {{system__time_utc}}.")
    assert check_paths([write(tmp_path, "a.yaml", text)]).all_problems == []


def test_reserved_prefix_is_rejected(tmp_path: Path) -> None:
    text = MINIMAL + "variables:\n  secret__token:\n    secret: true\n"
    [problem] = check_paths([write(tmp_path, "a.yaml", text)]).all_problems
    assert problem.path == "variables"
    assert "reserved prefix" in problem.message


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", MINIMAL + "name: other\n")
    [problem] = check_paths([path]).all_problems
    assert problem.code == "duplicate_key"
    assert (problem.line, problem.path) == (5, "name")
    assert "first on line 1" in problem.message


def test_duplicate_names_across_files_flag_both(tmp_path: Path) -> None:
    write(tmp_path, "one.yaml", MINIMAL)
    write(tmp_path, "sub/two.yml", MINIMAL)
    report = check_paths([tmp_path])
    assert sorted(p.code for p in report.all_problems) == ["duplicate_name"] * 2
    assert report.valid == []


def test_all_problems_at_once_and_valid_files_still_valid(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", MINIMAL.replace("greeter", "good"))
    bad = "name: Bad Name\nsystem_prompt: ''\nllm: {model: m, temperature: -1}\nvoice: 3\nx: 1\n"
    write(tmp_path, "bad.yaml", bad)
    report = check_paths([tmp_path])
    assert sorted(p.code for p in report.all_problems) == [
        "greater_than_equal",
        "invalid_format",
        "model_type",
        "string_too_short",
        "unknown_field",
    ]
    assert {p.path for p in report.all_problems} == {
        "name",
        "system_prompt",
        "llm.temperature",
        "voice",
        "x",
    }
    assert [s.name for s in report.valid] == ["good"]


def test_other_document_shapes(tmp_path: Path) -> None:
    empty = write(tmp_path, "empty.yaml", "# nothing\n")
    listed = write(tmp_path, "list.yaml", "- a\n- b\n")
    multi = write(tmp_path, "multi.yaml", MINIMAL + "---\n" + MINIMAL)
    assert [p.code for p in check_paths([empty]).all_problems] == ["empty_file"]
    assert [p.code for p in check_paths([listed]).all_problems] == ["not_a_mapping"]
    [problem] = check_paths([multi]).all_problems
    assert (problem.code, problem.line) == ("multiple_documents", 6)


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    assert [p.code for p in check_paths([tmp_path / "nope"]).all_problems] == ["file_not_found"]
    (tmp_path / "empty").mkdir()
    assert [p.code for p in check_paths([tmp_path / "empty"]).all_problems] == ["no_specs"]


def test_problem_renders_file_line_column_path(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", MINIMAL + "frist_message: hello\n")
    [problem] = check_paths([path]).all_problems
    assert str(problem).startswith(f"{path}:5:1: error: frist_message: unknown field")


def test_check_input_accepts_data_and_yaml() -> None:
    ok = check_input(data={"name": "a", "system_prompt": "p", "llm": {"model": "m"}}, source="x")
    assert ok.ok
    bad = check_input(yaml_text="name: a\nsystem_prompt: p\n", source="body")
    assert [p.code for p in bad.problems] == ["missing_field"]


def test_pattern_errors_explain_the_rule(tmp_path: Path) -> None:
    text = MINIMAL.replace("greeter", "Bad Name") + "variables:\n  bad-name: {}\n"
    found = {p.path: p.message for p in check_paths([write(tmp_path, "a.yaml", text)]).all_problems}
    assert found["name"].startswith("use lowercase letters, digits, - and _")
    assert "letters, digits and _" in found["variables.bad-name"]


def test_unclosed_quote_names_where_it_began(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", 'name: x\nsystem_prompt: "never closed\nllm: {model: m}\n')
    [problem] = check_paths([path]).all_problems
    assert "on line 2" in problem.message


def test_aliases_are_refused_before_they_can_expand(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefgh":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [*{previous}, *{previous}, *{previous}, *{previous}]\n"
    [problem] = check_paths([write(tmp_path, "bomb.yaml", bomb)]).all_problems
    assert problem.code == "yaml_too_complex"
    assert "aliases are not supported" in problem.message
    loop = write(tmp_path, "loop.yaml", "name: &a [*a]\n")
    assert [p.code for p in check_paths([loop]).all_problems] == ["yaml_too_complex"]


def test_a_secret_variable_cannot_have_a_default(tmp_path: Path) -> None:
    text = WITH_VARIABLES.replace(
        "    secret: true\n", "    secret: true\n    default: sk-live-123\n"
    )
    [problem] = check_paths([write(tmp_path, "a.yaml", text)]).all_problems
    assert (problem.code, problem.path, problem.severity) == (
        "secret_default",
        "variables.api_token.default",
        "error",
    )
