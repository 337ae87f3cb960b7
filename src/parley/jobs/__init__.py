"""Persisted background jobs: `enqueue` inside the caller's unit of work, a runner that claims
due jobs (safely across processes), retries with exponential backoff and parks what keeps failing.

The facade is `enqueue` (and the `Runner`); the storage is Parley's own database on SQLite and
PostgreSQL alike, so the embedded default and a scale-out deployment run the same code.
"""

from parley.jobs.service import enqueue

__all__ = ["enqueue"]
