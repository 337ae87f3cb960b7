"""`parley emulate`: serve the ElevenLabs and Ultravox emulator on a real port."""

from __future__ import annotations

from pathlib import Path

import typer


def emulate(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8790, help="Port to listen on."),
    seed: int = typer.Option(0, help="Seed for ids, routing and simulated outcomes."),
    state_file: Path | None = typer.Option(
        None, "--state-file", help="Keep state in this JSON file across restarts."
    ),
    elevenlabs_key: list[str] = typer.Option(
        [], "--elevenlabs-key", help="Accept only these xi-api-key values (default: any)."
    ),
    ultravox_key: list[str] = typer.Option(
        [], "--ultravox-key", help="Accept only these X-API-Key values (default: any)."
    ),
) -> None:
    """Run the provider emulator: ElevenLabs under /elevenlabs, Ultravox under /ultravox."""
    import uvicorn

    from parley.emulator.app import create_emulator_app
    from parley.emulator.config import EmulatorConfig

    config = EmulatorConfig(
        seed=seed,
        state_file=state_file,
        elevenlabs_api_keys=frozenset(elevenlabs_key) if elevenlabs_key else None,
        ultravox_api_keys=frozenset(ultravox_key) if ultravox_key else None,
        public_url=f"http://{host}:{port}",
        gc_freeze_s=5.0,
    )
    typer.echo(
        f"emulator on http://{host}:{port}: ElevenLabs base URL http://{host}:{port}/elevenlabs, "
        f"Ultravox http://{host}:{port}/ultravox, controls at /_emulator"
    )
    uvicorn.run(create_emulator_app(config), host=host, port=port, log_level="warning")
