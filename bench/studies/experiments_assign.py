"""Assignment study (reference `experiments.md` §5.7): Parley's hashing over synthetic callers.

Deterministic (no Monte Carlo): `n` E.164-like caller ids (+1555 followed by a 7-digit counter,
sequential on purpose, the worst case for a weak hash) go through `stats.hashing`.
- uniformity: v2 hash values in 100 buckets, χ² goodness of fit, for three experiment seeds;
- weights: `choose_arm` shares for 20/30/50 match the weights (χ²);
- independence: the arms of two experiments (different seeds) form a 2 x 2 table with no
  association (χ² test of independence);
- stickiness: a store (a dict honouring the first assignment) keeps 100 % of existing callers
  on their arm after a reweight, while the bare hash would move the callers between the old
  and new cut points; new callers after the reweight follow the new weights.
"""

from __future__ import annotations

import math

from parley.experiments.stats._special import chi2_sf
from parley.experiments.stats.hashing import choose_arm, hash_unit
from parley.experiments.stats.srm import chi2_srm

Row = tuple[str, float, float | None, str, bool | None]
P_MIN = 0.001


def _ids(n: int, offset: int = 0) -> list[str]:
    return [f"+1555{i + offset:07d}" for i in range(n)]


def _arm(unit: str, seed: str, weights: list[float]) -> int:
    arm = choose_arm(unit, seed, weights)
    assert arm is not None  # full coverage: every unit is enrolled
    return arm


def _independence_p(table: list[list[int]]) -> float:
    total = sum(map(sum, table))
    rows = [sum(r) for r in table]
    cols = [sum(c) for c in zip(*table, strict=True)]
    stat = sum(
        (table[i][j] - rows[i] * cols[j] / total) ** 2 / (rows[i] * cols[j] / total)
        for i in range(len(rows))
        for j in range(len(cols))
    )
    return chi2_sf(stat, (len(rows) - 1) * (len(cols) - 1))


def assignment_study(n: int) -> list[Row]:
    ids = _ids(n)
    rows: list[Row] = []
    for seed in ("exp-greeting", "exp-voice", "exp-prompt-v7"):
        buckets = [0] * 100
        for unit in ids:
            value = hash_unit(seed, unit)
            assert value is not None
            buckets[int(value * 100)] += 1
        p = chi2_srm(buckets, [1.0] * 100)
        rows.append((f"uniformity χ² p, 100 buckets, seed {seed}", p, None, "> 0.001", p > P_MIN))
    weights = [0.2, 0.3, 0.5]
    counts = [0, 0, 0]
    for unit in ids:
        counts[_arm(unit, "exp-weights", weights)] += 1
    p = chi2_srm(counts, weights)
    rows.append(("shares 20/30/50 χ² p", p, None, "> 0.001", p > P_MIN))
    for k, w in enumerate(weights):
        share = counts[k] / n
        rows.append((f"share of arm {k} (weight {w})", share, math.sqrt(w * (1 - w) / n), "", None))
    table = [[0, 0], [0, 0]]
    for unit in ids:
        table[_arm(unit, "exp-a", [0.5, 0.5])][_arm(unit, "exp-b", [0.5, 0.5])] += 1
    p = _independence_p(table)
    rows.append(("independence of two experiments, χ² p", p, None, "> 0.001", p > P_MIN))
    rows.extend(_stickiness(ids, "exp-sticky", [0.5, 0.5], [0.2, 0.8], n))
    rows.extend(_stickiness(ids, "exp-sticky3", [1 / 3] * 3, [0.1, 0.1, 0.8], n))
    return rows


def _stickiness(ids: list[str], seed: str, old: list[float], new: list[float], n: int) -> list[Row]:
    label = (
        "/".join(f"{round(100 * w)}" for w in old)
        + " → "
        + "/".join(f"{round(100 * w)}" for w in new)
    )
    store = {unit: _arm(unit, seed, old) for unit in ids}
    kept = moved = 0
    for unit in ids:
        stored = store.setdefault(unit, _arm(unit, seed, new))  # returning: the store wins
        kept += stored == store[unit]
        moved += _arm(unit, seed, new) != stored
    fresh = [0] * len(new)
    for unit in _ids(n, offset=5_000_000):
        fresh[store.setdefault(unit, _arm(unit, seed, new))] += 1
    p = chi2_srm(fresh, new)
    return [
        (f"{label}: existing callers keeping their arm", kept / n, None, "= 1", kept == n),
        (f"{label}: callers the bare hash would move", moved / n, None, "", None),
        (f"{label}: new callers follow new weights, χ² p", p, None, "> 0.001", p > P_MIN),
    ]
