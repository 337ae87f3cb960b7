"""Resources tests use the provider fixtures (emulator in-process) too."""

from tests.agents.test_remote import clock, providers
from tests.providers.conftest import emu, emulator_app

__all__ = ["clock", "emu", "emulator_app", "providers"]
