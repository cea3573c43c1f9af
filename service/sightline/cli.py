"""Command line: serve, demo, worker, migrate, create-roles, admin, openapi, secret-key, rotate-secrets."""

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
from sightline.serving import AppExtension, default_workers
from sightline.serving import proxy_options as proxy_options  # where tests and tools have always found it

if TYPE_CHECKING:
    from sightline.demo import DemoCredentials

cli = typer.Typer(help="Sightline: OKRs with line of sight.", no_args_is_help=True, add_completion=False)


def resolve_database_urls(settings: Settings) -> tuple[str, str | None]:
    """The app role's URL and the owner role's (for migrations; None when not given).

    DATABASE_URL (and SIGHTLINE_MIGRATION_DATABASE_URL) when given; otherwise the embedded PostgreSQL in the
    data directory, which creates both roles itself.
    """
    if settings.database_url:
        return settings.database_url, settings.migration_database_url or None
    from sightline.db.embedded import EmbeddedUnavailable, start_embedded

    typer.echo(f"Starting the embedded PostgreSQL in {settings.data_dir}", err=True)
    try:
        return start_embedded(settings.data_dir)
    except EmbeddedUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def _prepare(settings: Settings) -> str:
    """Migrate as the owner role when its URL is known, insist the schema is current; the app role's URL."""
    from sightline.db.migrate import current_revision, head_revision, upgrade

    configure_logging(settings.log_level, settings.log_format)
    url, owner_url = resolve_database_urls(settings)
    if owner_url:
        upgrade(owner_url)
    current, head = asyncio.run(current_revision(url)), head_revision()
    if current != head:
        typer.echo(
            f"The database is at migration {current}, this version needs {head}: run `sightline migrate` with "
            "SIGHTLINE_MIGRATION_DATABASE_URL (the owner role's login) set.",
            err=True,
        )
        raise typer.Exit(code=2)
    return url


Workers = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="API worker processes (SIGHTLINE_WORKERS); default: one per core. The background jobs run once "
        "whatever the number: in the one worker's process, or in one job process beside several.",
    ),
]


def _run_server(
    settings: Settings,
    url: str,
    host: str | None,
    port: int | None,
    workers: int | None,
    *,
    extend: AppExtension | None = None,
) -> None:
    """Serve the app (with `extend`'s additions) in `workers` processes (sightline/serving.py)."""
    from sightline.serving import serve as serve_app

    host, port = host or settings.host, port or settings.port
    count = workers or settings.workers or default_workers()
    processes = f"{count} worker processes" if count > 1 else "one process"
    typer.echo(f"Sightline is serving on http://{host}:{port} ({processes})", err=True)
    serve_app(settings, url, host, port, workers=count, extend=extend)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (SIGHTLINE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (SIGHTLINE_PORT)")] = None,
    workers: Workers = None,
) -> None:
    """Start the service: embedded PostgreSQL unless DATABASE_URL is set, migrations, API and web app."""
    settings = get_settings()
    url = _prepare(settings)
    _ensure_client(settings)
    _run_server(settings, url, host, port, workers)


def _ensure_client(settings: Settings) -> None:
    """Build the web app once when client/dist is missing (and npm is there); otherwise say how to build it."""
    if settings.build_client:
        from sightline.web import DEFAULT_CLIENT_DIR, ensure_built

        ensure_built(settings.client_dir or DEFAULT_CLIENT_DIR)


@cli.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Interface to bind (SIGHTLINE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (SIGHTLINE_PORT)")] = None,
    workers: Workers = None,
) -> None:
    """Like serve, with the demo organisation Northwind Marketing loaded first (once per database).

    The sign-in (URL, email, password) is printed on stdout; progress messages go to stderr. Its webhook endpoint
    delivers to the demo's own receiver on this address (allowed for this process only, not for `serve`).
    """
    from functools import partial

    from sightline.demo import demo_settings, receiver_url
    from sightline.webhooks.demo_receiver import install_demo_receiver

    settings = get_settings()
    url = _prepare(settings)
    host, port = host or settings.host, port or settings.port
    receiver = receiver_url(host, port)
    credentials = asyncio.run(_load_demo(url, receiver))
    _ensure_client(settings)
    typer.echo(f"Demo organisation loaded. Sign in at http://{host}:{port}")
    typer.echo(f"  email:    {credentials.email}")
    typer.echo(f"  password: {credentials.password}")
    typer.echo(f"  webhooks: delivered to {receiver} (Settings, Webhooks: the delivery log)")
    receive = partial(install_demo_receiver, org_id=credentials.organisation_id, url=receiver)
    _run_server(demo_settings(settings, receiver), url, host, port, workers, extend=receive)


