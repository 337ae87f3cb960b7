"""Voices: `GET v1/voices`, `GET v2/voices` (search with a page token) and `GET v1/voices/{id}`.

Every workspace sees ElevenLabs' premade voices, so the emulator ships a small catalogue of them
with their public ids, names and labels; an agent spec naming "Rachel" or `21m00Tcm4TlvDq8ikWAM`
resolves as it would live. Further voices (clones, designed voices) come from fixtures through
`seed_voices`. Preview URLs point at the emulator, which serves a short silent MP3 for each.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from parley.emulator.audio import mp3_silence
from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.errors import not_found
from parley.emulator.elevenlabs.periphery import el_state
from parley.emulator.elevenlabs.shapes import decode_cursor, emulator, encode_cursor

router = APIRouter(dependencies=[Depends(require_api_key)])
# Previews are fetched by browsers and audio players, which send no API key.
previews = APIRouter()

DEFAULT_SETTINGS = {
    "stability": 0.5,
    "similarity_boost": 0.75,
    "style": 0.0,
    "use_speaker_boost": True,
    "speed": 1.0,
}


class VoiceRecord(BaseModel):
    model_config = ConfigDict(extra="allow")  # fixtures may carry any Voice field

    voice_id: str
    name: str
    category: str = "premade"
    labels: dict[str, str] = Field(default_factory=dict)
    description: str | None = None
    created_at_unix: int | None = None
    settings: dict[str, Any] | None = None


# Premade voices: id, name, gender, age, accent, use case, descriptive label.
_PREMADE = (
    ("21m00Tcm4TlvDq8ikWAM", "Rachel", "female", "young", "american", "conversational", "calm"),
    ("EXAVITQu4vr4xnSDxMaL", "Sarah", "female", "young", "american", "news", "professional"),
    ("FGY2WhTYpPnrIDTdsKH5", "Laura", "female", "young", "american", "social_media", "upbeat"),
    ("IKne3meq5aSn9XLyUdCD", "Charlie", "male", "middle_aged", "australian", "conversational",
     "casual"),
    ("JBFqnCBsd6RMkjVDRZzb", "George", "male", "middle_aged", "british", "narrative_story",
     "warm"),
    ("TX3LPaxmHKxFdv7VOQHJ", "Liam", "male", "young", "american", "social_media", "confident"),
    ("XB0fDUnXU5powFXDhCwa", "Charlotte", "female", "young", "swedish", "characters_animation",
     "sensual"),
    ("Xb7hH8MSUJpSbSDYk0k2", "Alice", "female", "middle_aged", "british", "advertisement",
     "confident"),
    ("cgSgspJ2msm6clMCkdW9", "Jessica", "female", "young", "american", "conversational",
     "expressive"),
    ("cjVigY5qzO86Huf0OWal", "Eric", "male", "middle_aged", "american", "conversational",
     "friendly"),
    ("nPczCjzI2devNBz1zQrb", "Brian", "male", "middle_aged", "american", "narration", "deep"),
    ("onwK4e9ZLuTAKqWW03F9", "Daniel", "male", "middle_aged", "british", "news", "authoritative"),
    ("pFZP5JQG7iQjIQuC4Bku", "Lily", "female", "middle_aged", "british", "narration", "warm"),
    ("XrExE9yKIg1WjnnlVkGX", "Matilda", "female", "middle_aged", "american", "narration",
     "friendly"),
)  # fmt: skip
LABEL_KEYS = ("gender", "age", "accent", "use_case", "descriptive")
CATALOGUE: tuple[VoiceRecord, ...] = tuple(
    VoiceRecord(
        voice_id=voice_id,
        name=name,
        labels={**dict(zip(LABEL_KEYS, labels, strict=True)), "language": "en"},
        description=f"{labels[-1].capitalize()} {labels[0]} voice.",
    )
    for voice_id, name, *labels in _PREMADE
)


def seed_voices(emu: Any, voices: list[dict[str, Any]]) -> None:
    """Add fixture voices (default category `cloned`) to the workspace; for the provider's seed."""
    state = emu.state("elevenlabs")
    for raw in voices:
        voice = VoiceRecord.model_validate({"category": "cloned", **raw})
        state.voices[voice.voice_id] = voice


