"""The demo organisation: Northwind Marketing, a fiscal year of OKRs and its check-in history, loaded once.

Everything goes through the service functions with the clock passed in, so each check-in is recorded at
the moment it reports (none backdated but the one planted import), as a year of real use would leave it.
Given the address of the demo's own receiver (`sightline demo` does), a webhook endpoint is added a week
before today: the events of that week queue their deliveries as they happen, and the dispatcher sends them
once the service is up (see docs/decisions/api-demo-webhook.md). A few comments with @mentions close the story:
their notifications are in the inbox, and the email they would send is in the delivery log (demo/conversation.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from random import Random
from urllib.parse import urlsplit
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from sightline.auth import ROLE_SCOPES, Principal
from sightline.clock import current_time
from sightline.config import Settings, get_settings
from sightline.db.tenancy import scoped, set_tenant
from sightline.demo import conversation, planning
from sightline.demo.builder import Demo, receiver_policy
from sightline.demo.data import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    ORG_NAME,
    PEOPLE,
    SEED_TITLE,
    TIME_ZONE,
    WEBHOOK_DESCRIPTION,
    WEBHOOK_EVENTS,
)
from sightline.demo.timeline import at, fiscal_calendar
from sightline.identity import service as identity
from sightline.identity.models import User
from sightline.identity.schemas import OrganisationSettingsUpdate, OrganisationUpdate, SignupRequest
from sightline.okrs.models import KeyResult
from sightline.okrs.recompute import recompute_org
from sightline.versions import etag
from sightline.webhooks import service as webhooks
from sightline.webhooks.demo_receiver import RECEIVER_PATH
from sightline.webhooks.models import WebhookEndpoint
from sightline.webhooks.schemas import EndpointCreate, EndpointUpdate


@dataclass(frozen=True)
class DemoCredentials:
    email: str
    password: str
    organisation_id: UUID
    seed_key_result_id: UUID
    webhook_endpoint_id: UUID | None = None  # when loaded with the receiver's address


def receiver_url(host: str, port: int) -> str:
    """The demo receiver's address as this machine reaches the service listening on `host`:`port` (a wildcard
    bind is reached on loopback)."""
    address = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://{f'[{address}]' if ':' in address else address}:{port}{RECEIVER_PATH}"


def demo_settings(settings: Settings, url: str) -> Settings:
    """`settings` for `sightline demo`'s own process, whose webhooks reach its receiver at `url` (never `serve`)."""
    hosts = [*settings.webhook_allowed_hosts, urlsplit(url).hostname or ""]
    return settings.model_copy(update={"webhook_allowed_hosts": hosts, "webhook_allow_http": True})


async def _existing(factory: async_sessionmaker[AsyncSession]) -> DemoCredentials | None:
    """The demo loaded earlier, found by its owner's email and the organisation's name."""
    async with factory() as session, session.begin():
        find = text("SELECT org_id FROM auth_login_candidates(:email) WHERE org_name = :name")
        org_id = (await session.execute(find, {"email": DEMO_EMAIL, "name": ORG_NAME})).scalar()
        if org_id is None:
            return None
        await set_tenant(session, org_id)
        seed = scoped(KeyResult, org_id).where(col(KeyResult.title) == SEED_TITLE)
        seed_kr = (await session.execute(seed)).scalars().first()
    if seed_kr is None:
        raise RuntimeError(f"{ORG_NAME} exists but is incomplete (an earlier load was interrupted); use a new database")
    return DemoCredentials(DEMO_EMAIL, DEMO_PASSWORD, org_id, seed_kr.id)


