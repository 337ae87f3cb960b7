"""Which provider each resource goes to, what agents reference, and who uses a resource.

A resource is applied where the agents that use it run: the targets of the agents in the same
run that name it, plus the targets where Parley already manages it. A resource no agent names
goes to every provider. Deleting is refused while a live agent still uses the resource.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.spec import PROVIDERS, AgentSpec
from parley.providers.base import References
from parley.resources.repository import ResourceRepository

FIELD = {"tool": "tools", "knowledge": "knowledge"}
Key = tuple[str, str]  # (kind, name)


def wanted_targets(
    keys: Sequence[Key],
    agents: Sequence[AgentSpec],
    managed: dict[Key, set[str]],
    only: Sequence[str] | None = None,
) -> dict[Key, list[str]]:
    out: dict[Key, list[str]] = {}
    for kind, name in keys:
        chosen = set(managed.get((kind, name), set()))
        for agent in agents:
            if name in getattr(agent, FIELD[kind]):
                chosen.update(agent.targets)
        if not chosen:
            chosen = set(PROVIDERS)
        out[(kind, name)] = [t for t in PROVIDERS if t in chosen and (only is None or t in only)]
    return out


async def managed_targets(session: AsyncSession) -> dict[Key, set[str]]:
    found: dict[Key, set[str]] = {}
    for row in await ResourceRepository(session).rows():
        found.setdefault((row.kind, row.name), set()).add(row.target)
    return found


async def known_names(session: AsyncSession) -> dict[str, set[str]]:
    """kind -> names Parley manages on at least one provider (for reference checks)."""
    names: dict[str, set[str]] = {"tool": set(), "knowledge": set()}
    for kind, name in await managed_targets(session):
        names.setdefault(kind, set()).add(name)
    return names


async def references(session: AsyncSession, target: str) -> References:
    """Provider ids of every resource applied to `target`, for compiling agents."""
    refs = References()
    for row in await ResourceRepository(session).rows(target):
        if row.kind == "tool":
            refs.tools[row.name] = row.remote_id
        else:
            doc = {"id": row.remote_id}
            if isinstance(row.payload.get("type"), str):
                doc["type"] = row.payload["type"]  # ElevenLabs names the document type
            refs.knowledge[row.name] = doc
    return refs


async def dependents(session: AsyncSession, kind: str, name: str, target: str) -> list[str]:
    """`agent (vN)` for each agent whose live version on `target` uses the resource."""
    users = await ResourceRepository(session).live_agents(target)
    return [f"{agent} (v{version})" for agent, version, spec in users
            if name in spec.get(FIELD[kind], [])]  # fmt: skip
