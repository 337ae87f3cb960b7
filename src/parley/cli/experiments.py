"""`parley experiments ...`: create, list, start, pause, stop, promote, weights, status, power."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from parley.cli.runtime import JSON_OPTION, author, console, fail, print_json, with_session

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.ext.asyncio import AsyncSession

    from parley.experiments.schemas import ExperimentReport, ExperimentView

app = typer.Typer(
    help="Experiments: split an agent's traffic between versions and judge the result.",
    no_args_is_help=True,
)


@app.command()
def create(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Experiment YAML."),
    start: bool = typer.Option(False, "--start", help="Start it right away."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an experiment (a draft) from a YAML file; see docs/experiments.md."""
    from parley.errors import SpecInvalid
    from parley.experiments import service
    from parley.experiments.spec import check

    try:
        spec = check(yaml_text=file.read_text(encoding="utf-8"), source=str(file))
    except SpecInvalid as exc:
        err = console(stderr=True)
        for p in exc.details["problems"]:
            where = f"{p['file']}:{p['line']}:{p['column']}"
            err.print(f"{where}: error: {p['path']}: {p['message']}", markup=False)
        raise typer.Exit(1) from exc

    async def work(session: AsyncSession) -> ExperimentView:
        from parley.cli.runtime import providers

        created = await service.create(session, spec)
        if not start:
            return created
        async with providers() as built:
            return await service.start(session, created.name, providers=built)

    shown = with_session(work)
    if as_json:
        print_json(shown)
        return
    console().print(f"created experiment {shown.name} ({shown.status})", markup=False)


