# ruff: noqa: RUF001, RUF002, RUF003 -- Greek letters and × are the reference's math notation.
"""Simulation studies of Parley's experiment statistics (reference `experiments.md` §5).

    .venv/bin/python bench/studies/experiments.py [--runs R] [--scenario NAME] [--quick]
        [--processes P] [--json PATH] [--list]

Studies (scenario names start with the study name; `--scenario` takes a prefix or a glob):
  aa          §5.1 A/A under continuous peeking: sequential vs naive repeated z-test
  coverage    §5.2 coverage of the confidence sequence (absolute and relative) under effects
  delays      §5.3 delayed outcomes, mid-run weight change, sticky units, SRM with weights in force
  power       §5.4 power and stopping size; fixed-design power vs the `power` calculator
  srm         §5.5 χ² vs sequential SRM: false alarms under peeking, power against leaks
  bandit      §5.6 Thompson sampling with a floor: best arm, reward, floor; A/A/A false winners
  assignment  §5.7 hashing uniformity, independence between experiments, stickiness

Each scenario prints its numbers with Monte-Carlo standard errors and PASS/FAIL against the
reference's acceptance rule; rates bounded by a level use level + 3·sqrt(level(1-level)/R)
(= 0.0565 for α = 0.05 at R = 10 000, §5). `--quick` runs a few hundred runs per scenario and
widens fixed thresholds by 3 Monte-Carlo SE; the test suite runs it. Every run is seeded by
scenario name and index, so results do not depend on the number of processes.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench.studies` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.studies.experiments_assign import assignment_study
from bench.studies.experiments_sims import (
    ALPHA,
    RATINGS_SKEWED,
    Params,
    Tally,
    mean_of,
    run_chunk,
    variance_of,
)

from parley.experiments.stats.power import absolute_power
from parley.experiments.stats.power import power as power_calculator


@dataclass(frozen=True)
class Line:
    label: str
    value: float
    se: float | None = None
    rule: str = ""  # acceptance rule; empty for informative numbers
    passed: bool | None = None
    # "parley": Parley's behaviour, counts for the verdict; "harness": a check that the study
    # can see what it looks for (e.g. naive peeking inflates), shown with its own PASS/FAIL but
    # not part of Parley's verdict; "contrast": a deliberately non-default method, shown to
    # explain a default.
    role: str = "parley"

    def render(self) -> str:
        se = f" ± {self.se:.4f}" if self.se is not None else ""
        verdict = "" if self.passed is None else ("  PASS" if self.passed else "  FAIL")
        if self.passed is not None and self.role != "parley":
            verdict += f" ({self.role})"
        rule = f"  [{self.rule}]" if self.rule else ""
        return f"    {self.label:<46} {self.value:>10.4f}{se}{rule}{verdict}"


Evaluate = Callable[[Tally, Params, bool], list[Line]]


@dataclass(frozen=True)
class Scenario:
    name: str
    kernel: str
    params: Params
    runs: int
    quick_runs: int
    evaluate: Evaluate
    chunk: int = 100
    # "default": runs Parley's default settings, must pass. "contrast": a setting Parley does
    # not use by default (the old gate, the linear scale for latency...), kept to show why the
    # default is what it is; its FAIL is the point and does not fail the study.
    role: str = "default"
    note: str = ""


@dataclass
class Result:
    name: str
    runs: int
    lines: list[Line]
    cpu_seconds: float
    params: Params = field(default_factory=dict)
    tally: Tally = field(default_factory=dict)
    role: str = "default"

    @property
    def passed(self) -> bool:
        """Parley's rules held (harness checks and contrast lines are reported, not counted)."""
        return all(line.passed is not False for line in self.lines if line.role == "parley")

    @property
    def harness_ok(self) -> bool:
        return all(line.passed is not False for line in self.lines if line.role == "harness")


# --- evaluation helpers ----------------------------------------------------------------------