async def _connect_webhook(
    factory: async_sessionmaker[AsyncSession], credentials: DemoCredentials, *, url: str, now: datetime
) -> DemoCredentials:
    """The demo loaded earlier, its endpoint pointed at `url` (the port may have changed since), or added now when
    there is none (loaded without it, or deleted by a visitor)."""
    org_id = credentials.organisation_id
    policy = receiver_policy(url)
    async with factory() as session, session.begin():
        await set_tenant(session, org_id)
        owners = scoped(User, org_id).where(col(User.role) == "owner", col(User.deactivated_at).is_(None))
        owner = (await session.execute(owners.order_by(col(User.created_at)))).scalars().first()
        if owner is None:
            raise RuntimeError(f"{ORG_NAME} has no owner left to connect its webhook endpoint; use a new database")
        principal = Principal(org_id, ROLE_SCOPES["owner"], user_id=owner.id, role="owner")
        ours = scoped(WebhookEndpoint, org_id).where(col(WebhookEndpoint.description) == WEBHOOK_DESCRIPTION)
        endpoint = (await session.execute(ours.order_by(col(WebhookEndpoint.created_at)))).scalars().first()
        if endpoint is None:
            body = EndpointCreate(url=url, description=WEBHOOK_DESCRIPTION, event_types=WEBHOOK_EVENTS)
            endpoint, _ = await webhooks.create_endpoint(
                session, principal=principal, body=body, policy=policy, now=now
            )
        elif endpoint.url != url:
            endpoint = await webhooks.update_endpoint(
                session,
                principal=principal,
                endpoint_id=endpoint.id,
                body=EndpointUpdate(url=url),
                policy=policy,
                if_match=None,
                now=now,
            )
    return replace(credentials, webhook_endpoint_id=endpoint.id)


async def load_demo(
    factory: async_sessionmaker[AsyncSession], *, today: date, webhook_url: str | None = None
) -> DemoCredentials:
    """Load Northwind Marketing as it stands on `today` (once; later calls return the same sign-in).

    The fiscal year runs April to March: FY{year} is the one containing `today`. Quarters that ended
    are closed after their check-ins, the one containing `today` is active, later ones in planning.
    With `webhook_url` (the demo receiver's, see `receiver_url`), its webhook endpoint is added a week before
    today, or, in a demo loaded earlier, pointed at this address.
    """
    if (existing := await _existing(factory)) is not None:
        if webhook_url is None:
            return existing
        return await _connect_webhook(factory, existing, url=webhook_url, now=current_time())
    calendar = fiscal_calendar(today)
    # The organisation is set up three weeks before its first cycle; the year's objectives the day after.
    setup = at(min(first for _, first, _ in calendar.values()) - timedelta(days=21), 9)
    opening = at(calendar["year"][1] - timedelta(days=20), 9)
    async with factory() as session, session.begin():
        # The demo is an operator's action, not a public sign-up: it works where sign-up is turned off, and its
        # owner needs no email verification.
        settings = get_settings().model_copy(update={"signup_enabled": True, "signup_verify_email": False})
        body = SignupRequest(organisation_name=ORG_NAME, name="Olivia Owner", email=DEMO_EMAIL, password=DEMO_PASSWORD)
        org, owner, _ = await identity.signup(
            session, body=body, settings=settings, now=setup, user_agent="sightline demo", client_address=None
        )
        principal = Principal(org.org_id, ROLE_SCOPES["owner"], user_id=owner.id, role="owner")
        update = OrganisationUpdate(settings=OrganisationSettingsUpdate(time_zone=TIME_ZONE, currency="EUR"))
        await identity.update_org(session, principal=principal, body=update, if_match=etag(org.version), now=setup)
    demo = Demo(factory=factory, today=today, org_id=org.org_id, people={"olivia": principal}, webhook_url=webhook_url)
    await demo.build_structure(calendar, now=setup + timedelta(minutes=15))
    steps = demo.timeline(setup=opening, rng=Random(2026)) + planning.steps(demo)
    for _, step in sorted(steps, key=lambda s: s[0]):
        async with demo.transaction() as session:
            await step(session)
    async with demo.transaction() as session:
        await recompute_org(session, org_id=demo.org_id, now=demo.end)  # statuses as of today
    async with demo.transaction() as session:  # comments of the last days, their notifications and mail
        names = {"olivia": "Olivia Owner", **{key: name for key, name, _ in PEOPLE}}
        seed = demo.key_results[SEED_TITLE]
        await conversation.talk(
            session, org_id=demo.org_id, people=demo.people, names=names, key_result_id=seed, today=demo.end
        )
    return DemoCredentials(DEMO_EMAIL, DEMO_PASSWORD, demo.org_id, demo.key_results[SEED_TITLE], demo.webhook_id)
