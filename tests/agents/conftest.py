"""Agents tests use the provider fixtures (emulator in-process) too."""

from tests.providers.conftest import emu, emulator_app

__all__ = ["emu", "emulator_app"]