def rate(t: Tally, key: str) -> tuple[float, float]:
    r, n = t.get(key, 0.0) / t["runs"], t["runs"]
    return r, math.sqrt(max(r * (1 - r), 1e-12) / n)


def level_bound(level: float, runs: float) -> float:
    return level + 3 * math.sqrt(level * (1 - level) / runs)


def at_most_level(t: Tally, key: str, label: str, level: float) -> Line:
    r, se = rate(t, key)
    bound = level_bound(level, t["runs"])
    return Line(label, r, se, f"≤ {bound:.4f} = {level:g} + 3 SE", r <= bound)


def at_least(t: Tally, key: str, label: str, threshold: float, quick: bool) -> Line:
    r, se = rate(t, key)
    slack = 3 * math.sqrt(threshold * (1 - threshold) / t["runs"]) if quick else 0.0
    return Line(label, r, se, f"≥ {threshold - slack:.4f}", r >= threshold - slack)


def info(t: Tally, key: str, label: str) -> Line:
    r, se = rate(t, key)
    return Line(label, r, se)


def mean_se(t: Tally, total: str, squares: str, n: str = "runs") -> tuple[float, float]:
    count = t[n]
    mean = t[total] / count
    var = max(t[squares] / count - mean**2, 0.0) * count / max(count - 1, 1)
    return mean, math.sqrt(var / count)


def bias_line(t: Tally) -> Line:
    mean, se = mean_se(t, "est_sum", "est_sq", "est_n")
    return Line("bias of final δ̂ (mean δ̂ - δ)", mean, se, "|bias| < 3 MC SE", abs(mean) < 3 * se)


def median_stop(t: Tally) -> float:
    stops = sorted((int(k.split(":")[1]), v) for k, v in t.items() if k.startswith("stop:"))
    half, seen = t["runs"] / 2, 0.0
    for n, v in stops:
        seen += v
        if seen >= half:
            return float(n)
    return math.nan


# --- §5.1 A/A under continuous peeking --------------------------------------------------------

DISTS: dict[str, tuple[Any, ...]] = {
    "binary-0.05": ("binary", 0.05),
    "binary-0.30": ("binary", 0.30),
    "binary-0.70": ("binary", 0.70),
    "durations": ("lognormal", 5.0, 0.8),
    "ratings": ("ratings", RATINGS_SKEWED),
    "latency": ("latency",),
    "latency-capped-3s": ("latency", 3000.0),
}
SPLITS = {"50-50": 0.5, "90-10": 0.1}
# Parley's default scale per simulated metric (spec.py: latency is compared on the log scale).
DEFAULT_SCALE = {"latency": "log"}


def eval_aa(t: Tally, p: Params, quick: bool) -> list[Line]:
    naive, se = rate(t, "naive_reject")
    return [
        at_most_level(t, "seq_reject", "sequential false winners (any look)", ALPHA),
        Line("naive repeated z-test false winners", naive, se, "≥ 2α: peeking detected",
             naive >= 2 * ALPHA, role="harness"),
        info(t, "fixed_reject", "single fixed look at N_max (≈ α)"),
    ]  # fmt: skip


def _aa(
    name: str,
    dist: str,
    split: str,
    runs: int = 10_000,
    quick: int = 300,
    chunk: int = 100,
    role: str = "default",
    note: str = "",
    **extra: Any,
) -> Scenario:
    params = {
        "dist_a": DISTS[dist],
        "share_b": SPLITS[split],
        "n_max": 2000,
        "peek_every": 10,
        **({"scale": DEFAULT_SCALE[dist]} if dist in DEFAULT_SCALE else {}),
        **extra,
    }
    return Scenario(name, "two_arm", params, runs, quick, eval_aa, chunk, role, note)  # fmt: skip


