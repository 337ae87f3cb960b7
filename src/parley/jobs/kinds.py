"""The explicit list of job kinds and their handlers (no auto-discovery), loaded on first use."""

from __future__ import annotations

from parley.jobs.schemas import Handler


def handlers() -> dict[str, Handler]:
    # Imported here: the jobs package stays importable by the domains that enqueue.
    from parley.conversations import retention
    from parley.conversations import sync as conversations_sync
    from parley.experiments import jobs as experiments
    from parley.followups import service as followups
    from parley.jobs import periodic
    from parley.webhooks import tasks as webhooks

    return {
        webhooks.PROCESS: webhooks.process,
        followups.MEETING: followups.run,
        retention.RETENTION: retention.run_job,
        periodic.SYNC: conversations_sync.run_job,
        periodic.EXPERIMENTS: experiments.run_job,
    }
