"""Parley's settings: `PARLEY_*` environment variables, then `parley.toml`, then defaults.

The embedded default needs no configuration at all: data lives in a per-user data directory and the
database is a SQLite file there (WAL mode). Point `PARLEY_DATABASE_URL` at PostgreSQL to scale out.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/parley`, or `~/.local/share/parley`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "parley"


def config_file() -> Path:
    """The TOML file read for settings: `$PARLEY_CONFIG`, else `./parley.toml`."""
    return Path(os.environ.get("PARLEY_CONFIG", "parley.toml"))


class Settings(BaseSettings):
    """Every knob Parley has. Environment variables win over `parley.toml`."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = Field(
        default="",
        description="SQLAlchemy async URL; empty means a SQLite file in the data directory.",
    )
    database_pool_size: int = Field(
        default=20,
        ge=1,
        description=(
            "Database connections the server keeps open; a request beyond them opens and closes"
            " its own, which costs more than its queries."
        ),
    )
    auto_migrate: bool = Field(
        default=True, description="Bring the database schema up to date on first use."
    )
    host: str = "127.0.0.1"
    port: int = 8080
    author: str = Field(default="", description="Who is recorded as the author of new versions.")
    log_level: str = "info"
    # Providers: keys are secrets (never printed); base URLs point at `parley emulate` in tests.
    elevenlabs_api_key: SecretStr | None = None
    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    ultravox_api_key: SecretStr | None = None
    ultravox_base_url: str = "https://api.ultravox.ai"
    provider_timeout_s: float = Field(default=30.0, gt=0)
    caller_hash_key: SecretStr | None = Field(
        default=None,
        description=(
            "Key for the HMAC-SHA256 of caller phone numbers; unset, a random key is created once"
            " in the data directory (caller-hash.key). Changing it makes old hashes unmatched."
        ),
    )
    sync_overlap_s: float = Field(
        default=900.0,
        ge=0,
        description="How far before the last sync's newest conversation the next sync looks again.",
    )
    voice_cache_ttl_s: float = Field(
        default=3600.0, ge=0, description="How long a provider's voice list is reused (0: never)."
    )
    # Webhooks: the signature is the authentication. Unset, the endpoint refuses every event.
    # A comma-separated list holds several secrets while one is being rotated.
    elevenlabs_webhook_secret: SecretStr | None = None
    ultravox_webhook_secret: SecretStr | None = None
    webhook_max_bytes: int = Field(
        default=5 * 1024 * 1024, gt=0, description="Larger webhook bodies are refused (413)."
    )
    webhook_tolerance_s: float = Field(
        default=1800.0, gt=0, description="How old a webhook's signed timestamp may be."
    )
    webhook_future_s: float = Field(
        default=300.0, ge=0, description="How far ahead of our clock a signed timestamp may be."
    )
    # Conversation starts (docs/sessions.md). The initiation webhook refuses every request
    # while its secret is unset; ElevenLabs sends it as a configured request header.
    elevenlabs_initiation_secret: SecretStr | None = None
    elevenlabs_initiation_header: str = Field(
        default="X-Parley-Initiation-Secret",
        description="The request header ElevenLabs is configured to send the secret in.",
    )
    secret_variables: SecretStr | None = Field(
        default=None,
        description=(
            "JSON object of values for variables declared `secret: true` (e.g. a tool's token);"
            " values a caller supplies win. Never logged or stored."
        ),
    )
    # Jobs: persisted, retried with exponential backoff, parked after this many attempts.
    job_max_attempts: int = Field(default=8, ge=1)
    job_backoff_s: float = Field(default=10.0, gt=0, description="Delay before the 1st retry.")
    job_lease_s: float = Field(
        default=300.0, gt=0, description="A claimed job is taken again if not done by then."
    )
    job_poll_s: float = Field(default=1.0, gt=0, description="In-process runner's idle poll.")
    job_runner: bool = Field(
        default=True, description="Run jobs inside the API process (embedded mode)."
    )

    # Follow-ups (docs/conversations.md): with no SMTP host the job only records "not configured".
    smtp_host: str = Field(default="", description="SMTP server for follow-up e-mails.")
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS.")
    smtp_from: str = Field(default="", description="Sender (and ORGANIZER) of follow-up e-mails.")
    smtp_timeout_s: float = Field(default=30.0, gt=0)
    followup_agents: str = Field(
        default="",
        description=(
            "Comma-separated agent names that send meeting follow-ups; empty: every agent whose"
            " spec collects `meeting_booked`."
        ),
    )
    followup_meeting_minutes: int = Field(default=30, gt=0, le=24 * 60)

    # Periodic jobs, run by whichever job runner gets there first (0 turns one off).
    sync_interval_s: float = Field(
        default=900.0, ge=0, description="How often providers are reconciled (conversations)."
    )
    retention_interval_s: float = Field(
        default=86400.0, ge=0, description="How often retention policies are applied."
    )
    experiments_interval_s: float = Field(
        default=300.0,
        ge=0,
        description="How often running experiments are evaluated (guardrails, bandits, promotion).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return (init_settings, env_settings, toml)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'parley.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()


def settings_with(**overrides: Any) -> Settings:
    """Settings with explicit values on top (tests, the demo)."""
    return Settings(**overrides)