def aa_scenarios() -> list[Scenario]:
    # Parley's defaults: gate 30 binary / 100 numeric, latency on the log scale.
    out = [
        _aa(f"aa.{dist}.{split}", dist, split)
        for dist in ("binary-0.05", "binary-0.30", "binary-0.70", "durations", "ratings",
                     "latency")
        for split in SPLITS
    ]  # fmt: skip
    every = {"peek_every": 1}
    out += [
        _aa("aa.binary-0.30.50-50.every-1", "binary-0.30", "50-50", quick=60, chunk=50, **every),
        _aa("aa.durations.50-50.every-1", "durations", "50-50", quick=60, chunk=50, **every),
        _aa("aa.latency.90-10.every-1", "latency", "90-10", quick=0, chunk=50, **every),
    ]
    # Contrasts: what the defaults replaced, or a user's override.
    contrast = {"role": "contrast", "quick": 0}
    out += [
        _aa("aa.durations.90-10.gate-30", "durations", "90-10", min_units=30,
            note="the former gate of 30 for numeric metrics", **contrast),
        _aa("aa.latency-linear.50-50", "latency", "50-50", scale="linear",
            note="`scale: linear` for latency", **contrast),
        _aa("aa.latency-linear.90-10", "latency", "90-10", scale="linear",
            note="`scale: linear` for latency", **contrast),
        _aa("aa.latency-linear.90-10.gate-30", "latency", "90-10", scale="linear", min_units=30,
            note="the former defaults (linear, gate 30)", **contrast),
        _aa("aa.latency-capped-3s.50-50", "latency-capped-3s", "50-50", scale="linear",
            note="capping instead of the log", **contrast),
        _aa("aa.latency-capped-3s.90-10", "latency-capped-3s", "90-10", scale="linear",
            note="capping instead of the log", **contrast),
        _aa("aa.latency.90-10.gate-30", "latency", "90-10", min_units=30,
            note="log scale with the former gate of 30", **contrast),
    ]  # fmt: skip
    return out


# --- §5.2 coverage ------------------------------------------------------------------------------

RATINGS_BETTER = (0.03, 0.05, 0.08, 0.29, 0.55)


def eval_coverage(t: Tally, p: Params, quick: bool) -> list[Line]:
    lines = [at_most_level(t, "miss_abs", "CS ever misses true δ (absolute)", ALPHA)]
    if p.get("scale") == "log":
        lines.append(at_most_level(t, "miss_rel", "ratio of geometric means CS ever misses", ALPHA))
    else:
        lines.append(
            at_most_level(t, "miss_rel", "relative CS misses, where not indicative", ALPHA)
        )
        lines.append(info(t, "rel_reportable", "runs with a look where it is not indicative"))
        r, se = rate(t, "miss_rel_all")
        bound = level_bound(ALPHA, t["runs"])
        lines.append(Line("relative CS misses, every look (no flag)", r, se,
                          f"≤ {bound:.4f}", r <= bound, role="contrast"))  # fmt: skip
    lines.append(info(t, "seq_reject", "power (rejects δ = 0 at some look)"))
    return lines


