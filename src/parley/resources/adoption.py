"""Adopting a tool or document an interrupted apply created but never recorded.

Creates are plain POSTs: if an apply dies between the provider's answer and the commit, the
next run would create the resource again. So, as agents do (`agents.remote._adoptable`), each
provider's tools / documents are listed once per apply, and a create first looks for a remote
object with the same name whose managed fields equal what would be sent.

Documents keep their content write-only (only name, type, url or filename read back), so a
document Parley already knows (a row's id, or one it superseded) is never adopted: that is
the old content an edit is replacing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from parley.providers.base import CompiledResource, RemoteResource, ResourceProvider
from parley.providers.errors import ProviderError, ProviderNotFound
from parley.providers.projection import differences, project
from parley.providers.registry import Providers

Pair = tuple[str, str]  # (target, kind)
Names = dict[str, list[str]]  # remote name -> remote ids


async def get(provider: ResourceProvider, kind: str, remote_id: str) -> RemoteResource:
    if kind == "tool":
        return await provider.get_tool(remote_id)
    return await provider.get_knowledge(remote_id)


async def names(provider: ResourceProvider, kind: str) -> Names:
    listed = provider.list_tools() if kind == "tool" else provider.list_knowledge()
    found: Names = {}
    async for remote in listed:
        found.setdefault(remote.name, []).append(remote.remote_id)
    return found


async def listings(
    providers: Providers, pairs: Iterable[Pair]
) -> tuple[dict[Pair, Names], dict[Pair, ProviderError]]:
    """Each (target, kind) listed once, concurrently; an unreachable listing is kept as its error
    so only the creates that needed it fail."""
    wanted = sorted(set(pairs))

    async def one(pair: Pair) -> Names | ProviderError:
        try:
            return await names(providers.get(pair[0]).resources, pair[1])
        except ProviderError as exc:
            return exc

    answers = await asyncio.gather(*(one(pair) for pair in wanted))
    found = {p: a for p, a in zip(wanted, answers, strict=True) if not isinstance(a, Exception)}
    failed = {p: a for p, a in zip(wanted, answers, strict=True) if isinstance(a, ProviderError)}
    return found, failed


async def adoptable(
    provider: ResourceProvider, compiled: CompiledResource, existing: Names, known: set[str]
) -> RemoteResource | None:
    """A remote object identical (on the managed fields) to what we are about to create."""
    sent = compiled.visible()
    for remote_id in list(existing.get(compiled.name, [])):
        if remote_id in known:
            continue
        try:
            candidate = await get(provider, compiled.kind, remote_id)
        except ProviderNotFound:
            continue  # deleted since it was listed
        if not differences(sent, project(candidate.payload, sent)):
            existing[compiled.name].remove(remote_id)  # one remote object, one resource
            return candidate
    return None