async def _load_demo(url: str, webhook_url: str) -> DemoCredentials:
    from sightline.db.engine import create_engine, session_factory
    from sightline.demo import load_demo
    from sightline.demo.data import TIME_ZONE

    engine = create_engine(url, pool_size=2, max_overflow=0)
    try:
        # "Today" in the demo organisation's own time zone, so no check-in lands in its future.
        today = datetime.now(ZoneInfo(TIME_ZONE)).date()
        return await load_demo(session_factory(engine), today=today, webhook_url=webhook_url)
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
    from sightline.crypto import SecretBox

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
    from sightline.crypto import SecretBox
    from sightline.db.engine import create_engine, session_factory
    from sightline.integrations.connections import rotate_all_secrets

    engine = create_engine(url, pool_size=2, max_overflow=0)
    try:
        return await rotate_all_secrets(session_factory(engine), box=SecretBox.from_settings(settings))
    finally:
        await engine.dispose()


@cli.command("create-roles")
def create_roles_command(
    admin_url: Annotated[
        str,
        typer.Option(
            envvar="SIGHTLINE_ADMIN_DATABASE_URL",
            help="A superuser's (or CREATEROLE and CREATEDB) URL on the same server; used once, never stored",
        ),
    ] = "",
    print_sql: Annotated[
        bool, typer.Option("--print-sql", help="Print the SQL for psql instead of running it")
    ] = False,
) -> None:
    """Create the roles and the database that DATABASE_URL and SIGHTLINE_MIGRATION_DATABASE_URL name.

    Run once per server (again after changing a password). The app's login gets no superuser, no BYPASSRLS and
    owns nothing; the owner's login owns the database and runs the migrations.
    """
    from sightline.db.roles import cluster_sql, create_roles, database_sql

    settings = get_settings()
    if not (settings.database_url and settings.migration_database_url):
        typer.echo("Set DATABASE_URL (the app's login) and SIGHTLINE_MIGRATION_DATABASE_URL (the owner's).", err=True)
        raise typer.Exit(code=2)
    if print_sql:
        from sightline.db.roles import database_of

        typer.echo(cluster_sql(settings.database_url, settings.migration_database_url))
        typer.echo(f"-- then: CREATE DATABASE (if needed), and connected to {database_of(settings.database_url)}:")
        typer.echo(database_sql(settings.migration_database_url))
        return
    if not admin_url:
        typer.echo("Give --admin-url (or SIGHTLINE_ADMIN_DATABASE_URL), or use --print-sql.", err=True)
        raise typer.Exit(code=2)
    asyncio.run(create_roles(admin_url, settings.database_url, settings.migration_database_url))
    typer.echo("Roles and database ready; `sightline migrate` next (or just `sightline serve`).", err=True)


admin = typer.Typer(help="Operator's actions on accounts.", no_args_is_help=True)
cli.add_typer(admin, name="admin")


@admin.command("reset-password")
def reset_password(
    email: Annotated[str, typer.Argument(help="The member's email")],
    organisation: Annotated[
        str | None,
        typer.Option("--organisation", help="The organisation's id or exact name, when the email is in several"),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from standard input instead")
    ] = False,
    remove_second_factor: Annotated[
        bool,
        typer.Option(
            "--remove-second-factor",
            help="Also remove their authenticator app and recovery codes (both lost); they set up a new one",
        ),
    ] = False,
) -> None:
    """Give any active member (owners too) a new password: their sessions end, their sign-in throttle is cleared.

    The way back in when an owner is locked out. A generated password is printed on stdout (alone, for scripts);
    with --password-stdin, the first line of standard input is the password: it follows the rules of every new
    password (12 to 1024 characters, not a common or breached one, not the person's email, name or organisation).
    """
    from sightline.identity.passwords import check
    from sightline.identity.secrets import new_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        refusal = check(password, personal=(email,))
        if refusal is not None:
            typer.echo(f"Refused: {refusal}.", err=True)
            raise typer.Exit(code=2)
    else:
        password = new_password()
    settings = get_settings()
    url = _prepare(settings)
    message = asyncio.run(_reset_password(url, email.strip().lower(), organisation, password, remove_second_factor))
    if not password_stdin:
        typer.echo(password)
    typer.echo(message, err=True)


async def _reset_password(url: str, email: str, organisation: str | None, password: str, remove_factor: bool) -> str:
    from sightline.clock import current_time
    from sightline.db.engine import create_engine, session_factory
    from sightline.errors import DomainError, Invalid
    from sightline.identity import security_notices
    from sightline.identity.members import operator_reset_password

    security_notices.register()  # the member is told by email, as for any reset

    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with session_factory(engine)() as session, session.begin():
            org, user = await operator_reset_password(
                session,
                email=email,
                organisation=organisation,
                password=password,
                now=current_time(),
                remove_second_factor=remove_factor,
            )
    except Invalid as exc:  # the password is the person's name or organisation's: known only once found
        typer.echo(f"Refused: {exc.errors[0].message if exc.errors else exc.detail}.", err=True)
        raise typer.Exit(code=2) from None
    except DomainError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(code=1) from None
    finally:
        await engine.dispose()
    factor = "; their second factor and recovery codes were removed" if remove_factor else ""
    return (
        f"Password of {user.email} ({user.role}) in {org.name} ({org.org_id}) reset{factor}; "
        "their sessions ended and their sign-in throttle was cleared."
    )


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