def coverage_scenarios() -> list[Scenario]:
    specs: list[tuple[str, Params, str]] = [
        ("binary-0.30-0.36.50-50", {"dist_a": ("binary", 0.30), "dist_b": ("binary", 0.36)}, ""),
        ("binary-0.30-0.40.90-10",
         {"dist_a": ("binary", 0.30), "dist_b": ("binary", 0.40), "share_b": 0.1}, ""),
        ("binary-0.05-0.07.50-50", {"dist_a": ("binary", 0.05), "dist_b": ("binary", 0.07)}, ""),
        ("binary-0.05-0.07.50-50.n-8000",
         {"dist_a": ("binary", 0.05), "dist_b": ("binary", 0.07), "n_max": 8000}, ""),
        ("durations-x0.9.50-50", {"dist_a": DISTS["durations"], "scale_b": 0.9}, ""),
        ("ratings-better.50-50",
         {"dist_a": ("ratings", RATINGS_SKEWED), "dist_b": ("ratings", RATINGS_BETTER)}, ""),
        ("latency-x1.1.90-10",
         {"dist_a": ("latency",), "scale_b": 1.1, "share_b": 0.1, "scale": "log"}, ""),
        ("latency-linear-x1.1.90-10",
         {"dist_a": ("latency",), "scale_b": 1.1, "share_b": 0.1, "scale": "linear"},
         "`scale: linear` for latency"),
    ]  # fmt: skip
    out = []
    for name, extra, note in specs:
        params = {"share_b": 0.5, "n_max": 2000, "peek_every": 10, "coverage": True, **extra}
        role = "contrast" if note else "default"
        quick = 0 if note or params["n_max"] > 2000 else 300
        out.append(
            Scenario(f"coverage.{name}", "two_arm", params, 10_000, quick, eval_coverage,
                     role=role, note=note)
        )  # fmt: skip
    return out


# --- §5.3 delays, weight change, sticky units --------------------------------------------------


def eval_delays(t: Tally, p: Params, quick: bool) -> list[Line]:
    lines = []
    if p["p_a"] == p["p_b"]:
        lines.append(at_most_level(t, "seq_reject", "sequential false winners", ALPHA))
        lines.append(info(t, "naive_reject", "naive repeated z-test false winners"))
    else:
        lines.append(at_most_level(t, "miss_abs", "CS ever misses true δ", ALPHA))
        lines.append(info(t, "seq_reject", "power"))
    lines.append(bias_line(t))
    lines.append(at_most_level(t, "srm_alarm", "SRM alarm, shares = Σ weights in force", 0.01))
    lines.append(info(t, "srm_naive_alarm", "SRM alarm if current weights were used"))
    moved = t["hash_would_move"] / max(t["returning"], 1.0)
    lines.append(Line("returning callers the bare hash would move", moved))
    lines.append(Line("outcomes still pending at the last look", t["pending_at_end"] / t["runs"]))
    return lines


def delays_scenarios() -> list[Scenario]:
    base = {"n_max": 2000, "peek_every": 10, "max_delay": 100, "return_prob": 0.3}
    equal = [(0, (0.5, 0.5))]
    reweight = [(0, (0.5, 0.5)), (1000, (0.2, 0.8))]
    specs = [
        ("aa.delay", {"p_a": 0.3, "p_b": 0.3, "schedule": equal}, 10_000),
        ("aa.delay-reweight", {"p_a": 0.3, "p_b": 0.3, "schedule": reweight}, 10_000),
        ("effect.delay-reweight", {"p_a": 0.30, "p_b": 0.36, "schedule": reweight}, 10_000),
    ]
    return [
        Scenario(f"delays.{name}", "delayed", {**base, **extra}, runs, 200, eval_delays, 50)
        for name, extra, runs in specs
    ]


# --- §5.4 power ---------------------------------------------------------------------------------


def _true_moments(p: Params) -> tuple[float, float, float, float]:
    da = p["dist_a"]
    db = p.get("dist_b", da)
    scale = p.get("scale_b", 1.0)
    return mean_of(da), mean_of(db) * scale, variance_of(da), variance_of(db) * scale**2


def calculator_power(p: Params, *, n_star: float | None = None) -> float:
    """Parley's calculator (`absolute_power`, what planning answers) with both true variances."""
    ma, mb, va, vb = _true_moments(p)
    return absolute_power(ma, va, mb / ma - 1, p["n_max"], 2, treatment_variance=vb,
                          n_star=n_star)  # fmt: skip


def relative_calculator_power(p: Params, *, matched: bool) -> float:
    """GrowthBook's relative-lift calculator (one variance for both arms). "matched" enters the
    one that gives the delta-method SE of the simulated arms: (v_B + v_A r²)/(1 + r²)."""
    ma, mb, va, vb = _true_moments(p)
    r = mb / ma
    variance = (vb + va * r * r) / (1 + r * r) if matched else va
    return power_calculator(ma, variance, mb / ma - 1, p["n_max"], 2)


