"""Signature checking shared by every provider's scheme: pure functions, constant-time compares.

Each provider's own scheme (header names, what is signed) lives in `providers/<name>/webhooks.py`
and is built from these pieces; `verify` picks it by provider name. Nothing here reads a clock:
the caller passes `now`, so tests can check the replay window to the second.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from parley.errors import Unauthorized


class SignatureError(Unauthorized):
    """Missing, malformed, stale or wrong signature, or no secret configured: answer 401."""

    code = "bad_signature"


@dataclass(frozen=True)
class Window:
    """How old (`tolerance_s`) or how far ahead (`future_s`) a signed timestamp may be."""

    tolerance_s: float = 1800.0
    future_s: float = 300.0


def split_secrets(value: str | None) -> list[str]:
    """A setting holding one secret, or several comma-separated ones during a rotation."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def any_match(expected: Iterable[str], given: Iterable[str]) -> bool:
    """True when any given signature equals any expected one, each pair compared in constant
    time (every pair is compared, so timing does not tell which secret matched)."""
    found = False
    wanted = [e.encode() for e in expected]
    for candidate in given:
        for digest in wanted:
            found |= hmac.compare_digest(digest, candidate.strip().lower().encode())
    return found


def check_window(signed_at: float, now: float, window: Window) -> None:
    if signed_at < now - window.tolerance_s:
        raise SignatureError("the signature's timestamp is too old (possible replay)")
    if signed_at > now + window.future_s:
        raise SignatureError("the signature's timestamp is in the future")


def require_secrets(secrets: Sequence[str], provider: str) -> None:
    if not secrets:
        # Never accept unsigned events: without a secret there is nothing to verify against.
        raise SignatureError(
            f"webhooks from {provider} are refused: no webhook secret is configured",
            details={"setting": f"PARLEY_{provider.upper()}_WEBHOOK_SECRET"},
        )
