"""`parley demo`: agents as code end to end, on a throwaway embedded database.

It validates and applies the example agents, edits one, shows the plan and the new version,
rolls it back, prints the history, proves that export round-trips, serves the API on a local
port and calls it with a fresh token, then takes the agents live on the emulated providers
(`demo_providers`), and ends with an experiment judged on live traffic (`demo_experiment`).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.rule import Rule

from parley.agents import canonical, service
from parley.agents.provenance import git_provenance
from parley.agents.spec import AgentSpec
from parley.agents.validate import check_paths
from parley.cli import agents_output as show
from parley.cli import demo_experiment, demo_providers
from parley.config import settings_with
from parley.db import migrate
from parley.db.engine import create_engine, session_factory, session_scope

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "agents"
EDITED = "etf-sales-specialist"
AUTHOR = "demo"


def run_demo(*, keep_serving: bool | None = None) -> None:
    if not EXAMPLES.is_dir():
        raise SystemExit(f"the demo needs the example specs at {EXAMPLES} (run it from a clone)")
    work = Path(tempfile.mkdtemp(prefix="parley-demo-"))
    serve = demo_experiment.interactive() if keep_serving is None else keep_serving
    try:
        asyncio.run(_demo(work, Console(highlight=False), serve))
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sourced(paths: list[Path]) -> list[service.SourcedSpec]:
    report = check_paths(paths)
    origins = git_provenance([Path(c.file) for c in report.specs if c.ok])
    return [
        service.SourcedSpec(c.spec, origins[Path(c.file)])
        for c in report.specs
        if c.ok and c.spec is not None
    ]


async def _demo(work: Path, out: Console, keep_serving: bool) -> None:
    specs_dir = work / "agents"
    shutil.copytree(EXAMPLES, specs_dir)
    conf = settings_with(data_dir=work / "data")
    engine = create_engine(conf.resolved_database_url)
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    try:
        out.print(Rule("1. validate the example agents"))
        report = check_paths([specs_dir])
        show.problems(out, report.all_problems)
        out.print(f"{len(report.valid)} valid spec(s): {', '.join(s.name for s in report.valid)}")

        out.print(Rule("2. apply them: one bulk operation, one report"))
        async with session_scope(sessions) as session:
            result = await service.apply(
                session, _sourced([specs_dir]), author=AUTHOR, message="initial import"
            )
        show.applied(out, result.items)

        out.print(Rule(f"3. edit {EDITED}: calmer voice, new opening, one more prompt rule"))
        edited = specs_dir / f"{EDITED}.yaml"
        _edit(edited)
        async with session_scope(sessions) as session:
            show.plan(out, await service.plan(session, _sourced([edited])))

        out.print(Rule("4. apply the edit: a new immutable version"))
        async with session_scope(sessions) as session:
            result = await service.apply(
                session, _sourced([specs_dir]), author=AUTHOR, message="calmer opening"
            )
        show.applied(out, result.items)

        out.print(Rule("5. re-apply: content-addressed, so nothing changes"))
        async with session_scope(sessions) as session:
            result = await service.apply(session, _sourced([specs_dir]), author=AUTHOR)
        show.applied(out, result.items)

        out.print(Rule(f"6. roll {EDITED} back to v1 (a new version equal to v1)"))
        async with session_scope(sessions) as session:
            item = await service.rollback(session, EDITED, 1, author=AUTHOR)
        out.print(f"{EDITED}: v{item.version} now has the content of v1")

        out.print(Rule(f"7. history of {EDITED}"))
        async with session_scope(sessions) as session:
            page = await service.history(session, EDITED)
            changes = await service.diff(session, EDITED, 2, 3)
            exported = await service.export(session, EDITED)
        show.history(out, EDITED, page.items)
        out.print(f"v2 -> v3 reverts {len(changes.changes)} field(s)")

        out.print(Rule("8. export round-trips: export, then plan shows no change"))
        export_file = work / "exported.yaml"
        export_file.write_text(exported, encoding="utf-8")
        async with session_scope(sessions) as session:
            show.plan(out, await service.plan(session, _sourced([export_file])))

        out.print(Rule("9. the API: bearer token, then /api/v1/agents"))
        await _api_tour(conf, out)

        await demo_providers.tour(
            conf, sessions, specs_dir, work, out, (_free_port(), _free_port()), EDITED, keep_serving
        )
    finally:
        await engine.dispose()
    out.print(Rule("done"))
    out.print("Next: `parley --help`, docs/agent-spec.md (agents as code) and docs/experiments.md.")


def _edit(path: Path) -> None:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    voice = data.setdefault("voice", {})
    voice["stability"] = round(min(1.0, float(voice.get("stability", 0.5)) + 0.1), 2)
    data["first_message"] = str(data.get("first_message", "")).replace("Hi", "Good day", 1)
    data["system_prompt"] = (
        str(data["system_prompt"]).rstrip("\n")
        + "\nNever quote performance figures from memory; offer to send the factsheet instead.\n"
    )
    data.setdefault("tags", []).append("tone-v2")
    normal = canonical.normalise(AgentSpec.model_validate(data))
    path.write_text(canonical.to_yaml(normal), encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _api_tour(conf: Any, out: Console) -> None:
    import httpx
    import uvicorn

    from parley.app import create_app
    from parley.tokens import service as tokens

    engine = create_engine(conf.resolved_database_url)
    async with session_scope(session_factory(engine)) as session:
        created = await tokens.create(session, "demo", actor=AUTHOR)
    await engine.dispose()

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(conf), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no started event)
            await asyncio.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base) as client:
            anonymous = await client.get("/api/v1/agents")
            out.print(f"GET /api/v1/agents without a token -> {anonymous.status_code}")
            out.print(f"  {anonymous.json()}")
            auth = {"Authorization": f"Bearer {created.token}"}
            listed = await client.get("/api/v1/agents", params={"tag": "sales"}, headers=auth)
            names = [a["name"] for a in listed.json()["items"]]
            out.print(f"GET /api/v1/agents?tag=sales with token 'demo' -> {listed.status_code}")
            out.print(f"  {names}")
            ready = await client.get("/readyz")
            out.print(f"GET /readyz -> {ready.status_code} {ready.json()}")
    finally:
        server.should_exit = True
        await task
