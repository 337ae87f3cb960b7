"""Parley: a control plane for voice AI agents."""
