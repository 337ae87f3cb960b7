"""`parley sessions` and `parley calls`: start a browser conversation or an outbound call.

Thin wrappers over `parley.sessions.service`, exactly what `POST /api/v1/sessions` and
`POST /api/v1/calls` run. A start the provider refused is still recorded (status `failed`),
then reported as an error. In tables, secret variable values are masked; `--json` prints the
full answer (the ElevenLabs client data holds secrets: hand it to the client, don't log it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from parley.cli.runtime import JSON_OPTION, console, fail, print_json, providers, with_session

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from parley.sessions.service import Outcome

sessions_app = typer.Typer(help="Browser conversations: join URLs pinned to the routed version.")
calls_app = typer.Typer(help="Outbound phone calls.")

VAR_OPTION = typer.Option(
    [], "--var", help="A variable as name=value (repeatable); numbers and true/false are typed."
)
TARGET_OPTION = typer.Option(None, "--target", help="elevenlabs or ultravox.")
USER_OPTION = typer.Option(None, "--user", help="Your id for the user (the unit).")


def parse_vars(items: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            fail(f"--var {item!r} is not name=value")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        values[name] = value if isinstance(value, str | int | float | bool) else raw
    return values


def _answer(outcome: Outcome) -> dict[str, Any]:
    started = outcome.started
    body: dict[str, Any] = {
        "start_id": outcome.row.token,
        "agent": outcome.agent,
        "version": outcome.route.version_number,
        "target": outcome.route.target,
        "experiment": outcome.route.experiment,
        "arm": outcome.route.arm,
        "conversation_id": outcome.row.remote_conversation_id,
    }
    if started is not None:
        if started.join_url:
            body["join_url"] = started.join_url
        if started.call_sid:
            body["call_sid"] = started.call_sid
        if started.client_data is not None:
            body["client_data"] = started.client_data
    return body


def _show(outcome: Outcome, as_json: bool) -> None:
    if outcome.error is not None:
        fail(
            f"{outcome.error.message} (start {outcome.row.token} recorded as failed)",
            details=outcome.error.details,
        )
    body = _answer(outcome)
    if as_json:
        print_json(body)
        return
    from rich.table import Table

    table = Table(show_header=False, box=None)
    for key, value in body.items():
        if key == "client_data":
            shown = {
                k: ("••••" if k.startswith("secret__") else v)
                for k, v in (value.get("dynamic_variables") or {}).items()
            }
            value = json.dumps({**value, "dynamic_variables": shown}, ensure_ascii=False)
        if value is not None:
            table.add_row(f"[bold]{key}[/]", str(value))
    console().print(table)


@sessions_app.command("start")
def start_session(
    agent: str = typer.Argument(..., help="Parley agent name."),
    target: str | None = TARGET_OPTION,
    user: str | None = USER_OPTION,
    var: list[str] = VAR_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Start a browser conversation and print its join URL (and ElevenLabs client data)."""
    from parley.sessions import service

    variables = parse_vars(var)

    async def work(session: AsyncSession) -> Outcome:
        async with providers() as built:
            return await service.start_session(
                session, built, agent=agent, target=target, user_id=user, variables=variables
            )

    _show(with_session(work), as_json)


@calls_app.command("start")
def start_call(
    agent: str = typer.Argument(..., help="Parley agent name."),
    to: str = typer.Option(..., "--to", help="The number to call (E.164) or a SIP URI."),
    line: str = typer.Option(
        ..., "--line", help="ElevenLabs phone number id, or the Ultravox caller number/URI."
    ),
    via: str | None = typer.Option(
        None, "--via", help="ElevenLabs twilio|sip_trunk; Ultravox twilio|telnyx|plivo|sip."
    ),
    target: str | None = TARGET_OPTION,
    user: str | None = USER_OPTION,
    var: list[str] = VAR_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Place an outbound call with the routed version and these variables."""
    from parley.sessions import service

    variables = parse_vars(var)

    async def work(session: AsyncSession) -> Outcome:
        async with providers() as built:
            return await service.start_call(
                session, built, agent=agent, to=to, line=line, via=via, target=target,
                user_id=user, variables=variables,
            )  # fmt: skip

    _show(with_session(work), as_json)
