"""ElevenLabs Agents Platform adapter: the official SDK over an injected httpx client."""
