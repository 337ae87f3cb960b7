"""The emulated Ultravox API: agents, calls, webhooks and the joinUrl WebSocket."""
