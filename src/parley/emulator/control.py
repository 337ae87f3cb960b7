"""`/_emulator/...`: reset, seed, faults, outcome rules, advance, webhook log, simulate, state.

These are the emulator's own controls (like moto's and stripe-mock's), not part of any
provider's contract, and they need no API key.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from parley.emulator.faults import FaultRule
from parley.emulator.outbox import Delivery
from parley.emulator.outcomes import OutcomeRule
from parley.emulator.provider import EmulatedProvider
from parley.emulator.state import Emulator

router = APIRouter(prefix="/_emulator", tags=["emulator control"])


def _emu(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emu
    return emu


class ResetRequest(BaseModel):
    seed: int | None = None


class SeedRequest(BaseModel):
    seed: int | None = None
    fixtures: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="provider name -> fixture data for that provider"
    )


class AdvanceRequest(BaseModel):
    seconds: float = Field(default=0.0, ge=0.0)
    end_calls: dict[str, list[str]] = Field(
        default_factory=dict, description="provider name -> conversation or call ids to end now"
    )


class SimulateRequest(BaseModel):
    provider: str
    options: dict[str, Any] = Field(default_factory=dict)


@router.post("/reset")
async def reset(body: ResetRequest, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    emu.reset(body.seed)
    return {"seed": emu.seed}


@router.post("/seed")
async def seed(body: SeedRequest, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    if body.seed is not None:
        emu.reset(body.seed)
    for name, fixtures in body.fixtures.items():
        _provider(emu, name).seed(emu, fixtures)
    emu.dirty = True
    return {"seed": emu.seed}


@router.get("/faults", response_model=list[FaultRule])
async def list_faults(request: Request) -> list[FaultRule]:
    return _emu(request).faults.rules


@router.post("/faults", response_model=FaultRule)
async def add_fault(rule: FaultRule, request: Request) -> FaultRule:
    return _emu(request).faults.add(rule)


@router.delete("/faults")
async def clear_faults(request: Request, fault_id: str | None = None) -> dict[str, int]:
    return {"removed": _emu(request).faults.clear(fault_id)}


@router.get("/outcomes", response_model=list[OutcomeRule])
async def list_outcomes(request: Request) -> list[OutcomeRule]:
    return _emu(request).outcome_rules


@router.post("/outcomes", response_model=list[OutcomeRule])
async def add_outcome(rule: OutcomeRule, request: Request) -> list[OutcomeRule]:
    """Set the ground truth of an agent's (version's, branch's) live conversations."""
    rules = _emu(request).outcome_rules
    rules[:] = [
        r
        for r in rules
        if (r.provider, r.agent_id, r.version_id, r.branch_id)
        != (rule.provider, rule.agent_id, rule.version_id, rule.branch_id)
    ]
    rules.append(rule)
    return rules


@router.delete("/outcomes")
async def clear_outcomes(request: Request) -> dict[str, int]:
    rules = _emu(request).outcome_rules
    count = len(rules)
    rules.clear()
    return {"removed": count}


@router.post("/advance")
async def advance(body: AdvanceRequest, request: Request) -> dict[str, Any]:
    """Move the clock, end the given calls, then run everything that became due."""
    emu = _emu(request)
    emu.clock.advance(body.seconds)
    ended: dict[str, list[str]] = {}
    for name, ids in body.end_calls.items():
        provider = _provider(emu, name)
        for call_id in ids:
            if not await provider.end_call(emu, call_id):
                raise HTTPException(404, f"{name} has no live call {call_id!r}")
            ended.setdefault(name, []).append(call_id)
    await emu.tick()
    emu.dirty = True
    return {"now": emu.clock.now(), "ended": ended}


@router.get("/webhooks", response_model=list[Delivery])
async def webhooks(request: Request, provider: str | None = None) -> list[Delivery]:
    deliveries = _emu(request).outbox.deliveries
    return [d for d in deliveries if provider is None or d.provider == provider]


@router.post("/webhooks/flush")
async def flush(request: Request) -> dict[str, int]:
    """Send every delivery that is due now and wait for the answers."""
    return {"attempts": await _emu(request).outbox.pump()}


@router.post("/simulate")
async def simulate(body: SimulateRequest, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    try:
        result = await _provider(emu, body.provider).simulate(emu, body.options)
    except HTTPException:
        raise
    except Exception as exc:
        status = getattr(exc, "status", None)
        if not isinstance(status, int):
            raise
        # A provider refusal (e.g. a missing template variable) is the caller's mistake: say so.
        raise HTTPException(status, str(getattr(exc, "detail", exc))) from exc
    emu.dirty = True
    return result


@router.get("/state")
async def state(request: Request) -> dict[str, Any]:
    emu = _emu(request)
    return {
        "seed": emu.seed,
        "now": emu.clock.now(),
        "faults": len(emu.faults.rules),
        "deliveries": len(emu.outbox.deliveries),
        "providers": sorted(emu.providers),
    }


def _provider(emu: Emulator, name: str) -> EmulatedProvider:
    if name not in emu.providers:
        raise HTTPException(404, f"unknown provider {name!r}; known: {sorted(emu.providers)}")
    return emu.providers[name]
