"""Running a SQL source: one read-only query on a registered PostgreSQL database, one number back.

Each run opens its own connection (never the service's pool) with `default_transaction_read_only` and a
`statement_timeout`, runs the query inside `BEGIN READ ONLY` as ONE prepared statement (a second statement
after `;` is refused by the protocol) and reads at most two rows through a cursor. The query may use `$1`
(the moment of the pull), `$2` and `$3` (start and end of the key result's cycle). A read-only database
role is still the real guarantee; the docs say so.

Where it connects is decided here, never by the driver: the URL is read with asyncpg's own rules and then
held to a narrow form (one host by name or address, a port, a database, a user, a password, `sslmode`);
anything the driver would turn into another host or a local file (several hosts, Unix sockets, `host=` or
`port=` parameters, service and password files, certificate paths) is refused. The host is resolved and
every address checked with the webhooks' guard (SIGHTLINE_WEBHOOK_ALLOWED_HOSTS opens internal ones), and
the driver is handed the checked address itself with every setting explicit, so neither a second lookup nor
the environment (PGHOST, ~/.pgpass, ~/.postgresql) can change the destination. TLS still verifies the name.

What the database says in an error never reaches the organisation: a run records a class of failure
(`auth_failed`, `query_failed: 42P01`, ...), and the full text goes to the operator's log.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import asyncpg

from sightline.config import Settings
from sightline.integrations.sources import OUT_OF_RANGE, SourceError, parse_number
from sightline.integrations.sql_tls import ssl_attempts
from sightline.url_guard import (
    HostUnresolvable,
    IPAddress,
    Resolver,
    UrlPolicy,
    UrlRefused,
    checked_addresses,
    system_resolver,
)

DEFAULT_PORT = 5432
CONNECT_TIMEOUT = 10.0
# The only query parameter accepted: every other one is either ignored by design or makes the driver pick
# another host or read a local file.
SSL_MODES = ("disable", "prefer", "require", "verify-ca", "verify-full")
# Without `sslmode`, TLS with the certificate and the host name verified; anything weaker only when the
# connection says so (`allow_weak_tls`), and the connection's public shape then carries a warning.
DEFAULT_SSLMODE = "verify-full"
_LABEL = r"[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")
_IPV6_HOSTSPEC = re.compile(r"^\[([^\]]+)\](?::(.*))?$")


@dataclass(frozen=True)
class ConnectionTarget:
    """What a connection string says, read once; host, port, database and user are shown to admins."""

    host: str
    port: int | None
    database: str
    username: str
    password: str = field(default="", repr=False)
    sslmode: str = DEFAULT_SSLMODE


def tls_warning(sslmode: str | None) -> str | None:
    """What an admin should know about a connection's TLS mode (None when the server is verified)."""
    if sslmode is None or sslmode == DEFAULT_SSLMODE:
        return None
    if sslmode == "verify-ca":
        return "sslmode=verify-ca: the certificate is checked but not the host name it was issued for"
    if sslmode == "disable":
        return "sslmode=disable: the connection is not encrypted; its password and data travel in clear"
    return f"sslmode={sslmode}: the server's certificate is not verified; anyone on the way can read the connection"


def parse_dsn(dsn: str, *, allow_weak_tls: bool = False) -> ConnectionTarget:
    """The target of a `postgresql://user:password@host:port/database[?sslmode=...]` URL.

    Split exactly as asyncpg splits it (its `_parse_connect_dsn_and_args`: urlparse, user info up to the
    first `@`, hosts split on `,`, each unquoted), then refused unless it is one plain TCP destination.
    ValueError saying what is wrong.
    """
    try:
        parsed = urlparse(dsn)
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc}") from exc
    if parsed.scheme not in ("postgresql", "postgres"):
        raise ValueError("use a postgresql:// URL (postgresql://user:password@host:5432/database)")
    if parsed.fragment or "#" in dsn:
        raise ValueError("write a # in the password as %23")
    if parsed.params:
        raise ValueError("the database name may not contain ';'")
    sslmode = _sslmode(parsed.query)
    if sslmode != DEFAULT_SSLMODE and not allow_weak_tls:
        raise ValueError(
            f"sslmode={sslmode} does not verify the server; use verify-full (the default), or set allow_weak_tls "
            "on the connection to accept it"
        )
    auth, _, hostspec = parsed.netloc.partition("@") if "@" in parsed.netloc else ("", "", parsed.netloc)
    if "@" in hostspec:
        raise ValueError("write an @ in the user or password as %40")
    raw_user, _, raw_password = auth.partition(":")
    host, port = _host_and_port(hostspec)
    database = unquote(parsed.path[1:] if parsed.path.startswith("/") else parsed.path)
    username = unquote(raw_user)
    if not database:
        raise ValueError("the URL names no database")
    if not username:
        raise ValueError("the URL names no user")
    return ConnectionTarget(
        host=host, port=port, database=database, username=username, password=unquote(raw_password), sslmode=sslmode
    )


