"""`parley agents ...`: validate, plan, apply, list, show, history, diff, rollback, export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from parley.cli.agents_pull import pull
from parley.cli.runtime import (
    JSON_OPTION,
    author,
    console,
    emit_text,
    fail,
    print_json,
    progress_bar,
    providers,
    with_session,
    with_units,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from parley.agents.service import SourcedSpec
    from parley.agents.validate import CheckReport

app = typer.Typer(help="Agents as code: specs in YAML, immutable versions, plan / apply.")

PATHS = typer.Argument(..., help="Spec files or directories (searched for *.yaml, *.yml).")


def _check(paths: list[Path]) -> CheckReport:
    from parley.agents.validate import check_paths
    from parley.cli.resources import managed_names

    return check_paths(paths, known=managed_names)


def _sourced(report: CheckReport, *, with_git: bool) -> list[SourcedSpec]:
    from parley.agents.provenance import git_provenance
    from parley.agents.service import Provenance, SourcedSpec

    valid = [c for c in report.specs if c.ok and c.spec is not None]
    files = [Path(c.file) for c in valid]
    origins = git_provenance(files) if with_git else {}
    return [
        SourcedSpec(c.spec, origins.get(Path(c.file), Provenance(path=c.file)))
        for c in valid
        if c.spec is not None
    ]


@app.command()
def validate(
    paths: Annotated[list[Path], PATHS],
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check spec files; report every problem with file, line, column and field."""
    from parley.cli import agents_output as show

    report = _check(paths)
    found = report.all_problems
    errors = report.error_count + (len(found) - report.error_count if strict else 0)
    if as_json:
        print_json(
            {
                "valid": [c.file for c in report.specs if c.ok],
                "problems": [p.to_dict() for p in found],
            }
        )
    else:
        out = console()
        show.problems(out, found)
        files = len(report.specs) + len(report.resources)
        valid = len(report.valid) + len(report.valid_resources)
        warnings = len(found) - report.error_count
        out.print(
            f"{files} file(s): {valid} valid, {report.error_count} error(s), {warnings} warning(s)"
        )
    if errors:
        raise typer.Exit(1)


TARGET = typer.Option(
    None,
    "--target",
    help="Also compare with / push to a provider: elevenlabs, ultravox or all.",
)


def _targets(target: str | None) -> list[str] | None:
    """None: each spec's own targets; a name: only that provider."""
    from parley.providers.registry import PROVIDERS

    if target is None or target == "all":
        return None
    if target not in PROVIDERS:
        fail(f"--target must be one of {', '.join(PROVIDERS)} or all, not {target!r}")
    return [target]


