"""Parley: an open-source control plane for voice AI agents on ElevenLabs and Ultravox."""

__version__ = "0.1.0"
