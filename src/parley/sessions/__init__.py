"""Conversation start: web sessions, outbound calls and the inbound initiation webhook."""
