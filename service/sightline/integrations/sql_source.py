"""Running a SQL source: one read-only query on a registered PostgreSQL database, one number back.

Each run opens its own connection (never the service's pool) with `default_transaction_read_only` and a
`statement_timeout`, runs the query inside `BEGIN READ ONLY` as ONE prepared statement (a second statement
after `;` is refused by the protocol) and reads at most two rows through a cursor. The query may use `$1`
(the moment of the pull), `$2` and `$3` (start and end of the key result's cycle). A read-only database
role is still the real guarantee; the docs say so.

The host must pass the webhooks' URL policy like an HTTP source: private, loopback and link-local
addresses, and local sockets, only when the operator allows them (SIGHTLINE_WEBHOOK_ALLOWED_HOSTS).
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg

from sightline.config import Settings
from sightline.integrations.sources import SourceError, parse_number
from sightline.webhooks.url_guard import Resolver, UrlPolicy, UrlRefused, literal_address, system_resolver

DEFAULT_PORT = 5432
CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class ConnectionTarget:
    """What a connection string points at, without its password (shown to admins)."""

    host: str
    port: int | None
    database: str
    username: str

    @property
    def is_socket(self) -> bool:
        return self.host.startswith("/")


def parse_dsn(dsn: str) -> ConnectionTarget:
    """The target of a `postgresql://user:password@host:port/database` URL; ValueError saying what is wrong."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError("use a postgresql:// URL (postgresql://user:password@host:5432/database)")
    query = parse_qs(parts.query)
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"invalid port: {exc}") from exc
    host = parts.hostname or (query.get("host") or [""])[0]
    database = unquote(parts.path.lstrip("/")) or (query.get("dbname") or [""])[0]
    username = unquote(parts.username or "") or (query.get("user") or [""])[0]
    if not host:
        raise ValueError("the URL names no host")
    if "," in host:
        raise ValueError("give one host")
    if not database:
        raise ValueError("the URL names no database")
    if not username:
        raise ValueError("the URL names no user")
    return ConnectionTarget(host=host, port=port, database=database, username=username)


def check_target(policy: UrlPolicy, target: ConnectionTarget) -> None:
    """Refuse what is wrong without resolving anything: local sockets, internal literal addresses."""
    if target.is_socket:
        if not policy.host_allowed(target.host):
            raise UrlRefused(f"{target.host} is a local socket of this server; the operator has not allowed it")
        return
    policy.check_url(f"https://{target.host}:{target.port or DEFAULT_PORT}/")


async def _checked_host(policy: UrlPolicy, target: ConnectionTarget, resolver: Resolver) -> None:
    """Resolve the host now and refuse it when any of its addresses is internal (unless allowed)."""
    check_target(policy, target)
    if target.is_socket or policy.host_allowed(target.host):
        return
    port = target.port or DEFAULT_PORT
    literal = literal_address(target.host)
    try:
        addresses = (
            [literal]
            if literal is not None
            else [ipaddress.ip_address(a.split("%", 1)[0]) for a in await resolver(target.host, port)]
        )
    except (OSError, UnicodeError) as exc:
        raise UrlRefused(f"{target.host} could not be resolved ({exc})") from exc
    for address in addresses:
        if reason := policy.address_refusal(address, host=target.host):
            raise UrlRefused(reason)


def _argument(type_name: str, index: int, values: tuple[datetime, datetime, datetime]) -> Any:
    moment = values[index]
    if type_name == "timestamptz":
        return moment
    if type_name == "timestamp":
        return moment.astimezone(UTC).replace(tzinfo=None)
    if type_name == "date":
        return moment.date()
    if type_name in ("text", "varchar", "unknown"):
        return moment.isoformat()
    raise SourceError(f"${index + 1} is used as {type_name}; write ${index + 1}::timestamptz")


def _number(value: Any) -> float:
    if value is None:
        raise SourceError("the query returned NULL")
    if isinstance(value, Decimal):
        value = float(value)
    return parse_number(value)


class SqlRunner:
    def __init__(self, policy: UrlPolicy, *, timeout: float = 10.0, resolver: Resolver = system_resolver) -> None:
        self.policy = policy
        self.timeout = timeout
        self._resolve = resolver

    @classmethod
    def from_settings(cls, settings: Settings, *, policy: UrlPolicy | None = None) -> SqlRunner:
        return cls(policy or UrlPolicy.from_settings(settings), timeout=settings.integration_sql_timeout_seconds)

    async def value(self, dsn: str, query: str, *, now: datetime, cycle_start: datetime, cycle_end: datetime) -> float:
        """The query's single numeric result; SourceError with the reason for anything else."""
        try:
            target = parse_dsn(dsn)
            await _checked_host(self.policy, target, self._resolve)
        except ValueError as exc:
            raise SourceError(f"the connection string is not usable: {exc}") from exc
        except UrlRefused as exc:
            raise SourceError(f"refused: {exc.reason}") from exc
        where = f"{target.host}:{target.port or DEFAULT_PORT}/{target.database}"
        milliseconds = max(1, round(self.timeout * 1000))
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT + self.timeout + 5):
                connection = await asyncpg.connect(
                    dsn,
                    timeout=CONNECT_TIMEOUT,
                    command_timeout=self.timeout + 5,
                    statement_cache_size=0,
                    server_settings={
                        "application_name": "sightline-integration",
                        "default_transaction_read_only": "on",
                        "statement_timeout": str(milliseconds),
                    },
                )
                try:
                    return await self._run(connection, query, milliseconds, (now, cycle_start, cycle_end))
                finally:
                    await connection.close(timeout=5)
        except SourceError:
            raise
        except asyncpg.exceptions.ReadOnlySQLTransactionError as exc:
            raise SourceError(f"the query tried to write; sources run read-only ({exc})") from exc
        except asyncpg.exceptions.QueryCanceledError as exc:
            raise SourceError(
                f"the query ran longer than the {self.timeout:g} s statement timeout and was cancelled"
            ) from exc
        except asyncpg.PostgresError as exc:
            raise SourceError(f"the database refused: {exc} (SQLSTATE {exc.sqlstate})") from exc
        except TimeoutError as exc:
            raise SourceError(f"no answer from {where} in time") from exc
        except (OSError, asyncpg.InterfaceError) as exc:
            raise SourceError(f"could not connect to {where}: {exc}") from exc

    async def _run(
        self, connection: Any, query: str, milliseconds: int, values: tuple[datetime, datetime, datetime]
    ) -> float:
        async with connection.transaction(readonly=True):
            await connection.execute(f"SET LOCAL statement_timeout = {milliseconds}")
            statement = await connection.prepare(query)
            columns = statement.get_attributes()
            if len(columns) != 1:
                raise SourceError(f"the query returns {len(columns)} columns; return exactly one number")
            parameters = statement.get_parameters()
            if len(parameters) > len(values):
                raise SourceError(f"the query uses {len(parameters)} parameters; at most $1, $2 and $3 exist")
            arguments = [_argument(p.name, i, values) for i, p in enumerate(parameters)]
            cursor = await statement.cursor(*arguments)
            rows = await cursor.fetch(2)
        if len(rows) != 1:
            raise SourceError(f"the query returned {'no row' if not rows else 'several rows'}; return exactly one")
        return _number(rows[0][0])

    async def check_connection(self, dsn: str) -> None:
        """Connect and run `SELECT 1` read-only (the connection's test button); SourceError on failure."""
        moment = datetime(2000, 1, 1, tzinfo=UTC)
        await self.value(dsn, "SELECT 1", now=moment, cycle_start=moment, cycle_end=moment)