@app.command("list")
def list_(
    agent: str | None = typer.Option(None, "--agent", help="Only this agent's."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Every experiment with its status and arms."""
    from rich.table import Table

    from parley.experiments import service

    async def work(session: AsyncSession) -> list[ExperimentView]:
        return await service.list_experiments(session, agent=agent)

    found = with_session(work)
    if as_json:
        print_json(found)
        return
    table = Table("experiment", "agent", "status", "mode", "metric", "arms", "winner")
    for e in found:
        arms = ", ".join(f"{a.name}=v{a.version}@{a.target}" for a in e.arms)
        table.add_row(e.name, e.agent, e.status, e.mode, e.metric, arms, e.winner or "-")
    console().print(table)


def _act(name: str, action: str, as_json: bool, **kwargs: Any) -> None:
    from parley.experiments import decisions, service

    async def work(session: AsyncSession) -> ExperimentView:
        from parley.cli.runtime import providers

        if action == "pause":
            return await service.pause(session, name)
        async with providers() as built:
            if action == "promote":
                return await decisions.promote(
                    session, name, providers=built, author=author(), **kwargs
                )
            if action == "start":
                return await service.start(session, name, providers=built)
            return await service.stop(session, name, providers=built)

    shown = with_session(work)
    if as_json:
        print_json(shown)
        return
    extra = f", winner {shown.winner}" if shown.winner else ""
    console().print(f"{shown.name}: {shown.status}{extra}", markup=False)


@app.command()
def start(name: str, as_json: bool = JSON_OPTION) -> None:
    """Start (or resume) routing the agent's new conversations through the arms."""
    _act(name, "start", as_json)


@app.command()
def pause(name: str, as_json: bool = JSON_OPTION) -> None:
    """New conversations go to the live version; assignments are kept for a resume."""
    _act(name, "pause", as_json)


@app.command()
def stop(name: str, as_json: bool = JSON_OPTION) -> None:
    """End the experiment without promoting anything."""
    _act(name, "stop", as_json)


@app.command()
def promote(
    name: str,
    arm: str | None = typer.Option(None, "--arm", help="Default: the recorded winner."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Make the arm's version the agent's live version (in Parley and on its provider)."""
    _act(name, "promote", as_json, arm=arm)


@app.command()
def weights(
    name: str,
    pairs: list[str] = typer.Argument(..., help="arm=weight, e.g. control=1 warmer=3"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Change the weights for new units; units already assigned keep their arm."""
    from parley.experiments import service

    parsed: dict[str, float] = {}
    for pair in pairs:
        arm, _, value = pair.partition("=")
        try:
            parsed[arm] = float(value)
        except ValueError:
            fail(f"{pair!r}: write arm=weight with a number, e.g. control=1")

    async def work(session: AsyncSession) -> ExperimentView:
        return await service.set_weights(session, name, parsed)

    shown = with_session(work)
    if as_json:
        print_json(shown)
        return
    console().print(
        f"{shown.name}: " + ", ".join(f"{a.name}={a.weight:g}" for a in shown.arms), markup=False
    )


@app.command()
def status(
    name: str,
    evaluate: bool = typer.Option(
        False, "--evaluate", help="Also act on it: guardrails, bandit weights, promotion."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Per-arm counts, rates, intervals, the verdict and warnings."""
    from parley.experiments import decisions, service

    async def work(session: AsyncSession) -> ExperimentReport:
        if evaluate:
            from parley.cli.runtime import providers

            async with providers() as built:
                return await decisions.evaluate(session, name, providers=built)
        return await service.status(session, name)

    report = with_session(work)
    if as_json:
        print_json(report)
        return
    render(console(), report)


@app.command()
def power(
    baseline: float = typer.Option(..., "--baseline", help="Control rate (or mean)."),
    lift: float = typer.Option(..., "--lift", help="Relative lift to detect, e.g. 0.1."),
    per_day: float = typer.Option(..., "--per-day", help="Conversations per day, all arms."),
    arms: int = typer.Option(2, "--arms", min=2, max=8),
    std_dev: float | None = typer.Option(None, "--std-dev", help="Numeric metrics only."),
    expected_total: int = typer.Option(1000, "--expected-total"),
    as_json: bool = JSON_OPTION,
) -> None:
    """How long until a lift is detectable: power after 1-4 weeks, days to 80 % power."""
    from parley.experiments.planning import power_answer
    from parley.experiments.stats.power import binomial_variance

    if std_dev is None and not 0 < baseline < 1:
        fail("--baseline: a rate is between 0 and 1 (give --std-dev for a numeric metric)")
    variance = std_dev**2 if std_dev is not None else binomial_variance(baseline)
    if std_dev is None and baseline * (1 + lift) >= 1:
        fail("--lift: baseline * (1 + lift) must stay a rate below 1")
    answer = power_answer(
        baseline, lift, per_day, arms, variance, 0.05, expected_total, binary=std_dev is None
    )
    if as_json:
        print_json(answer)
        return
    out = console()
    for label, table, days in (
        ("fixed horizon", answer.fixed_power_at, answer.days_to_80_percent_fixed),
        ("always valid", answer.sequential_power_at, answer.days_to_80_percent_sequential),
    ):
        marks = ", ".join(f"{k}: {v:.0%}" for k, v in table.items())
        reach = f"{days:g} days" if days is not None else "over a year"
        out.print(f"{label}: power {marks}; 80 % power after {reach}", markup=False)


def _pct(value: float | None, binary: bool) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if binary else f"{value:.4g}"


def render(out: Console, report: ExperimentReport) -> None:
    from rich import box
    from rich.table import Table

    exp = report.experiment
    out.print(
        f"[bold]{exp.name}[/] on {exp.agent}: {exp.status}, {exp.mode}, metric {exp.metric}, "
        f"unit {exp.unit}"
    )
    binary = report.primary.kind == "binary"
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("arm")
    for column in ("exposed / outcomes", "mean", "effect [always-valid CI]", "p (Holm)"):
        table.add_column(column, justify="right")
    table.add_column("P(beat)", justify="right")
    table.add_column("verdict")
    traffic = {row.arm: row for row in report.traffic}
    arms = {arm.name: arm for arm in exp.arms}
    for row in report.primary.arms:
        arm, flow = arms[row.arm], traffic[row.arm]
        effect = "-"
        if report.primary.scale == "log" and row.relative is not None:
            r = row.relative  # ratio of geometric means - 1, the same sequence as the log one
            effect = f"{_pct(r.estimate, True)}\n[{_pct(r.lower, True)}, {_pct(r.upper, True)}]"
        elif row.absolute is not None:
            a = row.absolute
            effect = (
                f"{_pct(a.estimate, binary)}\n[{_pct(a.lower, binary)}, {_pct(a.upper, binary)}]"
            )
        label = f"{row.arm}{' (paused)' if arm.paused else ''}\nv{arm.version}@{arm.target}"
        missing = f"\n{_pct(flow.missing_rate, True)} missing" if flow.missing_rate else ""
        table.add_row(
            label,
            f"{flow.exposures} / {row.n}{missing}",
            _pct(row.mean, binary),
            effect,
            "-" if row.adjusted_p_value is None else f"{row.adjusted_p_value:.3g}",
            "-" if row.chance_to_beat_control is None else f"{row.chance_to_beat_control:.0%}",
            row.verdict or "control",
        )
    out.print(table)
    for guard in report.guardrails:
        state = "HARM" if guard.harmed else "ok"
        relative = guard.scale == "log"  # bound and margin are relative changes
        bound = "-" if guard.bound is None else f"{guard.bound:.4g}"
        margin = f"{guard.margin:.0%}" if relative else f"{guard.margin:g}"
        if relative and guard.bound is not None:
            bound = f"{guard.bound:+.1%}"
        out.print(
            f"guardrail {guard.metric} ({guard.harm} > {margin}) {guard.arm}: "
            f"{state} (bound {bound})",
            markup=False,
        )
    if report.srm is not None:
        out.print(
            f"sample ratio: BF {report.srm.bayes_factor:.3g}"
            + (" ALARM" if report.srm.alarm else " ok"),
            markup=False,
        )
    verdict = report.decision.replace("_", " ")
    winner = f": {report.winner}" if report.winner else ""
    out.print(f"[bold]decision: {verdict}{winner}[/]")
    for warning in report.warnings:
        out.print(f"[yellow]warning:[/] {warning}")
