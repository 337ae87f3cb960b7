"""The demo's provider half: the agents go live on the emulated ElevenLabs and Ultravox.

The emulator is served on a local port (as `parley emulate` would) and Parley talks to it by
URL, exactly as it talks to the real services: apply to both providers, an edit made in a
provider's dashboard shows as drift, `--force` repairs it, an agent made elsewhere is pulled,
and a rollback goes live again; each step is checked in the providers' own API answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn
from pydantic import SecretStr
from rich.console import Console
from rich.rule import Rule
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.agents import pull, remote, service
from parley.agents.validate import check_paths
from parley.cli import agents_output as show
from parley.cli import conversations_output, demo_experiment, resources_output
from parley.config import Settings
from parley.conversations import service as conversation_service
from parley.conversations import sync
from parley.conversations.repository import ConversationFilter
from parley.db.engine import session_scope
from parley.emulator.app import create_emulator_app
from parley.emulator.config import EmulatorConfig
from parley.providers.registry import Providers
from parley.resources import service as resources
from parley.resources.service import SourcedResource

EL_KEY = "xi-demo-key"
UV_KEY = "uvdemo.0123456789abcdef0123456789abcdef"


@asynccontextmanager
async def served_emulator(port: int) -> AsyncIterator[str]:
    url = f"http://127.0.0.1:{port}"
    app = create_emulator_app(EmulatorConfig(seed=2026, public_url=url))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no started event)
            await asyncio.sleep(0.02)
        yield url
    finally:
        server.should_exit = True
        await task


def with_providers(conf: Settings, url: str) -> Settings:
    return conf.model_copy(
        update={
            "elevenlabs_api_key": SecretStr(EL_KEY),
            "elevenlabs_base_url": f"{url}/elevenlabs",
            "ultravox_api_key": SecretStr(UV_KEY),
            "ultravox_base_url": f"{url}/ultravox",
        }
    )


async def tour(
    conf: Settings,
    sessions: async_sessionmaker[AsyncSession],
    specs_dir: Path,
    work: Path,
    out: Console,
    ports: tuple[int, int],
    edited: str,
    keep_serving: bool,
) -> None:
    names = sorted(s.name for s in check_paths([specs_dir]).valid)
    async with served_emulator(ports[0]) as url, httpx.AsyncClient(base_url=url) as raw:
        out.print(f"emulator serving ElevenLabs at {url}/elevenlabs, Ultravox at {url}/ultravox")
        settings = with_providers(conf, url)
        async with Providers(settings) as providers:

            async def apply(force: bool = False) -> list[remote.TargetItem]:
                async with session_scope(sessions) as session:
                    wanted = await remote.desired_for(session, names)
                    return await remote.apply(
                        session, providers, wanted, author="demo", force=force
                    )

            async def plan() -> list[remote.TargetItem]:
                async with session_scope(sessions) as session:
                    wanted = await remote.desired_for(session, names)
                    return await remote.plan(session, providers, wanted)

            out.print(Rule("10. apply to both providers: tools and knowledge first, then agents"))
            report = check_paths([specs_dir])
            async with session_scope(sessions) as session:
                done = await resources.apply(
                    session,
                    providers,
                    [SourcedResource(r.spec, Path(r.file).parent) for r in report.valid_resources
                     if r.spec is not None],
                    author="demo",
                    agents=report.valid,
                )  # fmt: skip
            resources_output.items(out, done, applied=True)
            items = await apply()
            show.targets(out, items, applied=True)
            support = next(i for i in items if i.name == "support-agent")
            live = (
                await raw.get(
                    f"/elevenlabs/v1/convai/agents/{support.remote_id}",
                    headers={"xi-api-key": EL_KEY},
                )
            ).json()
            out.print(
                f"ElevenLabs says: {live['name']!r}, version {live['version_id']}, first message "
                f"{live['conversation_config']['agent']['first_message'][:50]!r}..."
            )
            listed = (await raw.get("/ultravox/api/agents", headers={"X-API-Key": UV_KEY})).json()
            out.print(f"Ultravox says: {sorted(a['name'] for a in listed['results'])}")

            out.print(Rule("11. someone edits support-agent in the ElevenLabs dashboard"))
            await raw.patch(
                f"/elevenlabs/v1/convai/agents/{support.remote_id}",
                headers={"xi-api-key": EL_KEY},
                json={"conversation_config": {"agent": {"language": "fr"}}},
            )
            show.targets(out, [i for i in await plan() if i.action != "unchanged"])
            out.print(Rule("12. apply --force: Parley's spec wins, and says what it overwrote"))
            show.targets(out, [i for i in await apply(force=True) if i.action != "unchanged"])

            out.print(Rule("13. an agent made directly on Ultravox, pulled into a spec file"))
            await raw.post(
                "/ultravox/api/agents",
                headers={"X-API-Key": UV_KEY},
                json={
                    "name": "after_hours",
                    "callTemplate": {
                        "systemPrompt": "You take messages after hours for {{company}}.",
                        "model": "ultravox-v0.7",
                        "voice": "Mark",
                    },
                },
            )
            async with session_scope(sessions) as session:
                pulled = await pull.pull(
                    session, providers, "ultravox", work / "pulled", author="demo"
                )
            for pulled_item in pulled.items:
                out.print(f"pulled {pulled_item.name} -> {pulled_item.file}")
            names.append("after_hours")
            unchanged = all(i.action == "unchanged" for i in await plan())
            out.print(f"plan after the pull: {'no change' if unchanged else 'changes!'}")

            out.print(Rule(f"14. roll {edited} back to v2 (the calmer one) and make it live"))
            async with session_scope(sessions) as session:
                rolled = await service.rollback(session, edited, 2, author="demo")
            out.print(f"{edited}: v{rolled.version} has the content of v2")
            rolled_back = [i for i in await apply() if i.name == edited]
            show.targets(out, rolled_back, applied=True)

            out.print(Rule("15. traffic on both providers, then every conversation in Parley"))
            outcome = {
                "p_success": 0.6,
                "data_collection": {"meeting_booked": {"kind": "bernoulli", "p": 0.3}},
            }
            for item in rolled_back:
                provider_count = 12 if item.target == "elevenlabs" else 8
                await raw.post(
                    "/_emulator/simulate",
                    json={
                        "provider": item.target,
                        "options": {
                            "agent_id": item.remote_id,
                            "count": provider_count,
                            "outcome": outcome,
                            # the agent requires its caller's name (a dynamic variable)
                            "dynamic_variables": {"advisor_name": "Dana Whitfield"},
                            "template_context": {"advisor_name": "Dana Whitfield"},
                        },
                    },
                )
            async with session_scope(sessions) as session:
                synced = await sync.sync(session, providers)
            conversations_output.sync_report(out, synced)
            async with session_scope(sessions) as session:
                page = await conversation_service.list_conversations(
                    session, ConversationFilter(agent=edited), limit=6
                )
            conversations_output.conversation_table(out, page.items)
            async with session_scope(sessions) as session:
                again = await sync.sync(session, providers)
            out.print(f"sync again: {again.total('new')} new (the watermark remembers)")

        await demo_experiment.act(
            settings, sessions, raw, out, agent=edited, port=ports[1], keep_serving=keep_serving
        )
