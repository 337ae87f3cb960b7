"""Signature checks for both providers: pure functions, a fixed clock, the SDK as a witness."""

from __future__ import annotations

import time

import pytest
from elevenlabs.client import ElevenLabs

from parley.providers.elevenlabs import webhooks as el
from parley.providers.ultravox import webhooks as uv
from parley.webhooks.verify import SignatureError, Window, split_secrets

BODY = b'{"type":"post_call_transcription","data":{"conversation_id":"c1"}}'
NOW = 1_800_000_000.0
W = Window(tolerance_s=1800, future_s=300)


def el_headers(body: bytes = BODY, secret: str = "s3cret", at: float = NOW) -> dict[str, str]:
    return {el.SIGNATURE_HEADER: el.sign(body, secret, int(at))}


def test_elevenlabs_good_signature() -> None:
    el.verify(BODY, el_headers(), ["s3cret"], NOW, W)


@pytest.mark.parametrize(
    ("headers", "secrets", "now"),
    [
        (el_headers(body=BODY + b" "), ["s3cret"], NOW),  # tampered body
        (el_headers(secret="other"), ["s3cret"], NOW),  # wrong secret
        ({}, ["s3cret"], NOW),  # missing header
        ({el.SIGNATURE_HEADER: "v0=abc"}, ["s3cret"], NOW),  # no timestamp
        (el_headers(at=NOW - 1801), ["s3cret"], NOW),  # stale
        (el_headers(at=NOW + 301), ["s3cret"], NOW),  # from the future
    ],
)
def test_elevenlabs_refusals(headers: dict[str, str], secrets: list[str], now: float) -> None:
    with pytest.raises(SignatureError):
        el.verify(BODY, headers, secrets, now, W)


def test_elevenlabs_edges_of_the_window_are_accepted() -> None:
    el.verify(BODY, el_headers(at=NOW - 1800), ["s3cret"], NOW, W)
    el.verify(BODY, el_headers(at=NOW + 300), ["s3cret"], NOW, W)


def test_elevenlabs_rotation_accepts_either_secret() -> None:
    secrets = split_secrets(" old , new ")
    assert secrets == ["old", "new"]
    el.verify(BODY, el_headers(secret="new"), secrets, NOW, W)
    el.verify(BODY, el_headers(secret="old"), secrets, NOW, W)


def test_the_sdk_accepts_what_we_accept() -> None:
    now = time.time()
    header = el_headers(at=now)[el.SIGNATURE_HEADER]
    el.verify(BODY, {el.SIGNATURE_HEADER: header}, ["s3cret"], now, W)
    event = ElevenLabs(api_key="unused").webhooks.construct_event(BODY.decode(), header, "s3cret")
    assert event["data"]["conversation_id"] == "c1"


STAMP = "2027-01-15T08:00:00.000000Z"


def uv_now() -> float:
    from datetime import datetime

    return datetime.fromisoformat(STAMP.replace("Z", "+00:00")).timestamp()


def test_ultravox_good_signature_and_rotation() -> None:
    now = uv_now()
    uv.verify(BODY, uv.sign(BODY, ["k1"], STAMP), ["k1"], now, W)
    # The sender signs with two secrets while rotating; we know only one of them, or both.
    two = uv.sign(BODY, ["old", "new"], STAMP)
    assert len(two[uv.SIGNATURE_HEADER].split(",")) == 2
    uv.verify(BODY, two, ["new"], now, W)
    uv.verify(BODY, two, ["old"], now, W)
    uv.verify(BODY, uv.sign(BODY, ["new"], STAMP), ["old", "new"], now, W)


@pytest.mark.parametrize(
    ("headers", "shift"),
    [
        (uv.sign(BODY + b"x", ["k1"], STAMP), 0.0),  # tampered
        (uv.sign(BODY, ["wrong"], STAMP), 0.0),  # wrong secret
        ({}, 0.0),  # missing
        ({uv.TIMESTAMP_HEADER: STAMP}, 0.0),  # no signature
        ({**uv.sign(BODY, ["k1"], STAMP), uv.TIMESTAMP_HEADER: "yesterday"}, 0.0),
        (uv.sign(BODY, ["k1"], STAMP), 1801.0),  # stale
        (uv.sign(BODY, ["k1"], STAMP), -301.0),  # future
    ],
)
def test_ultravox_refusals(headers: dict[str, str], shift: float) -> None:
    with pytest.raises(SignatureError):
        uv.verify(BODY, headers, ["k1"], uv_now() + shift, W)


def test_emulator_signers_verify() -> None:
    """The emulator's own signers (what its deliveries carry) pass our verifiers."""
    from parley.emulator.elevenlabs.postcall import _signer
    from parley.emulator.ultravox.webhooks import signer

    now = time.time()
    el_sent = {k.lower(): v for k, v in _signer("whsec")(BODY, now).items()}
    el.verify(BODY, el_sent, ["whsec"], now, W)
    uv_sent = {k.lower(): v for k, v in signer(["a", "b"])(BODY, now).items()}
    uv.verify(BODY, uv_sent, ["b"], now, W)
