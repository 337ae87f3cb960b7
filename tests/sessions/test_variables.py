"""Variable building: precedence, secrets apart, strict names and values."""

from __future__ import annotations

import pytest

from parley.errors import InvalidInput
from parley.sessions import variables

SPEC = {
    "variables": {
        "name": {"default": None, "required": True, "secret": False},
        "tier": {"default": "basic", "required": False, "secret": False},
        "visits": {"default": 0, "required": False, "secret": False},
        "token": {"default": None, "required": True, "secret": True},
    }
}


def test_precedence_and_secrets() -> None:
    built = variables.build(
        SPEC,
        {"name": "Ada"},
        personal={"visits": 3, "tier": "gold"},
        configured_secrets={"token": "t-1", "tier": "ignored: not secret"},
    )
    assert built.public == {"name": "Ada", "tier": "gold", "visits": 3}
    assert built.secret == {"token": "t-1"}
    assert built.missing == []
    supplied = variables.build(
        SPEC, {"name": "Ada", "token": "mine"}, configured_secrets={"token": "x"}
    )
    assert supplied.secret == {"token": "mine"}


def test_missing_required_are_named() -> None:
    assert variables.build(SPEC, {}).missing == ["name", "token"]


@pytest.mark.parametrize(
    "supplied",
    [
        {"nope": 1},
        {"parley_start": "x"},
        {"secret__token": "x"},
        {"name": ["a"]},
        {"name": "x" * 5000},
    ],
)
def test_refused(supplied: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        variables.build(SPEC, supplied)


def test_secret_config_must_be_an_object() -> None:
    assert variables.parse_secret_config('{"token": "a", "bad": [1]}') == {"token": "a"}
    with pytest.raises(InvalidInput):
        variables.parse_secret_config("[1]")
