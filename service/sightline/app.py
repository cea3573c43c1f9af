"""create_app(): middleware, problem handlers, routers, operations endpoints."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from sightline.alignment.routes import router as alignment_router
from sightline.comments.routes import router as comments_router
from sightline.config import Settings, get_settings
from sightline.crypto import SecretBox
from sightline.db.engine import assert_restricted, create_engine, session_factory
from sightline.db.migrate import head_revision
from sightline.db.read_pool import ReadPool
from sightline.db.urls import asyncpg_dsn
from sightline.errors import ServiceUnavailable
from sightline.events.routes import router as events_router
from sightline.http.admission import AdmissionMiddleware
from sightline.http.api_docs import install_docs
from sightline.http.contract import finish_contract
from sightline.http.idempotency import install_idempotency
from sightline.http.location import LocationMiddleware, located_collections
from sightline.http.middleware import RequestContextMiddleware
from sightline.http.problems import Problem, install_problem_handlers
from sightline.http.query import reject_unknown_query_parameters
from sightline.http.ratelimit import RateLimitMiddleware
from sightline.http.retry import RetryCollisionsMiddleware
from sightline.http.security_headers import wrap_app
from sightline.identity.credentials import authenticate
from sightline.identity.routes import routers as identity_routers
from sightline.identity.verification_routes import public_router as verification_public_router
from sightline.identity.verification_routes import router as verification_router
from sightline.initiatives.routes import router as initiatives_router
from sightline.insights.routes import router as insights_router
from sightline.integrations.oidc_client import OidcClient
from sightline.integrations.routes import routers as integrations_routers
from sightline.integrations.runs import Fetchers
from sightline.integrations.sso_routes import public_router as sso_public_router
from sightline.integrations.sso_routes import router as sso_router
from sightline.kpis.routes import router as kpis_router
from sightline.notifications.routes import public_router as notifications_public_router
from sightline.notifications.routes import router as notifications_router
from sightline.okrs.routes import routers as okrs_routers
from sightline.okrs.routes.fast_reads import FastReads
from sightline.planning.routes import routers as planning_routers
from sightline.url_guard import UrlPolicy
from sightline.web import DEFAULT_CLIENT_DIR, install_client
from sightline.webhooks.routes import router as webhooks_router
from sightline.webhooks.sender import WebhookSender
from sightline.worker import background_jobs

API_DESCRIPTION = """
Sightline manages Objectives and Key Results with line of sight.

