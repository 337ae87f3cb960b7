"""API bearer tokens: created from the CLI, shown once, stored as a hash, listed, revoked."""