def _sslmode(query: str) -> str:
    if not query:
        return DEFAULT_SSLMODE
    try:
        parameters = parse_qs(query, strict_parsing=True, keep_blank_values=True)
    except ValueError as exc:
        raise ValueError(f"the URL's parameters are malformed ({exc})") from exc
    for name, values in parameters.items():
        if name in ("host", "hostaddr", "port"):
            raise ValueError("give the host and port before the database (…@host:5432/database), not as parameters")
        if name != "sslmode":
            raise ValueError(f"the parameter {name!r} is not accepted; only sslmode ({', '.join(SSL_MODES)})")
        if len(values) > 1:
            raise ValueError("give sslmode once")
    mode = parameters.get("sslmode", [DEFAULT_SSLMODE])[0]
    if mode not in SSL_MODES:
        raise ValueError(f"sslmode must be one of {', '.join(SSL_MODES)}")
    return mode


def _host_and_port(hostspec: str) -> tuple[str, int | None]:
    """One host (name, IPv4 or [IPv6]) and an optional port, as the driver would read them; no sockets."""
    if not hostspec:
        raise ValueError("the URL names no host")
    if "," in hostspec:
        raise ValueError("give one host")
    bracketed = _IPV6_HOSTSPEC.match(hostspec)
    if bracketed:
        raw_host, raw_port = bracketed.group(1), bracketed.group(2) or ""
    elif hostspec.startswith("["):
        raise ValueError("invalid IPv6 address")
    else:
        raw_host, _, raw_port = hostspec.partition(":")
    host = unquote(raw_host)
    if host.startswith("/") or "/" in host or "\\" in host:
        raise ValueError("local (Unix) sockets are not accepted; give a host name or address")
    if not _is_host(host):
        raise ValueError(f"{host!r} is not a host name or address")
    port: int | None = None
    if raw_port:
        text = unquote(raw_port)
        if not text.isascii() or not text.isdigit() or not 0 < int(text) < 65536:
            raise ValueError("the port must be a number from 1 to 65535")
        port = int(text)
    return host, port


def _is_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(host.isascii() and _HOST_NAME.match(host))
    return True


async def checked_target(
    dsn: str, policy: UrlPolicy, *, resolver: Resolver = system_resolver, allow_weak_tls: bool = False
) -> tuple[ConnectionTarget, list[IPAddress]]:
    """The parsed target and its addresses, each one allowed by the policy.

    ValueError for a URL not accepted, UrlRefused for a refused host or address, HostUnresolvable (a
    UrlRefused) when the name has no address now.
    """
    target = parse_dsn(dsn, allow_weak_tls=allow_weak_tls)
    policy.check_host(target.host)  # names that always mean this machine, internal literals
    addresses = await checked_addresses(policy, target.host, target.port or DEFAULT_PORT, resolver=resolver)
    return target, addresses


# Failures as classes --------------------------------------------------------------------------------
def _connect_failure(exc: BaseException) -> str:
    if isinstance(exc, asyncpg.PostgresError):
        if str(exc.sqlstate or "").startswith("28"):
            return "auth_failed"
        return f"connection_failed: {exc.sqlstate}"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ssl.SSLError):
        return "tls_failed"
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(exc, ConnectionError) and "SSL" in str(exc):  # the driver's words: the server refused TLS
        return "tls_failed"
    return "connection_failed"


def _query_failure(exc: BaseException) -> str:
    if isinstance(exc, asyncpg.exceptions.QueryCanceledError):
        return "statement_timeout"
    if isinstance(exc, asyncpg.PostgresError):
        return f"query_failed: {exc.sqlstate}"
    if isinstance(exc, TimeoutError):
        return "timeout"
    return "connection_failed"  # the connection broke while the query ran


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
    raise SourceError(
        "unsupported_parameter_type", detail=f"${index + 1} is used as {type_name}; write ${index + 1}::timestamptz"
    )


def _number(value: Any) -> float:
    if value is None:
        raise SourceError("no_value", detail="the query returned NULL")
    if isinstance(value, Decimal):
        value = float(value)
    try:
        return parse_number(value)
    except SourceError as exc:
        raise SourceError("out_of_range" if exc.reason == OUT_OF_RANGE else "not_a_number", detail=exc.detail) from exc


