"""The emulated ElevenLabs Agents Platform: REST, conversation WebSocket, outgoing webhooks."""
