"""Where each arm of a running experiment is served from, so a start reaches the arm's version.

An agent's applied versions on ElevenLabs all sit on its main branch, and ElevenLabs routes
outbound calls, batch calls and phone numbers by branch: the main branch serves only its newest
version. Starting an experiment therefore asks each arm's provider for a target that serves
exactly the arm's version (`serve_version`: on ElevenLabs a branch cut from that version; on
Ultravox, where each version is an agent of its own, the applied agent itself) and keeps it on
the arm. Applying new versions to the agent meanwhile leaves the arms alone. When the experiment
stops or is promoted, what was made for it is archived (its history and conversations stay).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from parley.errors import Conflict, ParleyError
from parley.experiments.repository import ExperimentRepository
from parley.models.experiment import Experiment, ExperimentArm
from parley.providers.base import StartProvider, StartTarget
from parley.providers.registry import Providers, credentials

log = logging.getLogger(__name__)
BRANCH_PREFIX = "parley"


def branch_name(experiment: Experiment, arm: ExperimentArm) -> str:
    """Stable per arm, so a retried start takes back the branch an interrupted one made."""
    return f"{BRANCH_PREFIX}-{experiment.name}-{arm.name}"[:140]


def _starter(providers: Providers, target: str) -> StartProvider | None:
    if not credentials(providers.settings, target)[0]:
        return None
    # Both adapters implement StartProvider next to AgentProvider.
    return providers.get(target)  # type: ignore[return-value]


async def serve(session: AsyncSession, experiment: Experiment, providers: Providers) -> None:
    """Give every arm not served yet its own serving target (Conflict if a provider refuses)."""
    repo = ExperimentRepository(session)
    for arm in experiment.arms:
        if arm.remote_branch_id or arm.remote_version_id:
            continue
        starter = _starter(providers, arm.target)
        binding = await repo.binding(experiment.agent_id, arm.target, arm.version_number)
        if starter is None or binding is None:
            continue  # no key: nothing can start there anyway; start() checked the binding
        applied = StartTarget(
            binding.remote_id, binding.remote_version_id, binding.remote_branch_id
        )
        try:
            serving = await starter.serve_version(
                applied,
                name=branch_name(experiment, arm),
                description=f"Parley experiment {experiment.name}, arm {arm.name} "
                f"(version {arm.version_number})",
            )
        except ParleyError as exc:
            raise Conflict(
                f"arm {arm.name}: {arm.target} could not serve version {arm.version_number} "
                f"on its own: {exc.message}"
            ) from exc
        if serving != applied:
            arm.remote_branch_id = serving.remote_branch_id
            arm.remote_version_id = serving.remote_version_id
    await repo.flush()


async def retire(session: AsyncSession, experiment: Experiment, providers: Providers) -> None:
    """Archive what `serve` made; a provider failure is logged, never blocks the stop."""
    repo = ExperimentRepository(session)
    for arm in experiment.arms:
        if not arm.remote_branch_id:
            continue
        starter = _starter(providers, arm.target)
        binding = await repo.binding(experiment.agent_id, arm.target, arm.version_number)
        if starter is None or binding is None:
            continue
        serving = StartTarget(binding.remote_id, arm.remote_version_id, arm.remote_branch_id)
        try:
            await starter.retire(serving)
        except ParleyError as exc:
            log.warning(
                "experiment %s: arm %s: could not archive its branch: %s",
                experiment.name,
                arm.name,
                exc.message,
            )
