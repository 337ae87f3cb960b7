"""`parley serve` (run the API) and `parley openapi` (write the OpenAPI document)."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import typer

from parley.cli.runtime import settings


def serve(
    host: str | None = typer.Option(None, help="Interface to bind (PARLEY_HOST)."),
    port: int | None = typer.Option(None, help="Port to listen on (PARLEY_PORT)."),
) -> None:
    """Run the Parley API server."""
    import uvicorn

    from parley.app import create_app

    conf = settings()
    app = create_app(conf)
    # What is loaded by now (the app, its routes, SQLAlchemy's metadata) lives as long as the
    # process: leave it out of the collector's full passes, each of which otherwise held every
    # request in flight for a tenth of a second or more (`docs/benchmarks.md`).
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=host or conf.host,
        port=port or conf.port,
        log_level=conf.log_level,
    )


def openapi_document() -> str:
    """The OpenAPI document of the app, as committed in docs/openapi.json."""
    from parley.app import create_app

    return json.dumps(create_app().openapi(), indent=2, sort_keys=False) + "\n"


def openapi(
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file."),
) -> None:
    """Print the OpenAPI document (docs/openapi.json is this, committed)."""
    text = openapi_document()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
