"""Post-call follow-ups: actions taken once a conversation is final (first: meeting e-mails)."""
