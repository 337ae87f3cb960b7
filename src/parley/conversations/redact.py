"""Removing secrets from anything Parley keeps about a conversation.

Used by the provider normalisers (provider-side conventions such as ElevenLabs' `secret__`
prefix) and by the service (variables an agent's spec declares secret). Over-redaction is the
safe failure: a key that merely shares a secret's name is dropped too.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

SECRET_PREFIX = "secret__"
REDACTED = "[redacted]"


def is_secret(name: str, names: Collection[str] = ()) -> bool:
    return name.startswith(SECRET_PREFIX) or name in names


def drop_keys(value: Any, names: Collection[str] = ()) -> Any:
    """`value` with every mapping key that is secret removed, at any depth; and every
    `{variable_name: <secret>, ...}` entry (variable updates) dropped from lists."""
    if isinstance(value, Mapping):
        return {
            k: drop_keys(v, names)
            for k, v in value.items()
            if not (isinstance(k, str) and is_secret(k, names))
        }
    if isinstance(value, list):
        return [
            drop_keys(item, names)
            for item in value
            if not (
                isinstance(item, Mapping)
                and isinstance(item.get("variable_name"), str)
                and is_secret(item["variable_name"], names)
            )
        ]
    return value


def replace_text(value: Any, replacements: Mapping[str, str]) -> Any:
    """Every occurrence of each key (a secret value, a phone number) in any string replaced."""
    wanted = {k: v for k, v in replacements.items() if k and len(k) >= 4}
    if not wanted:
        return value
    return _replace(value, wanted)


def _replace(value: Any, wanted: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for old, new in wanted.items():
            if old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, Mapping):
        return {k: _replace(v, wanted) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, wanted) for v in value]
    return value


def secret_values(variables: Mapping[str, Any], names: Collection[str] = ()) -> dict[str, str]:
    """The string values of secret variables, each mapped to the redaction marker."""
    return {
        str(v): REDACTED
        for k, v in variables.items()
        if is_secret(k, names) and isinstance(v, str | int) and not isinstance(v, bool)
    }


def replace_pattern(value: Any, pattern: re.Pattern[str], new: str) -> Any:
    """Every match of `pattern` in any string replaced by `new`."""
    if isinstance(value, str):
        return pattern.sub(new, value)
    if isinstance(value, Mapping):
        return {k: replace_pattern(v, pattern, new) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_pattern(v, pattern, new) for v in value]
    return value


def number_pattern(number: str) -> re.Pattern[str]:
    """A phone number however it was written: `+44 20 7946 0958`, `0044-20-7946-0958`,
    `020 7946 0958`: its last nine digits with any separators, plus what leads up to them."""
    digits = number.lstrip("+")
    tail = r"[\s\-().]*".join(digits[-9:])
    return re.compile(r"(?<![\d+])(?:(?:\+|00)?\d[\d\s\-().]*?)?" + tail + r"(?!\d)")