def eval_power(t: Tally, p: Params, quick: bool) -> list[Line]:
    sim, se = rate(t, "fixed_reject")
    calc = calculator_power(p)
    tol = 0.02 + (3 * se if quick else 0.0)
    rel, rel_se = rate(t, "fixed_rel_reject")
    rel_calc = relative_calculator_power(p, matched=True)
    return [
        info(t, "seq_reject", "sequential power (peek every 10, by N_max)"),
        Line("sequential median stopping size (N_max if none)", median_stop(t)),
        Line("fixed-horizon power at N_max (absolute z)", sim, se, f"within ±{tol:.3f} of calc",
             abs(sim - calc) <= tol),
        Line("calculator power (absolute, Parley's planning)", calc),
        Line("calculator sequential power, one look at N_max", calculator_power(p, n_star=1000)),
        Line("fixed-horizon power at N_max (relative z)", rel, rel_se,
             f"within ±{tol:.3f} of relative calc", abs(rel - rel_calc) <= tol, role="contrast"),
        Line("relative calculator (GrowthBook, matched variance)", rel_calc),
        Line("relative calculator (control variance only)",
             relative_calculator_power(p, matched=False)),
    ]  # fmt: skip


def power_scenarios() -> list[Scenario]:
    specs: list[tuple[str, Params]] = [
        ("binary-0.30-0.36", {"dist_a": ("binary", 0.30), "dist_b": ("binary", 0.36)}),
        ("binary-0.30-0.40", {"dist_a": ("binary", 0.30), "dist_b": ("binary", 0.40)}),
        ("durations-x0.9", {"dist_a": DISTS["durations"], "scale_b": 0.9}),
    ]
    return [
        Scenario(
            f"power.{name}",
            "two_arm",
            {"share_b": 0.5, "n_max": 2000, "peek_every": 10, **extra},
            10_000,
            300,
            eval_power,
        )
        for name, extra in specs
    ]


# --- §5.5 SRM -----------------------------------------------------------------------------------


def eval_srm(t: Tally, p: Params, quick: bool) -> list[Line]:
    if p["share_b"] == 0.5:
        chi2, se = rate(t, "chi2_any")
        return [
            at_most_level(t, "bf100", "sequential false alarm, BF ≥ 100 (α 0.01)", 0.01),
            at_most_level(t, "bf20", "sequential false alarm, BF ≥ 20 (α 0.05)", 0.05),
            at_most_level(t, "bf1000", "sequential false alarm, BF ≥ 1000 (α 0.001)", 0.001),
            Line("χ² p < 0.001 at some check (nominal 0.001)", chi2, se, "> 0.001: inflated",
                 chi2 > 0.001),
            info(t, "chi2_final", "χ² p < 0.001 at the final check only"),
        ]  # fmt: skip
    lines = [info(t, "bf20", "power, BF ≥ 20"), info(t, "bf1000", "power, BF ≥ 1000")]
    if abs(p["share_b"] - 0.55) < 1e-9:
        lines.insert(0, at_least(t, "bf100", "power by N = 2000, BF ≥ 100", 0.70, quick))
    else:
        lines.insert(0, info(t, "bf100", "power, BF ≥ 100"))
    lines.append(info(t, "chi2_any", "χ² p < 0.001 at some check"))
    return lines


def srm_scenarios() -> list[Scenario]:
    return [
        Scenario(
            f"srm.{round(100 * (1 - s))}-{round(100 * s)}",
            "srm",
            {"share_b": s, "weights": [0.5, 0.5], "n_max": 2000, "check_every": 10},
            10_000,
            400,
            eval_srm,
            250,
        )
        for s in (0.5, 0.55, 0.52, 0.6)
    ]


