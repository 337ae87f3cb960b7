"""`/api/voices` and `/api/models`: a small built-in catalogue plus voices loaded by seeding.

Calls and agents may name a voice by id or (unique) name; an unknown voice is rejected, as the
real service rejects it, so adapters learn about catalogue drift from the provider. Seed more
with `POST /_emulator/seed {"fixtures": {"ultravox": {"voices": [{"name": ...}]}}}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Query, Request

from parley.emulator.ultravox.auth import require_api_key
from parley.emulator.ultravox.errors import UltravoxError
from parley.emulator.ultravox.pagination import paginate
from parley.emulator.ultravox.state import UltravoxState, VoiceRecord

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

# Fixed ids so that ids seen in one run are valid in the next.
BUILT_IN = [
    VoiceRecord(voice_id="8a6e3d6b-4c1e-4a4f-9f5d-5b0f1c2d3e01", name="Mark",
                description="Energetic, expressive man", primary_language="en"),
    VoiceRecord(voice_id="8a6e3d6b-4c1e-4a4f-9f5d-5b0f1c2d3e02", name="Jessica",
                description="Warm, friendly woman", primary_language="en"),
    VoiceRecord(voice_id="8a6e3d6b-4c1e-4a4f-9f5d-5b0f1c2d3e03", name="Emily-English",
                description="Calm, clear woman", primary_language="en-US"),
    VoiceRecord(voice_id="8a6e3d6b-4c1e-4a4f-9f5d-5b0f1c2d3e04", name="Aaron-English",
                description="Steady, professional man", primary_language="en-US"),
    VoiceRecord(voice_id="8a6e3d6b-4c1e-4a4f-9f5d-5b0f1c2d3e05", name="Alex-Spanish",
                description="Bright Spanish speaker", primary_language="es"),
    VoiceRecord(voice_id="8a6e3d6b-4c1e-4a4f-9f5d-5b0f1c2d3e06", name="Jonas-German",
                description="Relaxed German speaker", primary_language="de",
                provider="eleven_labs", billing_style="VOICE_BILLING_STYLE_EXTERNAL"),
]  # fmt: skip
MODELS = ["ultravox-v0.7", "ultravox-v0.6", "ultravox-v0.5"]
LANGUAGES = {"en": "🇺🇸 English", "en-US": "🇺🇸 English (United States)", "es": "🇪🇸 Spanish",
             "de": "🇩🇪 German"}  # fmt: skip
PROVIDER_KEYS = {"cartesia": "cartesia", "eleven_labs": "elevenLabs", "lmnt": "lmnt",
                 "google": "google", "inworld": "inworld", "respeecher": "respeecher"}  # fmt: skip
router = APIRouter(prefix="/api", dependencies=[Depends(require_api_key)])


def _emu(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emu
    return emu


def catalogue(emu: Emulator) -> list[VoiceRecord]:
    state: UltravoxState = emu.state("ultravox")
    return [*BUILT_IN, *state.voices.values()]


def resolve(emu: Emulator, name_or_id: str) -> VoiceRecord | None:
    voices = catalogue(emu)
    by_id = next((v for v in voices if v.voice_id == name_or_id), None)
    return by_id or next((v for v in voices if v.name == name_or_id), None)


def seed(emu: Emulator, fixtures: list[dict[str, Any]]) -> None:
    state: UltravoxState = emu.state("ultravox")
    for raw in fixtures:
        data = {"ownership": "private", **raw}
        data.setdefault("voice_id", emu.ids.uuid())
        voice = VoiceRecord.model_validate(data)
        state.voices[voice.voice_id] = voice


def view(emu: Emulator, voice: VoiceRecord) -> dict[str, Any]:
    key = PROVIDER_KEYS.get(voice.provider or "", "generic")
    definition = voice.definition or {key: {"voiceId": voice.voice_id}}
    return {
        "voiceId": voice.voice_id,
        "name": voice.name,
        "description": voice.description,
        "primaryLanguage": voice.primary_language,
        "languageLabel": LANGUAGES.get(voice.primary_language or ""),
        "previewUrl": f"{emu.config.public_url}/ultravox/api/voices/{voice.voice_id}/preview",
        "ownership": voice.ownership,
        "billingStyle": voice.billing_style,
        "provider": voice.provider,
        "definition": definition,
    }


@router.get("/voices")
async def list_voices(
    request: Request,
    ownership: str | None = None,
    billingStyle: str | None = None,
    primaryLanguage: str | None = None,
    search: str | None = None,
    provider: list[str] | None = Query(default=None),
) -> dict[str, Any]:
    emu = _emu(request)
    voices = [
        v
        for v in catalogue(emu)
        if (ownership is None or v.ownership == ownership)
        and (billingStyle is None or v.billing_style == billingStyle)
        and (provider is None or v.provider in provider)
        and (search is None or search.lower() in f"{v.name} {v.description or ''}".lower())
        and (
            primaryLanguage is None
            or (v.primary_language or "").split("-")[0] == primaryLanguage.split("-")[0]
        )
    ]
    if primaryLanguage:
        # Exact tag first, then same language with other regions, as documented.
        voices.sort(key=lambda v: v.primary_language != primaryLanguage)
    return paginate(request, voices, lambda v: view(emu, v))


@router.get("/voices/{voice_id}")
async def get_voice(voice_id: str, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    voice = next((v for v in catalogue(emu) if v.voice_id == voice_id), None)
    if voice is None:
        raise UltravoxError(404, "Not found.")
    return view(emu, voice)


@router.get("/models")
async def list_models(request: Request) -> dict[str, Any]:
    return paginate(request, MODELS, lambda name: {"name": name})