def all_voices(request: Request) -> list[VoiceRecord]:
    """Premade voices first, then the workspace's own, each group in a stable order."""
    own = sorted(
        el_state(request).voices.values(), key=lambda v: (v.created_at_unix or 0, v.voice_id)
    )
    return [v for v in CATALOGUE if v.voice_id not in el_state(request).voices] + own


def view(request: Request, voice: VoiceRecord, with_settings: bool = True) -> dict[str, Any]:
    """Voice."""
    base = f"{emulator(request).config.public_url}/elevenlabs"
    out = voice.model_dump(mode="json", exclude={"settings"})
    out.update(
        preview_url=f"{base}/v1/voices/{voice.voice_id}/preview.mp3",
        available_for_tiers=[],
        high_quality_base_model_ids=[
            "eleven_flash_v2_5",
            "eleven_turbo_v2_5",
            "eleven_multilingual_v2",
        ],
        is_owner=voice.category != "premade",
        is_legacy=False,
        is_mixed=False,
        samples=None,
        fine_tuning=None,
        sharing=None,
    )
    out["settings"] = (voice.settings or DEFAULT_SETTINGS) if with_settings else None
    return out


def voice_type(voice: VoiceRecord) -> str:
    return "default" if voice.category == "premade" else "personal"


@router.get("/v1/voices")
async def get_voices(request: Request, show_legacy: bool = False) -> dict[str, Any]:
    return {"voices": [view(request, v) for v in all_voices(request)]}


@router.get("/v2/voices")
async def search_voices(
    request: Request,
    next_page_token: str | None = None,
    page_size: Annotated[int, Query(ge=1, le=100)] = 10,
    search: str | None = None,
    sort: str | None = None,
    sort_direction: str | None = None,
    voice_type_: Annotated[str | None, Query(alias="voice_type")] = None,
    category: str | None = None,
    gender: str | None = None,
    age: str | None = None,
    accent: str | None = None,
    language: Annotated[list[str] | None, Query()] = None,
    use_cases: Annotated[list[str] | None, Query()] = None,
    voice_ids: Annotated[list[str] | None, Query()] = None,
    include_total_count: bool = True,
) -> dict[str, Any]:
    voices = all_voices(request)
    if search:
        needle = search.lower()
        voices = [v for v in voices if needle in _haystack(v)]
    if voice_type_ and voice_type_ not in ("saved", "non-community"):
        wanted = voice_type_
        voices = [
            v
            for v in voices
            if voice_type(v) == wanted or (wanted == "non-default" and voice_type(v) != "default")
        ]
    for key, value in (("gender", gender), ("age", age), ("accent", accent)):
        if value:
            voices = [v for v in voices if v.labels.get(key) == value]
    if category:
        voices = [v for v in voices if v.category == category]
    if language:
        voices = [v for v in voices if v.labels.get("language") in language]
    if use_cases:
        voices = [v for v in voices if v.labels.get("use_case") in use_cases]
    if voice_ids:
        voices = [v for v in voices if v.voice_id in voice_ids]
    if sort == "name":
        voices.sort(key=lambda v: v.name.lower())
    elif sort == "created_at_unix":
        voices.sort(key=lambda v: v.created_at_unix or 0)
    if sort_direction == "desc":
        voices.reverse()
    start = decode_cursor(next_page_token)
    chunk = voices[start : start + page_size]
    more = start + len(chunk) < len(voices)
    return {
        "voices": [view(request, v) for v in chunk],
        "has_more": more,
        "total_count": len(voices),
        "next_page_token": encode_cursor(start + len(chunk)) if more else None,
    }


def _haystack(voice: VoiceRecord) -> str:
    parts = [voice.name, voice.description or "", voice.category, *voice.labels.values()]
    return " ".join(parts).lower()


def find_voice(request: Request, voice_id: str) -> VoiceRecord:
    voice = el_state(request).voices.get(voice_id) or next(
        (v for v in CATALOGUE if v.voice_id == voice_id), None
    )
    if voice is None:
        raise not_found("voice", voice_id)
    return voice


@router.get("/v1/voices/{voice_id}")
async def get_voice(voice_id: str, request: Request, with_settings: bool = True) -> dict[str, Any]:
    return view(request, find_voice(request, voice_id), with_settings)


@previews.get("/v1/voices/{voice_id}/preview.mp3")
async def voice_preview(voice_id: str, request: Request) -> Response:
    find_voice(request, voice_id)  # every preview is the same second of silence
    return Response(mp3_silence(1.0), media_type="audio/mpeg")
