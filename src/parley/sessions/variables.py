"""Dynamic variables for a start: declared defaults, personalisation, configured secrets, and
what the caller supplied, in that order of precedence (later wins).

Only names the version's spec declares are accepted from callers (a typo is a 422, not a
variable the prompt silently never sees). Values are scalars, as both providers require.
Secret variables (`secret: true`) are split off: they go to the provider marked secret (or not
at all where it cannot keep them from the LLM) and to nobody else; error messages name them,
never their values. Names beginning with `parley_` are Parley's own stamps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from parley.errors import InvalidInput

Scalar = str | int | float | bool
RESERVED = ("system__", "secret__", "parley_")
MAX_VALUE = 4096


@dataclass
class Variables:
    public: dict[str, Scalar] = field(default_factory=dict)
    secret: dict[str, Scalar] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # required and still without a value


def declared(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    variables = spec.get("variables") or {}
    return {k: v for k, v in variables.items() if isinstance(v, dict)}


def check_supplied(spec: dict[str, Any], supplied: dict[str, Any]) -> None:
    names = declared(spec)
    reserved = sorted(k for k in supplied if k.startswith(RESERVED))
    if reserved:
        raise InvalidInput(
            f"variable names starting with {', '.join(RESERVED)} are reserved: {reserved}"
        )
    unknown = sorted(k for k in supplied if k not in names)
    if unknown:
        raise InvalidInput(
            f"the agent declares no variable(s) {unknown}; declared: {sorted(names)}",
            details={"unknown": unknown},
        )
    bad = sorted(
        k
        for k, v in supplied.items()
        if not isinstance(v, Scalar) or (isinstance(v, str) and len(v) > MAX_VALUE)
    )
    if bad:
        raise InvalidInput(
            f"variable(s) {bad} must be a string (at most {MAX_VALUE} characters), number or bool"
        )


def parse_secret_config(raw: str | None) -> dict[str, Scalar]:
    """`PARLEY_SECRET_VARIABLES`: a JSON object of secret variable values (never logged)."""
    if not raw:
        return {}
    try:
        values = json.loads(raw)
    except ValueError:
        raise InvalidInput("PARLEY_SECRET_VARIABLES is not a JSON object") from None
    if not isinstance(values, dict):
        raise InvalidInput("PARLEY_SECRET_VARIABLES is not a JSON object")
    return {str(k): v for k, v in values.items() if isinstance(v, Scalar)}


def build(
    spec: dict[str, Any],
    supplied: dict[str, Any],
    *,
    personal: dict[str, Scalar] | None = None,
    configured_secrets: dict[str, Scalar] | None = None,
) -> Variables:
    """Every declared variable's value for one start, public and secret apart."""
    check_supplied(spec, supplied)
    out = Variables()
    personal = personal or {}
    configured = configured_secrets or {}
    for name, var in declared(spec).items():
        value: Any = var.get("default")
        if name in personal:
            value = personal[name]
        if var.get("secret") and name in configured:
            value = configured[name]
        if name in supplied:
            value = supplied[name]
        if value is None:
            if var.get("required"):
                out.missing.append(name)
            continue
        (out.secret if var.get("secret") else out.public)[name] = value
    return out
