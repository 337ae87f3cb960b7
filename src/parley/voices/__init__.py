"""Voices across providers: list and show them, cache catalogues, check a spec's voice."""