# --- §5.6 bandit --------------------------------------------------------------------------------


def eval_bandit(t: Tally, p: Params, quick: bool) -> list[Line]:
    if not p["adaptive"] or len(set(p["rates"])) == 1:
        lines = [at_most_level(t, "test_reject", "always-valid test vs control (Bonf.)", ALPHA)]
        if p.get("track_confidence"):
            lines.append(info(t, "confident_any", "P(best) ≥ 0.95 at some update"))
        return lines
    uniform = sum(p["rates"]) / len(p["rates"])
    reward, se = mean_se(t, "reward_sum", "reward_sq")
    floor_ok = t["floor_ok"] / max(t["updates"], 1)
    return [
        Line("updates respecting the floor (w_k ≥ f, Σ = 1)", floor_ok, None, "= 1",
             floor_ok == 1.0),
        at_least(t, "correct", "best arm has the highest final P(best)", 0.95, quick),
        Line("mean reward per conversation", reward, se, f"> uniform {uniform:.4f} + 3 SE",
             reward > uniform + 3 * se),
        Line("best-arm traffic share", t["best_share"] / t["runs"]),
        info(t, "confident", "P(best arm is best) ≥ 0.95 at the end"),
    ]  # fmt: skip


def bandit_scenarios() -> list[Scenario]:
    base: Params = {
        "rates": (0.30, 0.33, 0.40), "n_total": 2000, "batch": 50, "max_delay": 100,
        "floor": 0.05, "burn_in": 100, "draws": 1000, "final_draws": 10_000,
        "adaptive": True, "test_alpha": ALPHA,
    }  # fmt: skip
    aaa = {**base, "rates": (0.30, 0.30, 0.30)}
    specs: list[tuple[str, Params, int, int]] = [
        ("best-arm", base, 2_000, 40),
        ("best-arm.no-delay", {**base, "max_delay": 0}, 500, 0),
        ("aaa.thompson", {**aaa, "track_confidence": True}, 2_000, 40),
        ("aaa.fixed", {**aaa, "adaptive": False}, 2_000, 0),
    ]
    return [
        Scenario(f"bandit.{name}", "bandit", params, runs, quick, eval_bandit, 10)
        for name, params, runs, quick in specs
    ]


SCENARIOS: list[Scenario] = [
    *aa_scenarios(),
    *coverage_scenarios(),
    *delays_scenarios(),
    *power_scenarios(),
    *srm_scenarios(),
    *bandit_scenarios(),
]
ASSIGNMENT = "assignment.hashing"


def _matches(name: str, pattern: str | None) -> bool:
    """A prefix or glob; several may be given separated by commas."""
    if pattern is None:
        return True
    return any(name.startswith(p) or fnmatch.fnmatchcase(name, p) for p in pattern.split(",") if p)


def select(pattern: str | None, quick: bool) -> list[Scenario]:
    chosen = [s for s in SCENARIOS if _matches(s.name, pattern)]
    return [s for s in chosen if not quick or s.quick_runs > 0]


