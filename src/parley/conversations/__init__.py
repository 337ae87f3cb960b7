"""Conversations: one provider-neutral record per finished conversation, and reconciliation."""
