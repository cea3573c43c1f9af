"""Command line: serve, demo, worker, migrate, openapi, secret-key, rotate-secrets."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from sightline.config import Settings, get_settings
from sightline.observability import configure_logging

if TYPE_CHECKING:
    from sightline.demo import DemoCredentials

cli = typer.Typer(help="Sightline: OKRs with line of sight.", no_args_is_help=True, add_completion=False)


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL when given; otherwise the embedded PostgreSQL in the data directory."""
    if settings.database_url:
        return settings.database_url
    from sightline.db.embedded import start_embedded

    typer.echo(f"Starting the embedded PostgreSQL in {settings.data_dir}", err=True)
    return start_embedded(settings.data_dir)


def _prepare(settings: Settings) -> str:
    from sightline.db.migrate import upgrade

    configure_logging(settings.log_level, settings.log_format)
    url = resolve_database_url(settings)
    upgrade(url)
    return url


def _run_server(settings: Settings, url: str, host: str | None, port: int | None) -> None:
    import uvicorn

    from sightline.app import create_app, tune_garbage_collector

    host, port = host or settings.host, port or settings.port
    app = create_app(url, settings)
    tune_garbage_collector()
    typer.echo(f"Sightline is serving on http://{host}:{port}", err=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,
        proxy_headers=settings.trust_forwarded_for,
        timeout_keep_alive=30,
    )


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (SIGHTLINE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (SIGHTLINE_PORT)")] = None,
) -> None:
    """Start the service: embedded PostgreSQL unless DATABASE_URL is set, migrations, API and web app."""
    settings = get_settings()
    url = _prepare(settings)
    _ensure_client(settings)
    _run_server(settings, url, host, port)


def _ensure_client(settings: Settings) -> None:
    """Build the web app once when client/dist is missing (and npm is there); otherwise say how to build it."""
    if settings.build_client:
        from sightline.web import DEFAULT_CLIENT_DIR, ensure_built

        ensure_built(settings.client_dir or DEFAULT_CLIENT_DIR)


@cli.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Interface to bind (SIGHTLINE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (SIGHTLINE_PORT)")] = None,
) -> None:
    """Like serve, with the demo organisation Northwind Marketing loaded first (once per database).

    The sign-in (URL, email, password) is printed on stdout; progress messages go to stderr.
    """
    settings = get_settings()
    url = _prepare(settings)
    credentials = asyncio.run(_load_demo(url))
    _ensure_client(settings)
    host, port = host or settings.host, port or settings.port
    typer.echo(f"Demo organisation loaded. Sign in at http://{host}:{port}")
    typer.echo(f"  email:    {credentials.email}")
    typer.echo(f"  password: {credentials.password}")
    _run_server(settings, url, host, port)


async def _load_demo(url: str) -> DemoCredentials:
    from sightline.db.engine import create_engine, session_factory
    from sightline.demo import TIME_ZONE, load_demo

    engine = create_engine(url, pool_size=2, max_overflow=0)
    try:
        # "Today" in the demo organisation's own time zone, so no check-in lands in its future.
        return await load_demo(session_factory(engine), today=datetime.now(ZoneInfo(TIME_ZONE)).date())
    finally:
        await engine.dispose()


@cli.command()
def worker() -> None:
    """Run the background jobs without the API: webhook dispatcher, status recompute, check-in reminders.

    Run any number of workers (set SIGHTLINE_WORKER_IN_PROCESS=false on `serve` to leave the jobs to them).
    """
    from sightline.worker import run_worker

    settings = get_settings()
    url = _prepare(settings)
    typer.echo("Sightline worker running (Ctrl+C to stop)", err=True)
    asyncio.run(run_worker(url, settings))


@cli.command("secret-key")
def secret_key() -> None:
    """Print a new key for SIGHTLINE_SECRET_KEY (encrypts stored credentials: source headers, SQL, SSO)."""
    from sightline.integrations.crypto import SecretBox

    typer.echo(SecretBox.new_key())


@cli.command("rotate-secrets")
def rotate_secrets() -> None:
    """Re-encrypt every stored credential with the first key of SIGHTLINE_SECRET_KEY.

    Rotation: SIGHTLINE_SECRET_KEY="NEW,OLD", run this, then SIGHTLINE_SECRET_KEY="NEW".
    """
    settings = get_settings()
    url = _prepare(settings)
    count = asyncio.run(_rotate(url, settings))
    typer.echo(f"{count} stored credentials re-encrypted with the first key.", err=True)


async def _rotate(url: str, settings: Settings) -> int:
    from sightline.db.engine import create_engine, session_factory
    from sightline.integrations.connections import rotate_all_secrets
    from sightline.integrations.crypto import SecretBox

    engine = create_engine(url, pool_size=2, max_overflow=0)
    try:
        return await rotate_all_secrets(session_factory(engine), box=SecretBox.from_settings(settings))
    finally:
        await engine.dispose()


@cli.command()
def migrate() -> None:
    """Apply database migrations and exit."""
    _prepare(get_settings())
    typer.echo("Migrations applied.", err=True)


@cli.command()
def openapi() -> None:
    """Print the OpenAPI document (the committed contract is openapi/openapi.json)."""
    sys.stdout.write(openapi_json())


def openapi_json() -> str:
    from sightline.app import create_app

    document = create_app("postgresql://unused@localhost/unused").openapi()
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def main() -> None:
    cli()
