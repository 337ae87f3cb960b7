"""Caller phone numbers: matched by a keyed hash, shown only masked.

A number is normalised to E.164 (digits with a leading +), hashed with HMAC-SHA256 under
`PARLEY_CALLER_HASH_KEY` (else a random key created once in the data directory), and masked
for display as `+44•••••1234`. The same caller always gets the same hash under one key, so
profiles and lookups work without the number ever being stored in full.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from parley.config import Settings

KEY_FILE = "caller-hash.key"
_NON_DIGITS = re.compile(r"[^\d]")


def normalise_number(value: str | None) -> str | None:
    """`+44 20 7946 0958`, `tel:+4420...`, `sip:+4420...@host` -> `+442079460958`; None if no
    plausible phone number (fewer than 6 digits) is in it."""
    if not value:
        return None
    text = value.strip()
    for scheme in ("tel:", "sip:", "sips:"):
        if text.lower().startswith(scheme):
            text = text[len(scheme) :].split("@", 1)[0].split(";", 1)[0]
    text = text.removeprefix("00") if text.startswith("00") else text
    digits = _NON_DIGITS.sub("", text)
    if len(digits) < 6 or len(digits) > 15:
        return None
    return f"+{digits}"


def mask(number: str) -> str:
    """`+442079460958` -> `+44••••••0958`: country code and last four digits stay visible."""
    digits = number.lstrip("+")
    head, tail = digits[:2], digits[-4:]
    hidden = max(0, len(digits) - len(head) - len(tail))
    return f"+{head}{'•' * hidden}{tail}"


def caller_hash(number: str, key: bytes) -> str:
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


def hash_key(settings: Settings) -> bytes:
    """The configured key, else the data directory's own (created on first use, mode 0600)."""
    if settings.caller_hash_key is not None:
        return settings.caller_hash_key.get_secret_value().encode()
    path = Path(settings.data_dir) / KEY_FILE
    try:
        return path.read_text(encoding="ascii").strip().encode()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        # O_EXCL: when two processes race, the second reads the first one's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip().encode()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key.encode()
