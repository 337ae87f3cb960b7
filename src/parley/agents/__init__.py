"""Agents as code: provider-neutral specs, immutable versions, plan / apply / history / rollback."""
