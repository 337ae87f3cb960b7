"""Identifiers shaped like each provider's, drawn from the emulator's seeded generator.

ElevenLabs ids are a prefix and 28 lowercase base-32 characters (`agent_3701k3tt...`);
Ultravox ids are UUIDs.
"""

from __future__ import annotations

import random
import uuid

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


class IdFactory:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def elevenlabs(self, prefix: str) -> str:
        body = "".join(self.rng.choice(_ALPHABET) for _ in range(28))
        return f"{prefix}_{body}"

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex(self, length: int = 32) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))
