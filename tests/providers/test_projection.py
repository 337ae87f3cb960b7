"""Projection onto managed fields, and the differences that mean drift or a dropped field."""

from __future__ import annotations

from parley.providers.projection import differences, project


def test_project_keeps_only_sent_keys() -> None:
    sent = {"a": {"b": 1, "c": [1, 2]}, "d": "x"}
    live = {"a": {"b": 2, "c": [1, 2], "extra": True}, "d": "x", "id": "agent_1"}
    assert project(live, sent) == {"a": {"b": 2, "c": [1, 2]}, "d": "x"}


def test_differences_name_each_leaf() -> None:
    sent = {"a": {"b": 1, "c": 0.3, "gone": "v"}, "flag": True, "items": [{"id": 1}]}
    held = {"a": {"b": 1, "c": 0.30000000000000004}, "flag": 1, "items": [{"id": 2}]}
    assert differences(sent, held) == [
        ("a.gone", "v", None),
        ("flag", True, 1),
        ("items[0].id", 1, 2),
    ]
    assert differences(sent, sent) == []
