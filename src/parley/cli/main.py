"""The root `parley` command. Only Typer is imported here; everything heavy loads on use."""

from __future__ import annotations

import typer

from parley.cli import (
    agents,
    analytics,
    conversations,
    db,
    emulate,
    experiments,
    jobs,
    resources,
    server,
    sessions,
    tokens,
    voices,
)

app = typer.Typer(
    name="parley",
    help="Parley: a control plane for voice AI agents on ElevenLabs and Ultravox.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help: rich-formatted help imports ~150 ms of modules before printing a line.
    rich_markup_mode=None,
)
app.add_typer(agents.app, name="agents")
app.add_typer(resources.app, name="resources")
app.add_typer(conversations.app, name="conversations")
app.add_typer(tokens.app, name="tokens")
app.add_typer(db.app, name="db")
app.add_typer(voices.app, name="voices")
app.add_typer(jobs.app, name="jobs")
app.add_typer(experiments.app, name="experiments")
app.add_typer(sessions.sessions_app, name="sessions")
app.add_typer(sessions.calls_app, name="calls")
app.command()(server.serve)
app.command()(server.openapi)
app.command()(emulate.emulate)
app.command()(analytics.analytics)


@app.command()
def demo(
    serve: bool | None = typer.Option(
        None,
        "--serve/--exit",
        help="Keep the API running at the end (default: only in an interactive terminal).",
    ),
) -> None:
    """Run the demo: agents as code, both providers, then an experiment on live traffic."""
    from parley.cli.demo import run_demo

    run_demo(keep_serving=serve)


@app.command()
def version() -> None:
    """Print Parley's version."""
    from parley import __version__

    typer.echo(__version__)


def run() -> None:
    app()