def run_scenarios(
    scenarios: Sequence[Scenario],
    *,
    runs: int | None = None,
    quick: bool = False,
    processes: int | None = None,
    report: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Run the scenarios over a process pool; results come back in the given order."""
    sizes = {s.name: runs or (s.quick_runs if quick else s.runs) for s in scenarios}
    tasks = []
    for s in scenarios:
        for start in range(0, sizes[s.name], s.chunk):
            count = min(s.chunk, sizes[s.name] - start)
            tasks.append((s.kernel, s.name, s.params, start, count))
    tallies: dict[str, Tally] = {s.name: {} for s in scenarios}
    cpu: dict[str, float] = dict.fromkeys(tallies, 0.0)
    remaining = {s.name: math.ceil(sizes[s.name] / s.chunk) for s in scenarios}
    by_name = {s.name: s for s in scenarios}
    results: dict[str, Result] = {}
    procs = processes or os.cpu_count() or 1
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(procs) if procs > 1 else _Serial() as pool:
        for name, tally, seconds in pool.imap_unordered(_timed_chunk, tasks):
            for key, value in tally.items():
                tallies[name][key] = tallies[name].get(key, 0.0) + value
            cpu[name] += seconds
            remaining[name] -= 1
            if remaining[name] == 0:
                s = by_name[name]
                lines = s.evaluate(tallies[name], s.params, quick)
                results[name] = Result(
                    name, int(tallies[name]["runs"]), lines, cpu[name], s.params, tallies[name],
                    s.role,
                )  # fmt: skip
                if report:
                    report(results[name])
    return [results[s.name] for s in scenarios]


def _timed_chunk(task: tuple[str, str, Params, int, int]) -> tuple[str, Tally, float]:
    started = time.process_time()
    name, tally = run_chunk(task)
    return name, tally, time.process_time() - started


class _Serial:
    def __enter__(self) -> _Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def imap_unordered(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Any:
        return map(fn, items)


def print_result(result: Result) -> None:
    verdict = "PASS" if result.passed else "FAIL"
    if result.role != "default":
        verdict += f" ({result.role})"
    print(f"{result.name}  (R = {result.runs}, cpu {result.cpu_seconds:.0f} s)  {verdict}")
    for line in result.lines:
        print(line.render())
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--runs", type=int, help="runs per scenario (default: per scenario)")
    parser.add_argument(
        "--scenario", help="scenario name, prefix (e.g. 'aa') or glob; several comma-separated"
    )
    parser.add_argument("--quick", action="store_true", help="a few hundred runs per scenario")
    parser.add_argument("--processes", type=int, help="worker processes (default: cpu count)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)
    scenarios = select(args.scenario, args.quick)
    with_assignment = args.scenario is None or any(
        ASSIGNMENT.startswith(p) for p in args.scenario.split(",") if p
    )
    if args.list:
        for s in scenarios:
            print(f"{s.name:<44} runs {s.runs:>6}  quick {s.quick_runs:>4}  {s.role}")
        print(f"{ASSIGNMENT:<44} 100 000 ids (deterministic)")
        return 0
    started = time.time()
    print(
        f"# {platform.node()} {platform.machine()} cpus={os.cpu_count()} "
        f"python {platform.python_version()} {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())}"
    )
    results = run_scenarios(
        scenarios, runs=args.runs, quick=args.quick, processes=args.processes, report=print_result
    )
    if with_assignment:
        t0 = time.process_time()
        lines = [Line(*line) for line in assignment_study(20_000 if args.quick else 100_000)]
        results.append(Result(ASSIGNMENT, 1, lines, time.process_time() - t0))
        print_result(results[-1])
    wall = time.time() - started
    defaults = [r for r in results if r.role == "default"]
    failed = [r.name for r in defaults if not r.passed]
    contrasts = [r for r in results if r.role != "default"]
    print(
        f"# {len(defaults)} default scenarios, {len(failed)} failed; "
        f"{len(contrasts)} contrasts, {sum(not r.passed for r in contrasts)} of them fail "
        f"Parley's rules (their point); wall {wall:.0f} s"
    )
    for name in failed:
        print(f"# FAIL {name}")
    for r in results:
        if not r.harness_ok:
            print(f"# harness check not met: {r.name}")
    if args.json:
        payload = {
            "wall_seconds": wall,
            "results": [
                {
                    "name": r.name,
                    "role": r.role,
                    "runs": r.runs,
                    "passed": r.passed,
                    "cpu_seconds": r.cpu_seconds,
                    "lines": [line.__dict__ for line in r.lines],
                    "params": r.params,
                    "tally": r.tally,
                }
                for r in results
            ],
        }
        args.json.write_text(json.dumps(payload, indent=1, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
