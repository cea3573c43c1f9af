"""SQL sources never reach Sightline's own database, nor any host the operator has not allowed.

The attack this guards against: an organisation admin registered a connection string whose first host
passed the URL check while the driver connected to its last (`?host=public.example.com&host=/tmp`), landed on
the service's own server as its superuser, and read other organisations' rows back through error messages.
Every way the driver could be sent elsewhere is refused when the connection is saved (422 on `body.dsn`)
and again when it runs (a class of failure, never the database's own words).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from structlog.testing import capture_logs
from tests.integrations.conftest import SQL_TIMEOUT
from tests.integrations.support import check_ins_of, key_result, runs_of
from tests.integrations.test_sql_source import crm_database  # noqa: F401  (a fixture)
from tests.support import FixedClock, Tenant, create, free_port

from sightline.integrations.http_source import HttpFetcher
from sightline.integrations.runs import Fetchers
from sightline.integrations.sql_source import SqlRunner, parse_dsn
from sightline.url_guard import Resolver, UrlPolicy

NOBODY = UrlPolicy()  # the default: no internal host allowed
LOCAL = UrlPolicy.of(["127.0.0.1"])  # an operator who allows this machine's 127.0.0.1 on purpose


def _resolver(names: dict[str, list[str]]) -> Resolver:
    """A DNS of the test's own: these names, and no other."""

    async def resolve(host: str, port: int) -> list[str]:
        if host not in names:
            raise OSError(f"{host} is not a known name")
        return names[host]

    return resolve


Operator = Callable[..., Fetchers]


@pytest.fixture
async def operator(app: FastAPI) -> AsyncIterator[Operator]:
    """Set the operator's URL rules (and the names DNS knows) for the API and its runs; restored afterwards."""
    saved = app.state.webhook_policy, app.state.integration_fetchers
    made: list[Fetchers] = []

    def configure(policy: UrlPolicy, names: dict[str, list[str]] | None = None) -> Fetchers:
        sql = SqlRunner(policy, timeout=SQL_TIMEOUT, resolver=_resolver(names or {}))
        fetchers = Fetchers(http=HttpFetcher(policy, timeout=5.0), sql=sql, box=app.state.secret_box)
        made.append(fetchers)
        app.state.webhook_policy, app.state.integration_fetchers = policy, fetchers
        return fetchers

    yield configure
    app.state.webhook_policy, app.state.integration_fetchers = saved
    for fetchers in made:
        await fetchers.aclose()


@pytest.fixture
def crm_parts(crm_database: str) -> dict[str, object]:  # noqa: F811
    url = make_url(crm_database)
    return {"user": url.username, "password": url.password or "", "port": url.port, "database": url.database}


def _dsn(parts: dict[str, object], hostspec: str, query: str = "") -> str:
    return f"postgresql://{parts['user']}:{parts['password']}@{hostspec}/{parts['database']}{query}"


async def _refused(tenant: Tenant, dsn: str) -> str:
    response = await tenant.client.post(
        "/api/v1/sql-connections", json={"name": f"x-{uuid.uuid4().hex[:6]}", "dsn": dsn}
    )
    assert response.status_code == 422, f"{dsn}: {response.status_code} {response.text}"
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "dsn"]
    message: str = error["message"]
    return message


async def test_connection_strings_that_could_reach_another_host_or_a_local_file_are_refused(
    tenant: Tenant, operator: Operator, crm_parts: dict[str, object]
) -> None:
    # Even an operator who allows 127.0.0.1 does not allow a second host, a socket or driver-read files.
    operator(LOCAL, {"public.example.com": ["93.184.216.34"]})
    port = crm_parts["port"]
    attacks = {
        # The original attack: the first host= was checked, the driver took the last.
        "?host=public.example.com&host=/tmp": "not as parameters",
        "?host=/var/run/postgresql": "not as parameters",
        "?hostaddr=127.0.0.1": "not as parameters",
        "?port=5432": "not as parameters",
        "?passfile=/etc/passwd": "'passfile' is not accepted",
        "?service=sightline": "'service' is not accepted",
        "?sslrootcert=/etc/ssl/private/key.pem": "'sslrootcert' is not accepted",
        "?sslkey=/etc/ssl/private/key.pem": "'sslkey' is not accepted",
        "?options=-c%20default_transaction_read_only%3Doff": "'options' is not accepted",
        "?sslmode=allow": "sslmode must be one of",
    }
    for query, reason in attacks.items():
        assert reason in await _refused(tenant, _dsn(crm_parts, f"public.example.com:{port}", query)), query
    for hostspec, reason in {
        f"public.example.com:{port},127.0.0.1:{port}": "give one host",
        f"public.example.com,%2Ftmp:{port}": "give one host",
        "%2Ftmp": "sockets are not accepted",
        "%2Fvar%2Frun%2Fpostgresql": "sockets are not accepted",
        "": "names no host",
        "evil@127.0.0.1": "@",
    }.items():
        assert reason in await _refused(tenant, _dsn(crm_parts, hostspec)), hostspec
    # The sockets of the test server itself, if it has one.
    assert "not as parameters" in await _refused(tenant, f"postgresql://postgres:@/postgres?host={'/tmp'}")


