"""A local stand-in for ElevenLabs Agents Platform and Ultravox, faithful to their real contracts.

`parley emulate` serves it on a port; tests mount `create_emulator_app()` behind
`httpx.ASGITransport`. It imports nothing from Parley's domain code (a test checks this), so it
could be lifted out as its own package.
"""
