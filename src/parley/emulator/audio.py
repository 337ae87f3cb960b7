"""Real audio bytes for the emulator: PCM and mu-law speech stand-ins, WAV, and valid MP3.

Agent speech is a soft tone whose length follows the text (about 60 ms per character), so
clients that play or measure audio get plausible data. MP3 files are made of silent MPEG-1
Layer III frames, which every decoder accepts, at 128 kbit/s and 44.1 kHz.
"""

from __future__ import annotations

import io
import math
import struct
import wave

PCM_RATES = {
    "pcm_8000": 8000,
    "pcm_16000": 16000,
    "pcm_22050": 22050,
    "pcm_24000": 24000,
    "pcm_44100": 44100,
    "pcm_48000": 48000,
}
FORMATS = (*PCM_RATES, "ulaw_8000")
MS_PER_CHAR = 60
MAX_SPEECH_S = 20.0


def speech_duration(text: str) -> float:
    return min(MAX_SPEECH_S, max(0.3, len(text) * MS_PER_CHAR / 1000))


def tone(duration_s: float, rate: int, freq: float = 220.0, amplitude: int = 3000) -> bytes:
    """16-bit little-endian mono PCM of a sine tone."""
    count = int(duration_s * rate)
    step = 2 * math.pi * freq / rate
    return struct.pack(f"<{count}h", *(int(amplitude * math.sin(i * step)) for i in range(count)))


def speech(text: str, fmt: str) -> bytes:
    """Audio standing in for `text` spoken, in an ElevenLabs output format."""
    if fmt == "ulaw_8000":
        return pcm_to_ulaw(tone(speech_duration(text), 8000))
    if fmt not in PCM_RATES:
        raise ValueError(f"unsupported audio format {fmt!r}")
    return tone(speech_duration(text), PCM_RATES[fmt])


def chunks(data: bytes, size: int = 8000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


def pcm_to_ulaw(pcm: bytes) -> bytes:
    """G.711 mu-law encoding of 16-bit PCM."""
    out = bytearray()
    for (sample,) in struct.iter_unpack("<h", pcm):
        sign = 0x80 if sample < 0 else 0
        magnitude = min(abs(sample), 32635) + 132
        exponent = 7
        for exp in range(7, -1, -1):
            if magnitude & (0x80 << exp):
                exponent = exp
                break
        mantissa = (magnitude >> (exponent + 3)) & 0x0F
        out.append(~(sign | (exponent << 4) | mantissa) & 0xFF)
    return bytes(out)


def wav(pcm: bytes, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm)
    return buffer.getvalue()


# MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding, mono: 417-byte frames of 1152 samples.
_MP3_HEADER = bytes([0xFF, 0xFB, 0x90, 0xC4])
_MP3_FRAME = _MP3_HEADER + bytes(417 - len(_MP3_HEADER))
_MP3_FRAME_S = 1152 / 44100


def mp3_silence(duration_s: float) -> bytes:
    frames = max(1, math.ceil(duration_s / _MP3_FRAME_S))
    return _MP3_FRAME * frames
