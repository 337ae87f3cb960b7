"""Plan-time voice validation: does the voice exist, and if not, which one is closest?

A spec that names a voice its provider does not have fails only when the agent is created or,
worse, when the first call speaks. `check_voice` finds out at plan time, and answers with a
voice to use instead and a sentence a person can act on. It never rejects a voice just because
a cached catalogue lacks it (stale catalogues blocked ElevenLabs' own CLI users): a voice missing
from the catalogue is looked up directly before it is called unknown.
"""

from __future__ import annotations

from collections.abc import Mapping

from parley.providers.base import Voice
from parley.providers.errors import ProviderNotFound, display
from parley.providers.registry import Providers
from parley.voices.cache import VoiceCache
from parley.voices.schemas import VoiceCheck
from parley.voices.service import cache_for, catalogue

# The labels worth matching when suggesting a replacement, most telling first.
TRAITS = ("gender", "language", "accent", "age", "use_case")
FALLBACK_CATEGORIES = ("premade", "public")  # voices every account has


async def check_voice(
    providers: Providers,
    provider: str,
    voice_id: str,
    *,
    cache: VoiceCache | None = None,
    like: Mapping[str, str] | None = None,
) -> VoiceCheck:
    """Whether `voice_id` exists in `provider`'s catalogue, with a suggestion when it does not.

    Generic over providers: pass the provider whose catalogue the voice comes from, which is
    not always the agent's target. Parley's Ultravox agents speak with ElevenLabs voices
    (`externalVoice.elevenLabs`), so a spec's voice for the `ultravox` target is checked with
    `provider="elevenlabs"`.

    The suggestion shares as many traits as are known with the missing voice: those it had
    when it was last cached, then `like` (e.g. `{"language": "de"}` from the spec). With none
    known, it is the first premade voice. Provider failures other than "not found" (no key,
    outage) are raised, for the caller to report as "could not check".
    """
    cache = cache or cache_for(providers.settings)
    earlier = cache.read(provider, allow_stale=True)  # before a refetch replaces it
    current = await catalogue(providers, provider, cache)
    name = display(provider)
    listed = _by_id(current.voices, voice_id)
    if listed is not None:
        return VoiceCheck(ok=True, voice=listed, message=f"voice {voice_id} exists on {name}")
    try:
        direct = await providers.get(provider).get_voice(voice_id)
    except ProviderNotFound:
        direct = None
    if direct is not None:
        message = f"voice {voice_id} exists on {name}"
        return VoiceCheck(ok=True, voice=direct, message=message)
    return _unknown(provider, voice_id, current.voices, earlier.voices if earlier else [], like)


def _unknown(
    provider: str,
    voice_id: str,
    voices: list[Voice],
    earlier: list[Voice],
    like: Mapping[str, str] | None,
) -> VoiceCheck:
    missing = f"voice {voice_id} does not exist on {display(provider)}"
    named = [v for v in voices if v.name.lower() == voice_id.lower()]
    if named:
        voice = named[0]
        message = f"{missing}: it is the name of {_describe(voice)}; use its id {voice.voice_id}"
        return VoiceCheck(ok=False, suggestion=voice, message=message)
    wanted = _traits(_by_id(earlier, voice_id), like)
    suggestion, close = closest(voices, wanted)
    if suggestion is None:
        return VoiceCheck(ok=False, message=f"{missing}, and it lists no voices to suggest")
    described = f"{suggestion.voice_id} ({_describe(suggestion)})"
    advice = f"{described} is the closest" if close else f"{described} is a voice you could use"
    return VoiceCheck(ok=False, suggestion=suggestion, message=f"{missing}; {advice}")


def closest(voices: list[Voice], wanted: Mapping[str, str]) -> tuple[Voice | None, bool]:
    """The voice sharing most `wanted` traits (premade first on a tie), and whether any matched.

    With nothing in common, the first premade (or public) voice, else the first voice.
    """
    if not voices:
        return None, False
    scored = [
        (_score(v, wanted), v.category in FALLBACK_CATEGORIES, -i) for i, v in enumerate(voices)
    ]
    best = max(range(len(voices)), key=lambda i: scored[i])
    if scored[best][0] > 0:
        return voices[best], True
    common = [v for v in voices if v.category in FALLBACK_CATEGORIES]
    return (common or voices)[0], False


def _score(voice: Voice, wanted: Mapping[str, str]) -> int:
    score = 0
    for key, value in wanted.items():
        want = value.lower()
        if key == "category":
            score += voice.category.lower() == want
        elif key == "language":
            # "en" matches "en-US": the language matters more than the region.
            tags = [t.lower().split("-")[0] for t in voice.languages]
            score += want.split("-")[0] in tags
        else:
            score += voice.labels.get(key, "").lower() == want
    return score


def _traits(earlier: Voice | None, like: Mapping[str, str] | None) -> dict[str, str]:
    wanted: dict[str, str] = {}
    if earlier is not None:
        wanted = {k: earlier.labels[k] for k in TRAITS if earlier.labels.get(k)}
        if earlier.languages:
            wanted["language"] = earlier.languages[0]
        wanted["category"] = earlier.category
    return {**wanted, **{k: v for k, v in (like or {}).items() if v}}


def _by_id(voices: list[Voice], voice_id: str) -> Voice | None:
    return next((v for v in voices if v.voice_id == voice_id), None)


def _describe(voice: Voice) -> str:
    """ "Rachel, premade, female, american": what a person needs to judge a voice by."""
    parts = [voice.name, voice.category]
    parts += [voice.labels[k] for k in ("gender", "accent") if voice.labels.get(k)]
    if not voice.labels.get("accent") and voice.languages:
        parts.append(voice.languages[0])
    return ", ".join(parts)