@app.command()
def plan(
    paths: Annotated[list[Path], PATHS],
    target: str | None = TARGET,
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 2 when there are changes (as terraform does)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show what apply would do: new agent, new version (with a diff), or unchanged.

    With --target, also compare three states on each provider: the spec, what Parley last
    applied, and what the provider holds now (changes made outside Parley show as drift).
    """
    from parley.agents import remote, service
    from parley.cli import agents_output as show
    from parley.cli import resources_output
    from parley.cli.resources import sourced
    from parley.resources import service as resources

    report = _check(paths)
    specs = _sourced(report, with_git=False)
    only = _targets(target)
    sourced_resources = sourced(report)

    async def work(session: AsyncSession) -> Any:
        items = await service.plan(session, specs)
        if target is None:
            return items, [], []
        desired = service.desired_from_plan(specs, items)
        async with providers() as built:
            planned = await resources.plan(
                session, built, sourced_resources, agents=[s.spec for s in specs], targets=only
            )
            return items, planned, await remote.plan(session, built, desired, targets=only)

    items, resource_items, target_items = with_session(work)
    errors = [p for p in report.all_problems if p.severity == "error"]
    if as_json:
        print_json(
            {
                "items": items,
                "resources": resource_items,
                "targets": target_items,
                "problems": [p.to_dict() for p in report.all_problems],
            }
        )
    else:
        out = console()
        show.problems(out, report.all_problems)
        if resource_items:
            resources_output.items(out, resource_items)
        show.plan(out, items)
        if target is not None:
            out.print()
            show.targets(out, target_items)
    pushed = [*resource_items, *target_items]
    if errors or any(t.action in ("failed", "blocked") for t in pushed):
        raise typer.Exit(1)
    changed = any(i.action != "unchanged" for i in items) or any(
        t.action != "unchanged" for t in pushed
    )
    if detailed_exitcode and changed:
        raise typer.Exit(2)


@app.command()
def apply(
    paths: Annotated[list[Path], PATHS],
    message: str = typer.Option("", "-m", "--message", help="Why this change (kept on versions)."),
    target: str | None = TARGET,
    force: bool = typer.Option(
        False, "--force", help="Overwrite changes made on the provider outside Parley (drift)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Record a new immutable version for every changed spec (invalid specs are skipped).

    With --target, then make each agent's current version live on the provider, reading back
    what the provider kept. Re-running an interrupted apply creates no duplicates.
    """
    from parley.agents import remote, service
    from parley.cli import agents_output as show
    from parley.cli import resources_output
    from parley.cli.resources import sourced
    from parley.db.engine import session_scope
    from parley.resources import service as resources

    report = _check(paths)
    specs = _sourced(report, with_git=True)
    who = author()
    only = _targets(target)
    sourced_resources = sourced(report)

    async def work(units: async_sessionmaker[AsyncSession]) -> Any:
        # Four units of work: the versions are committed before any provider is called, and
        # no write lock is held while providers answer (each unit writes only at its end).
        async with session_scope(units) as session:
            result = await service.apply(session, specs, author=who, message=message)
        if target is None:
            return result, [], [], []
        async with providers() as built:
            async with session_scope(units) as session:
                done = await resources.apply(
                    session, built, sourced_resources, author=who,
                    agents=[s.spec for s in specs], targets=only, force=force,
                )  # fmt: skip
            async with session_scope(units) as session:
                desired = await remote.desired_for(session, [s.spec.name for s in specs])
                with progress_bar(as_json) as step:
                    pushed = await remote.apply(
                        session, built, desired, author=who, targets=only, force=force,
                        progress=step,
                    )  # fmt: skip
            # Only now have the agents moved off superseded documents: delete unused ones.
            async with session_scope(units) as session:
                collected = await resources.collect_garbage(session, built, only, author=who)
        return result, done, pushed, collected

    result, done, pushed, collected = with_units(work)
    if as_json:
        print_json(
            {
                "items": result.items,
                "resources": done,
                "targets": pushed,
                "collected": collected,
                "problems": [p.to_dict() for p in report.all_problems],
            }
        )
    else:
        out = console()
        show.problems(out, report.all_problems)
        if done:
            resources_output.items(out, done, applied=True)
        show.applied(out, result.items)
        if target is not None:
            out.print()
            show.targets(out, pushed, applied=True)
        if collected:
            out.print()
            resources_output.items(out, collected, applied=True)
    failed = any(t.action in ("failed", "blocked", "drift") for t in [*done, *pushed])
    if report.error_count or failed:
        raise typer.Exit(1)


@app.command("list")
def list_(
    tag: str | None = typer.Option(None, "--tag", help="Only agents with this tag."),
    search: str | None = typer.Option(None, "--search", help="Text in name or description."),
    provider: str | None = typer.Option(None, "--provider", help="elevenlabs or ultravox."),
    meta: list[str] = typer.Option([], "--meta", help="key=value metadata; repeatable."),
    archived: bool = typer.Option(False, "--archived", help="Include archived agents."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List agents with their current version."""
    from parley.agents import service
    from parley.agents.repository import AgentFilter
    from parley.cli import agents_output as show

    async def work(session: AsyncSession) -> Any:
        flt = AgentFilter(tag, provider, search, service.parse_metadata_filters(meta), archived)
        return await service.list_agents(session, flt)

    page = with_session(work)
    if as_json:
        print_json(page.items)
    else:
        show.agent_table(console(), page.items)


@app.command()
def show(
    ref: str = typer.Argument(..., help="NAME or NAME@VERSION."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a version (the current one by default) with its spec."""
    from parley.agents import canonical, service
    from parley.cli import agents_output as out_

    async def work(session: AsyncSession) -> Any:
        name, number = service.parse_ref(ref)
        return await service.show_version(session, name, number)

    detail = with_session(work)
    if as_json:
        print_json(detail)
    else:
        out_.version(console(), detail, canonical.to_yaml(detail.spec))


@app.command()
def history(name: str, as_json: bool = JSON_OPTION) -> None:
    """Every version of an agent, newest first (* marks the current one)."""
    from parley.agents import service
    from parley.cli import agents_output as show

    async def work(session: AsyncSession) -> Any:
        return await service.history(session, name)

    page = with_session(work)
    if as_json:
        print_json(page.items)
    else:
        show.history(console(), name, page.items)


@app.command()
def diff(name: str, v1: int, v2: int, as_json: bool = JSON_OPTION) -> None:
    """Field-level differences between two versions (unified diff for long texts)."""
    from parley.agents import service
    from parley.cli import agents_output as show

    async def work(session: AsyncSession) -> Any:
        return await service.diff(session, name, v1, v2)

    result = with_session(work)
    if as_json:
        print_json(result)
        return
    out = console()
    out.print(f"[bold]{name}[/] v{v1} -> v{v2}: {len(result.changes)} change(s)")
    show.changes(out, result.changes, indent="  ")


@app.command()
def rollback(
    name: str,
    version: int,
    message: str = typer.Option("", "-m", "--message"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Make an earlier version current again, as a new version (history stays append-only)."""
    from parley.agents import service

    async def work(session: AsyncSession) -> Any:
        return await service.rollback(session, name, version, author=author(), message=message)

    item = with_session(work)
    if as_json:
        print_json(item)
    elif item.action == "unchanged":
        console().print(f"{name} is already at the content of v{version} (v{item.version})")
    else:
        console().print(f"{name}: v{item.version} created with the content of v{version}")


@app.command()
def archive(name: str, as_json: bool = JSON_OPTION) -> None:
    """Hide an agent from lists; applying its spec again restores it."""
    from parley.agents import service

    async def work(session: AsyncSession) -> Any:
        return await service.archive(session, name, author=author())

    summary = with_session(work)
    if as_json:
        print_json(summary)
    else:
        console().print(f"{name} archived (its {summary.current_version} version(s) are kept)")


@app.command()
def export(
    ref: str = typer.Argument(..., help="NAME or NAME@VERSION."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file."),
    as_json: bool = typer.Option(False, "--json", help="Print the stored spec as JSON."),
) -> None:
    """Write a version as YAML; planning the exported file shows no change."""
    from parley.agents import service

    async def work(session: AsyncSession) -> Any:
        name, number = service.parse_ref(ref)
        if as_json:
            return await service.show_version(session, name, number)
        return await service.export(session, name, number)

    result = with_session(work)
    if as_json:
        print_json(result.spec)
        return
    emit_text(result, output)
    if output is not None:
        console(stderr=True).print(f"wrote {output}")


@app.command()
def schema(
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file."),
) -> None:
    """Print the JSON Schema of agent spec files (for editors and CI)."""
    import json

    from parley.agents.spec import json_schema

    emit_text(json.dumps(json_schema(), indent=2) + "\n", output)


# Registered here so `parley agents pull` sits with the other agent commands.
app.command()(pull)