class SqlRunner:
    def __init__(self, policy: UrlPolicy, *, timeout: float = 10.0, resolver: Resolver = system_resolver) -> None:
        self.policy = policy
        self.timeout = timeout
        self.resolver = resolver

    @classmethod
    def from_settings(cls, settings: Settings, *, policy: UrlPolicy | None = None) -> SqlRunner:
        return cls(policy or UrlPolicy.from_settings(settings), timeout=settings.integration_sql_timeout_seconds)

    @property
    def deadline(self) -> float:
        """The longest one pull can take, in seconds."""
        return CONNECT_TIMEOUT + self.timeout + 5

    async def value(
        self,
        dsn: str,
        query: str,
        *,
        now: datetime,
        cycle_start: datetime,
        cycle_end: datetime,
        allow_weak_tls: bool = False,
    ) -> float:
        """The query's single numeric result; SourceError with the class of failure for anything else."""
        try:
            target, addresses = await checked_target(
                dsn, self.policy, resolver=self.resolver, allow_weak_tls=allow_weak_tls
            )
        except ValueError as exc:
            raise SourceError("invalid_connection_string", detail=str(exc)) from exc
        except HostUnresolvable as exc:
            raise SourceError("host_not_found", detail=exc.reason) from exc
        except UrlRefused as exc:
            raise SourceError("host_not_allowed", detail=exc.reason) from exc
        milliseconds = max(1, round(self.timeout * 1000))
        try:
            async with asyncio.timeout(self.deadline):
                connection = await self._connect(target, addresses, milliseconds)
                try:
                    return await self._run(connection, query, milliseconds, (now, cycle_start, cycle_end))
                except SourceError:
                    raise
                except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                    raise SourceError(_query_failure(exc), detail=f"{type(exc).__name__}: {exc}") from exc
                finally:
                    await connection.close(timeout=5)
        except TimeoutError as exc:
            raise SourceError("timeout", detail=f"no answer from {target.host} within {self.deadline:g} s") from exc

    async def _connect(self, target: ConnectionTarget, addresses: list[IPAddress], milliseconds: int) -> Any:
        """A connection to the first checked address that answers, every driver setting explicit."""
        last: BaseException | None = None
        for address in addresses:
            for tls in ssl_attempts(target):
                try:
                    return await asyncpg.connect(
                        host=str(address),
                        port=target.port or DEFAULT_PORT,
                        user=target.username,
                        password=target.password,  # never None: None would read ~/.pgpass
                        database=target.database,
                        ssl=tls,
                        direct_tls=False,
                        target_session_attrs="any",
                        gsslib="gssapi",
                        timeout=CONNECT_TIMEOUT,
                        command_timeout=self.timeout + 5,
                        statement_cache_size=0,
                        server_settings={
                            "application_name": "sightline-integration",
                            "default_transaction_read_only": "on",
                            "statement_timeout": str(milliseconds),
                        },
                    )
                except asyncpg.PostgresError as exc:  # the server answered: another address would say the same
                    raise SourceError(_connect_failure(exc), detail=f"{type(exc).__name__}: {exc}") from exc
                except (OSError, asyncpg.InterfaceError, asyncpg.ClientConfigurationError, TimeoutError) as exc:
                    last = exc
                    if isinstance(exc, ConnectionRefusedError):
                        break  # nothing listens there: plain text would be refused too
        assert last is not None
        raise SourceError(_connect_failure(last), detail=f"{type(last).__name__}: {last}") from last

    async def _run(
        self, connection: Any, query: str, milliseconds: int, values: tuple[datetime, datetime, datetime]
    ) -> float:
        async with connection.transaction(readonly=True):
            await connection.execute(f"SET LOCAL statement_timeout = {milliseconds}")
            statement = await connection.prepare(query)
            columns = statement.get_attributes()
            if len(columns) != 1:
                raise SourceError("not_one_column", detail=f"the query returns {len(columns)} columns")
            parameters = statement.get_parameters()
            if len(parameters) > len(values):
                raise SourceError("too_many_parameters", detail=f"the query uses {len(parameters)} parameters")
            arguments = [_argument(p.name, i, values) for i, p in enumerate(parameters)]
            cursor = await statement.cursor(*arguments)
            rows = await cursor.fetch(2)
        if len(rows) != 1:
            raise SourceError("not_one_row", detail=f"the query returned {'no row' if not rows else 'several rows'}")
        return _number(rows[0][0])

    async def check_connection(self, dsn: str, *, allow_weak_tls: bool = False) -> None:
        """Connect and run `SELECT 1` read-only (the connection's test button); SourceError on failure."""
        moment = datetime(2000, 1, 1, tzinfo=UTC)
        await self.value(
            dsn, "SELECT 1", now=moment, cycle_start=moment, cycle_end=moment, allow_weak_tls=allow_weak_tls
        )