* Authenticate with the session cookie from `POST /api/v1/auth/login`, or `Authorization: Bearer <API key>`.
* Errors are RFC 9457 `application/problem+json` documents.
* Lists are cursor-paginated (`limit`, `cursor` → `next_cursor`).
"""


class Health(BaseModel):
    status: str
    database: str | None = None
    migration: str | None = None


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def side_pool_size(settings: Settings) -> dict[str, int]:
    """The side pool: half the main one (each side transaction is one or two statements)."""
    return {"pool_size": max(2, settings.db_pool_size // 2), "max_overflow": settings.db_max_overflow // 2}


def create_app(database_url: str, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Sightline API",
        version="1.0.0",
        description=API_DESCRIPTION,
        lifespan=_lifespan(database_url, settings),
        generate_unique_id_function=_operation_id,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # install_docs: Swagger UI from this service, not a CDN
        redoc_url=None,
        dependencies=[Depends(reject_unknown_query_parameters)],  # a misspelt filter is a 422, not ignored
        # Metrics are Prometheus's (/metrics) and logs structlog's: FastAPI's OpenTelemetry hooks would only ask,
        # on every request, whether a provider was configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.authenticate = authenticate  # who is asking: the session cookie or API key (http.deps)
    app.state.webhook_policy = UrlPolicy.from_settings(settings)
    app.state.secret_box = SecretBox.from_settings(settings)
    app.state.oidc_client = OidcClient(app.state.webhook_policy)
    app.state.head_revision = head_revision()
    install_problem_handlers(app)
    install_idempotency(app)
    _install_middleware(app, settings)
    app.include_router(_operations_router())
    for router in API_ROUTERS:
        app.include_router(router)
    install_docs(app)
    # Last: the web app answers only what no API route matched.
    install_client(app, settings.client_dir or DEFAULT_CLIENT_DIR)
    wrap_app(app)  # security headers outside every layer, errors of the last resort included
    _install_contract(app)
    return app


# In this order in the OpenAPI document.
API_ROUTERS = (
    *identity_routers,
    verification_public_router,
    verification_router,
    *okrs_routers,
    *planning_routers,
    insights_router,
    alignment_router,
    initiatives_router,
    kpis_router,
    comments_router,
    notifications_router,
    notifications_public_router,
    events_router,
    webhooks_router,
    *integrations_routers,
    sso_public_router,
    sso_router,
)


def _lifespan(database_url: str, settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The engines, the outbound clients and (in process) the background jobs, for the application's life."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
        try:
            await assert_restricted(engine)  # tenants are isolated only under the app role: refuse anything more
        except BaseException:
            await engine.dispose()
            raise
        app.state.engine = engine
        app.state.session_factory = session_factory(engine)
        # Short side transactions that run while the request's own holds a connection (idempotency claims,
        # failed sign-ins). Drawn from the same pool, N concurrent requests holding all N connections would
        # each wait for a second one until the pool times out; their own small pool never waits on the main.
        side_engine = create_engine(database_url, **side_pool_size(settings))
        app.state.side_session_factory = session_factory(side_engine)
        # One-statement reads (identity/credentials.py `with_document`): plain asyncpg, same app-role login,
        # autocommit, each connection caching the prepared statements (docs/decisions/api-fast-reads.md).
        app.state.read_pool = ReadPool(
            asyncpg_dsn(database_url),
            max_size=max(2, settings.db_pool_size // 2),  # one statement each: held for well under a millisecond
            server_settings={"application_name": "sightline"},
        )
        app.state.webhook_sender = WebhookSender.from_settings(settings)  # pings are sent by the API itself
        # Sources are read by the API too (POST /integrations/{id}/run), under the same URL rules.
        app.state.integration_fetchers = Fetchers.from_settings(settings, policy=app.state.webhook_policy)
        stop = asyncio.Event()
        jobs = []
        if settings.worker_in_process:
            jobs = background_jobs(
                app.state.session_factory,
                app.state.webhook_sender,
                settings,
                database_url,
                stop,
                app.state.integration_fetchers,
            )
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*jobs, return_exceptions=True)
            await app.state.webhook_sender.aclose()
            await app.state.integration_fetchers.aclose()
            await app.state.read_pool.close()
            await side_engine.dispose()
            await engine.dispose()

    return lifespan


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    """The middleware, innermost first."""
    # Innermost, just outside the router: the one-statement reads answered without route matching and
    # dependency solving, under every layer below (access log, metrics, rate limits, security headers).
    app.add_middleware(FastReads, routes=lambda: app.routes)
    # Innermost: `Location` on the 201 of a create (a replayed one too), from the collection path and the new id.
    app.add_middleware(LocationMiddleware, collections=lambda: located_collections(app))
    # Inside the collision retry (a request takes its turn once its body is whole), outside everything that works.
    app.add_middleware(AdmissionMiddleware, limit=settings.max_concurrent_requests)
    # Added first, so it runs inside RequestContextMiddleware (body limits, request id, access log).
    app.add_middleware(RetryCollisionsMiddleware)
    # Budgets before any route work; inside the request context, so a 429 has a request id and is logged.
    app.add_middleware(RateLimitMiddleware)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        body_timeout_seconds=settings.body_timeout_seconds,
    )


def _install_contract(app: FastAPI) -> None:
    """The OpenAPI document, finished once (the Problem schema, the contract's own additions)."""
    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original_openapi()
        schema["components"]["schemas"].setdefault(
            "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        finish_contract(app, schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def tune_garbage_collector() -> None:
    """Keep the cyclic garbage collector off the hot paths of a serving process (call once, after create_app).

    A big read (the alignment map of 1,000 objectives builds some 100,000 short-lived objects) triggered
    about a hundred collections, some of them full ones that walked the ~200,000 objects of the loaded
    code, schemas and routes: a third of the request's time in profiles. Freezing what startup built takes
    it out of every later collection, and a larger first generation runs the collector ten times less
    often (at the cost of at most 10,000 young objects waiting a little longer).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def _operations_router() -> APIRouter:
    # Public: probes and metrics carry no tenant data (put them behind the network edge in production).
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process is up")
    async def healthz() -> Health:
        return Health(status="ok")

    @router.get(
        "/readyz",
        summary="Readiness: the database answers and migrations are current",
        responses={503: {"model": Problem, "description": "Not ready"}},
    )
    async def readyz(request: Request) -> Health:
        head = request.app.state.head_revision
        try:
            async with request.app.state.engine.connect() as connection:
                current = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        except Exception as exc:
            raise ServiceUnavailable("the database is not reachable") from exc
        if current != head:
            raise ServiceUnavailable(f"database at migration {current}, code expects {head}")
        return Health(status="ok", database="ok", migration=current)

    @router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
