"""Settings come from PARLEY_* variables, then parley.toml, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.config import Settings, default_data_dir


def test_defaults_point_at_sqlite_in_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARLEY_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", "/srv/xdg")
    settings = Settings()
    assert settings.data_dir == Path("/srv/xdg/parley") == default_data_dir()
    assert settings.resolved_database_url == "sqlite+aiosqlite:////srv/xdg/parley/parley.db"


def test_toml_file_then_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "parley.toml").write_text('port = 9000\nauthor = "from-toml"\n')
    monkeypatch.delenv("PARLEY_AUTHOR")
    assert (Settings().port, Settings().author) == (9000, "from-toml")
    monkeypatch.setenv("PARLEY_PORT", "9100")
    assert Settings().port == 9100


def test_explicit_database_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_DATABASE_URL", "postgresql+asyncpg://u@h/db")
    assert Settings().resolved_database_url == "postgresql+asyncpg://u@h/db"
