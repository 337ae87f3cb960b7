"""The emulator's building blocks: the agent brain, audio, outcome models."""

from __future__ import annotations

import io
import random
import wave

from parley.emulator import audio, brain, outcomes


def test_brain_is_deterministic_and_follows_its_rules() -> None:
    mind = brain.Brain(tools=["book_meeting"])
    assert mind.reply("I like ETFs", 1) == mind.reply("I like ETFs", 1)
    assert "I like ETFs" in mind.reply("I like ETFs", 1).text
    farewell = mind.reply("ok, bye now", 2)
    assert farewell.end_call
    named = mind.reply('please book_meeting {"time": "2026-12-01T10:00"}', 3)
    assert named.tool_call == brain.ToolCall("book_meeting", {"time": "2026-12-01T10:00"})
    explicit = mind.reply("use tool book_meeting", 4)
    assert explicit.tool_call == brain.ToolCall("book_meeting", {})
    assert mind.reply("use tool unknown_tool", 5).tool_call is None


def test_render_fills_known_variables_only() -> None:
    text = "Hi {{ name }}, {{user.city}} and {{missing}}"
    rendered = brain.render(text, {"name": "Ada", "user": {"city": "Bonn"}})
    assert rendered == "Hi Ada, Bonn and {{missing}}"
    assert brain.template_names(text) == {"name", "user.city", "missing"}


def test_speech_audio_is_real_pcm_and_ulaw() -> None:
    pcm = audio.speech("hello there", "pcm_16000")
    assert len(pcm) == int(audio.speech_duration("hello there") * 16000) * 2
    with wave.open(io.BytesIO(audio.wav(pcm, 16000))) as reader:
        assert (reader.getframerate(), reader.getnframes()) == (16000, len(pcm) // 2)
    ulaw = audio.speech("hello there", "ulaw_8000")
    assert len(ulaw) == int(audio.speech_duration("hello there") * 8000)
    assert audio.pcm_to_ulaw(b"\x00\x00") == b"\xff"


def test_mp3_is_a_run_of_valid_frames() -> None:
    data = audio.mp3_silence(1.0)
    assert len(data) % 417 == 0
    assert len(data) // 417 == 39  # 1 s / (1152 / 44100) rounded up
    assert data[:2] == b"\xff\xfb"


def test_outcomes_follow_the_model_and_the_seed() -> None:
    model = outcomes.OutcomeModel(
        p_success=0.7,
        data_collection={"meeting_booked": outcomes.Distribution(kind="bernoulli", p=0.25)},
        evaluation={"polite": 0.9},
    )
    rng = random.Random(42)
    draws = [outcomes.draw(model, rng) for _ in range(4000)]
    share = sum(d.successful for d in draws) / len(draws)
    booked = sum(d.data["meeting_booked"] for d in draws) / len(draws)
    assert 0.67 < share < 0.73
    assert 0.22 < booked < 0.28
    assert all(5 <= d.duration_s <= 3600 for d in draws)
    again = [outcomes.draw(model, random.Random(42)) for _ in range(1)]
    assert again[0] == draws[0]
