"""What every CLI command shares: settings, a database session, output (Rich or JSON), errors.

Heavy modules (SQLAlchemy, the services) are imported inside these helpers, never at the top of
a command module, so `parley --help` starts fast.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from parley.config import Settings
    from parley.providers.registry import Providers

T = TypeVar("T")

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def settings() -> Settings:
    from parley.config import get_settings

    return get_settings()


def author() -> str:
    """Who is recorded on new versions: PARLEY_AUTHOR, else git's user.name, else the OS user."""
    configured = settings().author
    if configured:
        return configured
    import subprocess

    try:
        done = subprocess.run(
            ["git", "config", "user.name"], capture_output=True, text=True, timeout=5, check=False
        )
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    except OSError:
        pass
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return os.environ.get("USER", "unknown")


def with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one committed unit of work on the configured database."""

    async def one(units: async_sessionmaker[AsyncSession]) -> T:
        from parley.db.engine import session_scope

        async with session_scope(units) as session:
            return await work(session)

    return with_units(one)


def with_units(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    """Run `work` with a session factory, for commands that need several units of work."""

    async def main() -> T:
        from parley.db import migrate
        from parley.db.engine import create_engine, session_factory

        conf = settings()
        engine = create_engine(conf.resolved_database_url)
        try:
            if conf.auto_migrate:
                await migrate.ensure_schema(engine)
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    return guarded(lambda: asyncio.run(main()))


def guarded(call: Callable[[], T]) -> T:
    """Turn Parley's errors into a red message and exit code 1 (no traceback)."""
    from parley.errors import ParleyError

    try:
        return call()
    except ParleyError as exc:
        fail(exc.message, details=exc.details)


def fail(message: str, *, details: dict[str, Any] | None = None, code: int = 1) -> NoReturn:
    err = console(stderr=True)
    err.print(f"[bold red]error:[/] {message}", markup=True)
    for problem in (details or {}).get("problems", []):
        err.print(f"  {problem}")
    raise typer.Exit(code)


def emit_text(text: str, output: Path | None) -> None:
    """`text` to stdout, or to `output` when a file is given."""
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def print_json(data: Any) -> None:
    """JSON on stdout; pydantic models and lists of them are dumped in JSON mode."""
    from pydantic import BaseModel

    def plain(value: Any) -> Any:
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json")
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    sys.stdout.write(json.dumps(plain(data), indent=2, ensure_ascii=False, default=str) + "\n")


def providers() -> Providers:
    """The provider adapters for this command (close with `async with`)."""
    from parley.providers.registry import Providers

    return Providers(settings())


@contextmanager
def progress_bar(quiet: bool) -> Iterator[Callable[[Any], None]]:
    """A Rich progress bar on stderr (items done so far); yields the function that counts one."""
    if quiet:
        yield lambda _item: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("applying to providers"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console(stderr=True),
    ) as bar:
        task = bar.add_task("apply", total=None)

        def step(_item: Any) -> None:
            bar.advance(task)

        yield step
