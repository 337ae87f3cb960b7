"""Ultravox adapter: a small typed httpx client."""
