"""Content addressing, YAML export round-trips and field-level diffs."""

from __future__ import annotations

from pathlib import Path

from parley.agents import canonical
from parley.agents.diff import diff_specs
from parley.agents.loader import load_text
from parley.agents.spec import AgentSpec, json_schema
from parley.agents.validate import check_document, check_paths
from tests.agents.specs import MINIMAL, WITH_VARIABLES


def _spec(text: str) -> AgentSpec:
    checked = check_document(load_text(text, "t.yaml"))
    assert checked.spec is not None, checked.problems
    return checked.spec


def _normal(text: str) -> dict[str, object]:
    return canonical.normalise(_spec(text))


def _hash(text: str) -> str:
    return canonical.content_hash(_spec(text))


def test_same_content_same_hash_whatever_the_spelling() -> None:
    reordered = "llm: {model: gpt-4o-mini, temperature: 0.0}\nsystem_prompt: You greet people.\n"
    reordered += "name: greeter\nlanguage: en\ntags: []\n"
    assert _hash(MINIMAL) == _hash(reordered)


def test_any_change_changes_the_hash() -> None:
    changed = MINIMAL.replace("people.", "people!")
    assert _hash(MINIMAL) != _hash(changed)


def test_hash_is_sha256_and_short_form() -> None:
    digest = _hash(MINIMAL)
    assert digest.startswith("sha256:")
    assert len(digest) == 71
    assert canonical.short_hash(digest) == digest[7:19]


def test_export_round_trips_every_example(examples: Path) -> None:
    for spec in check_paths([examples]).valid:
        exported = canonical.to_yaml(canonical.normalise(spec))
        assert _hash(exported) == canonical.content_hash(spec), spec.name


def test_export_omits_defaults_and_uses_block_scalars() -> None:
    text = canonical.to_yaml(_normal(WITH_VARIABLES))
    assert "system_prompt: |\n  You greet people.\n" in text
    assert "targets" not in text
    assert "temperature: 0.2" in text


def test_export_keeps_trailing_spaces_exactly() -> None:
    normal = _normal(MINIMAL.replace("You greet people.", '"line one  \\nline two"'))
    assert _normal(canonical.to_yaml(normal)) == normal


def test_diff_reports_leaves_and_unified_text() -> None:
    old = _normal(WITH_VARIABLES)
    new = _normal(
        WITH_VARIABLES.replace("temperature: 0.2", "temperature: 0.4")
        .replace("from {{company}}.", "from {{company}}.\n  Be brief.")
        .replace("  api_token:\n    secret: true\n", "")
    )
    changes = {c.path: c for c in diff_specs(old, new)}
    assert set(changes) == {"system_prompt", "llm.temperature", "variables.api_token"}
    assert changes["llm.temperature"].summary() == "~ llm.temperature: 0.2 -> 0.4"
    assert changes["variables.api_token"].kind == "removed"
    text_diff = changes["system_prompt"].text_diff
    assert text_diff is not None
    assert "+Be brief." in text_diff
    assert diff_specs(old, old) == []


def test_json_schema_describes_the_spec() -> None:
    schema = json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert set(schema["required"]) == {"name", "system_prompt", "llm"}
    assert schema["additionalProperties"] is False
    assert "first_message" in schema["properties"]
    assert AgentSpec.model_json_schema()["title"] == "Parley agent spec"


def test_list_changes_summarise_items() -> None:
    old = _normal(WITH_VARIABLES)
    new = _normal(WITH_VARIABLES.replace("tags: [demo, support]", "tags: [support, vip]"))
    [change] = diff_specs(old, new)
    assert change.summary() == '~ tags: +"vip" -"demo"'


def test_a_new_field_with_a_default_keeps_old_hashes() -> None:
    """Specs written before a field existed must not look changed once it does."""

    class Extended(AgentSpec):
        future_setting: str = "default"

    spec = _spec(MINIMAL)
    extended = Extended.model_validate(spec.model_dump())
    assert canonical.content_hash(extended) == canonical.content_hash(spec)
