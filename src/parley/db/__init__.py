"""Database access: the async engine and sessions, the declarative base, and migrations."""