async def test_loopback_and_internal_hosts_are_refused_unless_the_operator_allows_them(
    tenant: Tenant, operator: Operator, crm_parts: dict[str, object]
) -> None:
    operator(NOBODY, {"crm.example.test": ["127.0.0.1"], "mixed.example.test": ["93.184.216.34", "10.0.0.7"]})
    port = crm_parts["port"]
    for hostspec, reason in {
        f"127.0.0.1:{port}": "loopback",
        f"localhost:{port}": "loopback",
        f"2130706433:{port}": "loopback",  # 127.0.0.1 written as a number
        f"[::ffff:127.0.0.1]:{port}": "loopback",
        f"crm.example.test:{port}": "resolves to 127.0.0.1",  # a name resolving to this machine
        f"mixed.example.test:{port}": "private",  # one bad address is enough
        "169.254.169.254": "link-local",
    }.items():
        assert reason in await _refused(tenant, _dsn(crm_parts, hostspec)), hostspec


async def test_an_allowed_host_works_and_the_driver_gets_the_checked_address(
    app: FastAPI,
    tenant: Tenant,
    clock: FixedClock,
    operator: Operator,
    crm_parts: dict[str, object],
    owner_connection: asyncpg.Connection,
) -> None:
    # crm.example.test exists only in this resolver: the connection works only if the driver is handed the
    # address checked here (127.0.0.1, which the operator allows as a network), not the name.
    operator(UrlPolicy.of(["127.0.0.1/32"]), {"crm.example.test": ["127.0.0.1"]})
    dsn = _dsn(crm_parts, f"crm.example.test:{crm_parts['port']}", "?sslmode=prefer")
    connection = await create(
        tenant.client, "/api/v1/sql-connections", {"name": "CRM", "dsn": dsn, "allow_weak_tls": True}
    )
    assert connection["host"] == "crm.example.test"
    check = await tenant.client.post(f"/api/v1/sql-connections/{connection['id']}/check")
    assert check.json() == {"ok": True, "error": None}
    kr = await key_result(tenant.client)
    integration = await create(
        tenant.client,
        "/api/v1/integrations",
        {
            "name": "crm-leads",
            "key_result_id": kr["id"],
            "source": {"kind": "sql", "connection_id": connection["id"], "query": "SELECT count(*) FROM leads"},
        },
    )
    ran = await tenant.client.post(f"/api/v1/integrations/{integration['id']}/run")
    assert (ran.json()["outcome"], ran.json()["value"], ran.json()["error"]) == ("recorded", 5, None)

    # DNS rebinding: the same name now resolves to another loopback address, which is not allowed.
    operator(UrlPolicy.of(["127.0.0.1/32"]), {"crm.example.test": ["127.0.0.2"]})
    ran = await tenant.client.post(f"/api/v1/integrations/{integration['id']}/run")
    assert (ran.json()["outcome"], ran.json()["error"]) == ("failed", "host_not_allowed")
    check = await tenant.client.post(f"/api/v1/sql-connections/{connection['id']}/check")
    assert check.json() == {"ok": False, "error": "host_not_allowed"}
    assert [r["value"] for r in await check_ins_of(owner_connection, kr["id"])] == [5]


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param("?host=public.example.com&host={socket_or_loopback}", id="several-host-parameters"),
        pytest.param("", id="loopback-host"),
    ],
)
async def test_a_connection_saved_before_the_rules_is_refused_when_it_runs(
    app: FastAPI,
    tenant: Tenant,
    clock: FixedClock,
    operator: Operator,
    crm_parts: dict[str, object],
    owner_connection: asyncpg.Connection,
    server_url: str,
    stored: str,
) -> None:
    """A connection string stored earlier (or by a database edit) is checked again at every run."""
    operator(NOBODY, {"public.example.com": ["93.184.216.34"]})
    connection = await create(
        tenant.client, "/api/v1/sql-connections", {"name": "CRM", "dsn": _dsn(crm_parts, "public.example.com")}
    )
    socket_dir = make_url(server_url).query.get("host")
    target = socket_dir if isinstance(socket_dir, str) else "127.0.0.1"
    if stored:
        dsn = f"postgresql://postgres:@/postgres{stored.format(socket_or_loopback=target)}"
        expected = "invalid_connection_string"
    else:
        dsn = _dsn(crm_parts, f"127.0.0.1:{crm_parts['port']}")
        expected = "host_not_allowed"
    await owner_connection.execute(
        "UPDATE sql_connections SET dsn_encrypted = $1 WHERE id = $2",
        app.state.secret_box.encrypt(dsn, now=clock.now),
        uuid.UUID(connection["id"]),
    )
    kr = await key_result(tenant.client)
    integration = await create(
        tenant.client,
        "/api/v1/integrations",
        {
            "name": "legacy",
            "key_result_id": kr["id"],
            "source": {"kind": "sql", "connection_id": connection["id"], "query": "SELECT count(*) FROM pg_database"},
        },
    )
    ran = await tenant.client.post(f"/api/v1/integrations/{integration['id']}/run")
    assert (ran.json()["outcome"], ran.json()["error"]) == ("failed", expected)
    assert (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()["data_source_error"] == expected
    assert await check_ins_of(owner_connection, kr["id"]) == []


async def test_failures_are_classes_and_never_the_databases_own_words(
    app: FastAPI,
    tenant: Tenant,
    clock: FixedClock,
    operator: Operator,
    crm_parts: dict[str, object],
    crm_database: str,  # noqa: F811
) -> None:
    operator(LOCAL)
    port = crm_parts["port"]
    cases = {
        # The database does not exist: the server's message names it; the run says only the class.
        _dsn({**crm_parts, "database": "no_such_db"}, f"127.0.0.1:{port}", "?sslmode=prefer"): (
            "connection_failed: 3D000"
        ),
        _dsn(crm_parts, f"127.0.0.1:{free_port()}", "?sslmode=prefer"): "connection_refused",
        _dsn(crm_parts, f"127.0.0.1:{port}", "?sslmode=require"): None,  # TLS or not, depending on the server
    }
    for dsn, expected in cases.items():
        connection = await create(
            tenant.client,
            "/api/v1/sql-connections",
            {"name": f"c-{uuid.uuid4().hex[:6]}", "dsn": dsn, "allow_weak_tls": True},
        )
        with capture_logs() as logs:
            answer = await tenant.client.post(f"/api/v1/sql-connections/{connection['id']}/check")
        check = answer.json()
        if expected == "connection_failed: 3D000":
            # The server's own words (they name the database) go to the operator's log, never to the tenant.
            [entry] = [e for e in logs if e["event"] == "sql_connection_check_failed"]
            assert (entry["error"], entry["connection_id"]) == (expected, connection["id"])
            assert "no_such_db" in entry["detail"]
            assert "no_such_db" not in answer.text
        if expected is None:
            assert check["error"] in (None, "tls_failed"), check  # None where the server speaks TLS
        else:
            assert check == {"ok": False, "error": expected}

    # A query reading what does not exist: the class and SQLSTATE, not the relation's name.
    connection = await create(
        tenant.client, "/api/v1/sql-connections", {"name": "crm", "dsn": crm_database, "allow_weak_tls": True}
    )
    kr = await key_result(tenant.client)
    integration = await create(
        tenant.client,
        "/api/v1/integrations",
        {
            "name": "secret-reader",
            "key_result_id": kr["id"],
            "source": {
                "kind": "sql",
                "connection_id": connection["id"],
                "query": "SELECT password_hash FROM users_of_another_org",
            },
        },
    )
    with capture_logs() as logs:
        answer = await tenant.client.post(f"/api/v1/integrations/{integration['id']}/run")
    ran = answer.json()
    assert (ran["outcome"], ran["error"]) == ("failed", "query_failed: 42P01")
    [entry] = [e for e in logs if e["event"] == "integration_source_failed"]
    assert (entry["error"], entry["integration_id"]) == ("query_failed: 42P01", integration["id"])
    assert "users_of_another_org" in entry["detail"]  # the operator reads which relation was missing
    assert "users_of_another_org" not in answer.text
    [logged] = await runs_of(tenant.client, integration["id"])
    assert logged["error"] == "query_failed: 42P01"
    shown = (await tenant.client.get(f"/api/v1/integrations/{integration['id']}")).json()
    assert shown["last_error"] == "query_failed: 42P01"
    kr_read = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()
    assert kr_read["data_source_error"] == "query_failed: 42P01"


@pytest.mark.parametrize(
    ("dsn", "host", "port", "sslmode"),
    [
        ("postgresql://ro:p%40ss@db.example.com:6543/crm?sslmode=verify-full", "db.example.com", 6543, "verify-full"),
        ("postgres://ro@[2001:db8::1]/crm", "2001:db8::1", None, "verify-full"),  # verified unless told
    ],
)
def test_an_accepted_connection_string_is_read_as_the_driver_reads_it(
    dsn: str, host: str, port: int | None, sslmode: str
) -> None:
    target = parse_dsn(dsn)
    assert (target.host, target.port, target.sslmode, target.database, target.username) == (
        host,
        port,
        sslmode,
        "crm",
        "ro",
    )
