"""The demo organisation: Northwind Marketing, a fiscal year of OKRs and its check-in history, loaded once.

Everything goes through the service functions with the clock passed in, so each check-in is recorded at
the moment it reports (none backdated but the one planted import), as a year of real use would leave it.
Given the address of the demo's own receiver (`sightline demo` does), a webhook endpoint is added a week
before today: the events of that week queue their deliveries as they happen, and the dispatcher sends them
once the service is up (see docs/decisions/api-demo-webhook.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from random import Random
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from sightline import scoring
from sightline.alignment import links as alignment_links
from sightline.alignment.schemas import AlignmentCreate
from sightline.auth import ROLE_SCOPES, Principal
from sightline.clock import current_time
from sightline.config import Settings, get_settings
from sightline.db.tenancy import scoped, set_tenant
from sightline.identity import service as identity
from sightline.identity.models import User
from sightline.identity.schemas import MemberCreate, OrganisationSettingsUpdate, OrganisationUpdate, Role, SignupRequest
from sightline.initiatives import service as initiatives
from sightline.initiatives import spend as initiative_spend
from sightline.initiatives.schemas import InitiativeCreate, KeyResultLink, SpendCreate
from sightline.insights import close
from sightline.okrs import check_in_batch, check_ins, cycles, key_results, objectives, schemas, teams
from sightline.okrs.models import Cycle, KeyResult
from sightline.okrs.recompute import recompute_org
from sightline.scoring import Cadence, Direction, Metric
from sightline.url_guard import UrlPolicy
from sightline.versions import etag
from sightline.webhooks import service as webhooks
from sightline.webhooks.demo_receiver import RECEIVER_PATH
from sightline.webhooks.models import WebhookEndpoint
from sightline.webhooks.schemas import EndpointCreate, EndpointUpdate

DEMO_EMAIL = "demo@sightline.example"
DEMO_PASSWORD = "sightline-demo"  # printed by `sightline demo`; every demo member shares it
ORG_NAME = "Northwind Marketing"
SEED_TITLE = "Marketing-qualified leads"  # the worked example of PRODUCT.md section 3
TIME_ZONE = "Europe/Berlin"
CORRECTED = "Blended cost per MQL"  # one check-in with a typo, then its correction
IMPORTED = "Net promoter score"  # one survey result imported three weeks late (backdated)
# The webhook endpoint: what it receives, how it is found again, and how long before today it was added.
WEBHOOK_DESCRIPTION = "BI sync: check-ins, status changes and cycles (the demo's own receiver)"
WEBHOOK_EVENTS = ["check_in.created", "key_result.status_changed", "cycle.*", "objective.closed"]
WEBHOOK_ADDED = timedelta(days=7)

# (key, name, role): everyone signs in at <key>@northwind.example, Olivia the owner at DEMO_EMAIL.
PEOPLE: tuple[tuple[str, str, Role], ...] = (
    ("marcus", "Marcus Weber", "admin"),  # CMO
    ("dana", "Dana Fischer", "member"),  # Demand Gen lead
    ("leo", "Leo Braun", "member"),
    ("clara", "Clara Schmidt", "member"),  # Content lead
    ("noah", "Noah Klein", "member"),
    ("sofia", "Sofia Richter", "admin"),  # VP Sales
    ("ben", "Ben Hoffmann", "member"),
    ("priya", "Priya Nair", "member"),  # Head of Product
    ("jonas", "Jonas Wolf", "member"),  # product marketing
    ("tom", "Tom Becker", "viewer"),  # finance: reads the scoreboard
)
# (key, name, parent, lead, members), parents first.
TEAMS = (
    ("company", "Company", None, "olivia", ("olivia", "tom")),
    ("marketing", "Marketing", "company", "marcus", ("marcus", "dana", "clara")),
    ("sales", "Sales", "company", "sofia", ("sofia", "ben")),
    ("product", "Product", "company", "priya", ("priya", "jonas")),
    ("demand", "Demand Gen", "marketing", "dana", ("dana", "leo")),
    ("content", "Content", "marketing", "clara", ("clara", "noah")),
    ("partners", "Partnerships", "marketing", "tom", ("tom",)),  # no OKRs yet: the coverage report says so
)
# Each person checks in at their own hour, so one batch is one person's check-ins of a day.
HOURS = {key: 8 + index for index, key in enumerate(("olivia", *(p[0] for p in PEOPLE)))}


@dataclass(frozen=True)
class KR:
    """A key result and how it fares. `pace`: for increase/decrease, the share of the planned progress
    reached; for at_least/at_most, the level the value hovers around; for a milestone, the share of the
    cycle after which it is done (above 1: not yet)."""

    title: str
    metric: str
    direction: str
    start: float
    target: float
    cadence: str
    pace: float
    unit: str = ""
    stretch: float | None = None
    previous: float | None = None
    key: str | None = None
    source: str = "manual"
    plan: tuple[tuple[float, float], ...] = ()  # (share of the cycle, value)
    owner: str | None = None  # defaults to the objective's owner
    silent_weeks: int = 0  # stopped checking in this long before today: stale


@dataclass(frozen=True)
class Obj:
    """An objective and its key results."""

    cycle: str  # "year", "quarter" (the one containing today), "previous" (the quarter before it, closed: the
    # previous fiscal year's last quarter when today is in the first) or "first" (the year's first quarter, once it
    # has ended: closed with its objectives, check-ins and retrospective)
    level: schemas.Level
    team: str | None
    owner: str
    kind: schemas.Kind
    title: str
    key_results: tuple[KR, ...]


# fmt: off
OBJECTIVES = (
    Obj("year", "company", None, "olivia", "committed", "Grow revenue profitably", (
        KR("Annual recurring revenue", "currency", "increase", 8e6, 11e6, "monthly", 0.9, "EUR", 12e6,
           key="finance:arr", source="finance"),
        KR("Gross revenue churn", "percent", "decrease", 9, 6, "monthly", 0.7, "%", owner="sofia"),
        KR(IMPORTED, "number", "at_least", 32, 40, "monthly", 43, key="survey:nps", source="survey"),
    )),
    Obj("year", "company", None, "olivia", "aspirational", "Be the best-known name in mid-market logistics software", (
        KR("Aided brand awareness in target accounts", "percent", "increase", 12, 25, "quarterly", 0.95, "%", 30,
           owner="marcus"),
        KR("Share of voice against the top three competitors", "percent", "increase", 18, 30, "monthly", 0.8, "%",
           key="brandwatch:sov", source="brandwatch", owner="clara"),
    )),
    Obj("year", "team", "marketing", "marcus", "committed", "Fill the pipeline with qualified demand", (
        KR(SEED_TITLE, "number", "increase", 0, 18_000, "monthly", 1.1, "leads", 24_000, 12_000, key="crm:mqls",
           source="crm", owner="dana"),
        KR("Marketing-sourced pipeline", "currency", "increase", 0, 6e6, "monthly", 0.85, "EUR", 7.5e6, 4.2e6,
           key="crm:pipeline", source="crm", plan=((0.25, 1e6), (0.5, 2.5e6), (0.75, 4.2e6))),
        KR("MQL-to-SQL conversion rate", "percent", "at_least", 21, 25, "monthly", 26.5, "%", key="crm:mql_sql",
           source="crm"),
    )),
    Obj("year", "team", "marketing", "marcus", "committed", "Spend every euro where it converts", (
        KR(CORRECTED, "currency", "decrease", 95, 70, "biweekly", 0.75, "EUR", 60, key="ads:cost_per_mql",
           source="google_ads"),
        KR("Monthly paid media spend", "currency", "at_most", 45_000, 40_000, "monthly", 38_500, "EUR",
           key="finance:paid_media", source="finance"),
        KR("Multi-touch attribution model live", "milestone", "increase", 0, 1, "monthly", 1.2, owner="dana"),
    )),
    Obj("year", "team", "demand", "dana", "committed", "Turn the website into our best salesperson", (
        KR("Monthly organic search sessions", "number", "increase", 42_000, 65_000, "weekly", 1.05, "sessions",
           75_000, key="ga:organic_sessions", source="google_analytics"),
        KR("Demo request conversion rate", "percent", "increase", 1.2, 2.0, "weekly", 0.55, "%", owner="leo"),
        KR("Landing page load time (p75)", "number", "decrease", 3.8, 2.0, "biweekly", 1.15, "s", 1.5, owner="leo"),
    )),
    Obj("year", "team", "demand", "leo", "aspirational", "Build an account-based engine for our top 200 accounts", (
        KR("Target accounts engaged", "number", "increase", 0, 120, "biweekly", 0.95, "accounts", 160, 70),
        KR("Meetings booked with target accounts", "number", "increase", 0, 90, "weekly", 0.6, "meetings",
           previous=55),
        KR("ABM platform rolled out", "milestone", "increase", 0, 1, "monthly", 0.3, plan=((0.35, 1),)),
    )),
    Obj("year", "team", "content", "clara", "committed", "Publish content that earns attention", (
        KR("Articles published", "number", "increase", 0, 48, "weekly", 1.0, "articles", previous=30, owner="noah"),
        KR("Newsletter subscribers", "number", "increase", 8_000, 14_000, "weekly", 0.9, "subscribers", 16_000,
           key="newsletter:subscribers", source="mailchimp"),
        KR("Content-attributed MQLs", "number", "increase", 0, 3_000, "monthly", 0.8, "leads",
           key="crm:content_mqls", source="crm"),
    )),
    Obj("year", "individual", "content", "noah", "aspirational", "Launch the customer story library", (
        KR("Customer case studies published", "number", "increase", 0, 12, "monthly", 0.9, "stories", silent_weeks=9),
        KR("Video testimonials recorded", "number", "increase", 0, 6, "monthly", 0.7, "videos"),
    )),
    Obj("year", "team", "sales", "sofia", "committed", "Convert marketing demand into revenue", (
        KR("New-business bookings", "currency", "increase", 0, 3.5e6, "monthly", 0.8, "EUR", 4.2e6, 2.9e6,
           key="crm:bookings", source="crm", plan=((0.25, 0.6e6), (0.5, 1.5e6), (0.75, 2.4e6))),
        KR("Win rate on marketing-sourced opportunities", "percent", "at_least", 20, 28, "monthly", 26.5, "%"),
        KR("Median sales cycle", "number", "decrease", 94, 75, "monthly", 0.9, "days"),
        KR("MQLs followed up within 24 hours", "percent", "at_least", 70, 90, "weekly", 94, "%", owner="ben"),
    )),
    Obj("year", "individual", "sales", "ben", "committed", "Master the mid-market sales playbook", (
        KR("Discovery calls held", "number", "increase", 0, 160, "weekly", 1.05, "calls"),
        KR("Average deal size", "currency", "increase", 28_000, 34_000, "monthly", 0.5, "EUR"),
    )),
    Obj("year", "team", "product", "priya", "committed", "Ship what marketing can sell", (
        KR("Self-serve trial launched", "milestone", "increase", 0, 1, "monthly", 0.4, plan=((0.45, 1),)),
        KR("Trial-to-paid conversion", "percent", "increase", 8, 14, "biweekly", 0.85, "%", owner="jonas"),
        KR("Support tickets per 100 customers", "number", "at_most", 15, 12, "monthly", 12.6, "tickets"),
    )),
    Obj("quarter", "team", "demand", "dana", "aspirational", "Make the Logistics Summit our biggest pipeline moment", (
        KR("Summit registrations", "number", "increase", 0, 1_500, "weekly", 1.1, "registrations", 2_000, 900,
           key="events:summit_registrations", source="eventbrite"),
        KR("Summit-sourced pipeline", "currency", "increase", 0, 900_000, "weekly", 0.7, "EUR", owner="leo"),
    )),
    Obj("first", "team", "content", "clara", "committed", "Relaunch the blog for the new fiscal year", (
        KR("Relaunch posts published", "number", "increase", 0, 20, "weekly", 0.9, "posts", owner="noah"),
        KR("Blog newsletter sign-ups", "number", "increase", 0, 600, "weekly", 0.75, "sign-ups"),
        KR("New blog design live", "milestone", "increase", 0, 1, "monthly", 0.5),
    )),
    Obj("previous", "team", "marketing", "marcus", "committed", "Launch Route Planner 2.0 with a bang", (
        KR("Launch webinar attendees", "number", "increase", 0, 800, "weekly", 1.05, "attendees", owner="jonas"),
        KR("Press mentions", "number", "increase", 0, 25, "biweekly", 0.8, "mentions", owner="clara"),
        KR("Launch page conversion rate", "percent", "at_least", 2, 4, "weekly", 4.3, "%", owner="dana"),
    )),
)
# fmt: on
# Line of sight: (child objective, parent objective or key result, kind, weight). "Ship what marketing can
# sell" is left unaligned on purpose; "Turn the website…" reaches "Grow revenue profitably" by two paths.
ALIGNMENTS = (
    ("Fill the pipeline with qualified demand", "Grow revenue profitably", "cascade", 0.5),
    ("Spend every euro where it converts", "Grow revenue profitably", "cascade", 0.2),
    ("Convert marketing demand into revenue", "Grow revenue profitably", "cascade", 0.7),
    ("Publish content that earns attention", "Be the best-known name in mid-market logistics software", "cascade", 0.6),
    ("Turn the website into our best salesperson", "Fill the pipeline with qualified demand", "cascade", 0.6),
    ("Turn the website into our best salesperson", "New-business bookings", "contributes", 0.2),
    ("Build an account-based engine for our top 200 accounts", "New-business bookings", "contributes", 0.3),
    ("Publish content that earns attention", SEED_TITLE, "contributes", 0.25),
    ("Launch the customer story library", "Publish content that earns attention", "cascade", 1.0),
    ("Master the mid-market sales playbook", "Convert marketing demand into revenue", "cascade", 1.0),
    ("Make the Logistics Summit our biggest pipeline moment", "Marketing-sourced pipeline", "contributes", 0.25),
    ("Launch Route Planner 2.0 with a bang", "Fill the pipeline with qualified demand", "cascade", 0.3),
)
# Initiatives: (title, kind, owner, team, budget, monthly spend, ((key result, share or None), …)).
# The trade-show booth is linked to nothing on purpose: unaligned work.
INITIATIVES = (
    (
        "Always-on paid search",
        "program",
        "dana",
        "demand",
        "240000.00",
        "19500.00",
        ((SEED_TITLE, "0.6"), ("Marketing-sourced pipeline", None)),
    ),
    (
        "Website relaunch",
        "project",
        "leo",
        "demand",
        "120000.00",
        "9000.00",
        (("Monthly organic search sessions", None), ("Demo request conversion rate", None)),
    ),
    (
        "Top-200 account campaign",
        "campaign",
        "leo",
        "demand",
        "90000.00",
        "6500.00",
        (("Target accounts engaged", "0.5"), ("Meetings booked with target accounts", "0.5")),
    ),
    (
        "Content engine",
        "program",
        "clara",
        "content",
        "60000.00",
        "4800.00",
        (("Articles published", None), ("Content-attributed MQLs", None)),
    ),
    (
        "Attribution tooling",
        "project",
        "dana",
        "marketing",
        "25000.00",
        "2000.00",
        (("Multi-touch attribution model live", None),),
    ),
    ("LogiMAT trade-show booth", "campaign", "tom", "partners", "30000.00", "2500.00", ()),
)
NOTES = {  # by "going well" (confidence 6 or more)
    True: ("On plan; nothing to flag.", "Good week: the new campaigns convert above forecast.", "Ahead of plan."),
    False: ("Behind plan; recovery agreed in the review.", "Slower than planned: budget moved to what converts."),
}


@dataclass(frozen=True)
class DemoCredentials:
    email: str
    password: str
    organisation_id: UUID
    seed_key_result_id: UUID
    webhook_endpoint_id: UUID | None = None  # when loaded with the receiver's address


@dataclass(frozen=True)
class Reading:
    """One planned check-in."""

    moment: datetime
    owner: str
    title: str
    value: float
    confidence: int
    note: str
    source: str


Step = tuple[datetime, Callable[[AsyncSession], Awaitable[None]]]


def receiver_url(host: str, port: int) -> str:
    """The demo receiver's address as this machine reaches the service listening on `host`:`port` (a wildcard
    bind is reached on loopback)."""
    address = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://{f'[{address}]' if ':' in address else address}:{port}{RECEIVER_PATH}"


def receiver_policy(url: str) -> UrlPolicy:
    """The URL rules of the demo's process: plain http, and the receiver's own host although it is internal."""
    return UrlPolicy.of([urlsplit(url).hostname or ""], allow_http=True)


def demo_settings(settings: Settings, url: str) -> Settings:
    """`settings` for `sightline demo`'s own process, whose webhooks reach its receiver at `url` (never `serve`)."""
    hosts = [*settings.webhook_allowed_hosts, urlsplit(url).hostname or ""]
    return settings.model_copy(update={"webhook_allowed_hosts": hosts, "webhook_allow_http": True})


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(TIME_ZONE))


def _calendar(today: date) -> dict[str, tuple[str, date, date]]:
    """The fiscal year (April to March) containing `today` and its quarters: key → (name, first day, last day).

    While `today` is in the year's first quarter, no quarter of it has closed yet: the previous fiscal year's
    last quarter is there too ("previous", a quarter of its own), so the demo always shows a closed quarter.
    """
    year = today.year if today.month >= 4 else today.year - 1
    starts = [date(year, 4, 1), date(year, 7, 1), date(year, 10, 1), date(year + 1, 1, 1), date(year + 1, 4, 1)]
    calendar = {"year": (f"FY{year}", starts[0], starts[4] - timedelta(days=1))}
    for n in range(4):
        calendar[f"Q{n + 1}"] = (f"FY{year}-Q{n + 1}", starts[n], starts[n + 1] - timedelta(days=1))
    if today < starts[1]:
        calendar["previous"] = (f"FY{year - 1}-Q4", date(year, 1, 1), starts[0] - timedelta(days=1))
    return calendar


def _days(cadence: Cadence, start: date, until: date) -> list[date]:
    """Check-in days before `until`: the 1st of each following month, or Mondays every 1, 2 or 13 weeks."""
    if cadence is Cadence.monthly:
        months = (start.month - 1 + k for k in range(1, 13))
        return [day for m in months if (day := date(start.year + m // 12, m % 12 + 1, 1)) < until]
    step = {Cadence.weekly: 7, Cadence.biweekly: 14, Cadence.quarterly: 91}[cadence]
    first = start + timedelta(days=7 - start.weekday())
    return [day for k in range(60) if (day := first + timedelta(days=step * k)) < until]


def _plan(spec: KR, cycle: Cycle) -> list[schemas.MilestonePoint]:
    length = (cycle.end_date - cycle.start_date).days
    return [
        schemas.MilestonePoint(date=cycle.start_date + timedelta(days=round(share * length)), value=value)
        for share, value in spec.plan
    ]


def _readings(spec: KR, owner: str, cycle: Cycle, *, today: date, rng: Random) -> list[Reading]:
    """Plausible values along the plan at the KR's pace, with noise and confidence that follows the gap."""
    metric, direction = Metric(spec.metric), Direction(spec.direction)
    start, end = scoring.cycle_bounds(start_date=cycle.start_date, end_date=cycle.end_date, tz=TIME_ZONE)
    plan = [(scoring.start_of_day(day=p.date, tz=TIME_ZONE), p.value) for p in _plan(spec, cycle)]
    until = min(today - timedelta(weeks=spec.silent_weeks), cycle.end_date + timedelta(days=1))
    span = abs(spec.target - spec.start)
    readings: list[Reading] = []
    last: float | None = None
    for day in _days(Cadence(spec.cadence), cycle.start_date, until):
        moment = _at(day, HOURS[owner])
        share = scoring.elapsed_fraction(cycle_start=start, cycle_end=end, now=moment)
        if metric is Metric.milestone:
            value = spec.target if share >= spec.pace else spec.start
        elif direction in (Direction.at_least, Direction.at_most):
            value = spec.pace * rng.uniform(0.97, 1.03)
        else:
            expected = scoring.expected_value(
                metric=metric,
                direction=direction,
                start=spec.start,
                target=spec.target,
                cycle_start=start,
                cycle_end=end,
                plan=plan,
                now=moment,
            )
            value = spec.start + (expected - spec.start) * spec.pace * rng.uniform(0.94, 1.06)
            if spec.start == 0 and last is not None:
                value = max(value, last)  # running totals never shrink
        value = last = round(value, 0 if span >= 100 else 1 if span >= 5 else 2)
        met = scoring.progress(metric=metric, direction=direction, start=spec.start, target=spec.target, current=value)
        if metric is Metric.milestone:
            base = 10.0 if met >= 1 else 6.0
        elif direction in (Direction.at_least, Direction.at_most):
            base = 8.0 if met >= 1 else 4.0
        else:
            base = 7 + (spec.pace - 1) * 14 * share  # doubt (or confidence) grows as the gap shows
        confidence = max(0, min(10, round(base + rng.uniform(-1, 1))))
        note = rng.choice(NOTES[confidence >= 6]) if rng.random() < 0.3 else ""
        readings.append(Reading(moment, owner, spec.title, value, confidence, note, spec.source))
    return readings


@dataclass
class _Demo:
    """The organisation being built: its ids by the keys of the tables above."""

    factory: async_sessionmaker[AsyncSession]
    today: date
    org_id: UUID
    people: dict[str, Principal]
    teams: dict[str, UUID] = field(default_factory=dict)
    cycles: dict[str, Cycle] = field(default_factory=dict)
    objectives: dict[UUID, list[UUID]] = field(default_factory=lambda: defaultdict(list))  # by cycle id
    key_results: dict[str, UUID] = field(default_factory=dict)  # by title
    objective_ids: dict[str, UUID] = field(default_factory=dict)  # by title
    recorded: dict[tuple[str, datetime], UUID] = field(default_factory=dict)  # check-in ids
    webhook_url: str | None = None  # the demo receiver's address: an endpoint is added a week before today
    webhook_id: UUID | None = None

    @property
    def end(self) -> datetime:
        """The demo's clock stops at the start of `today`: nothing happens after it."""
        return _at(self.today, 0)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.factory() as session, session.begin():
            await set_tenant(session, self.org_id)
            yield session

    async def build_structure(self, calendar: dict[str, tuple[str, date, date]], now: datetime) -> None:
        owner = self.people["olivia"]
        async with self.transaction() as session:
            for key, name, role in PEOPLE:
                member = MemberCreate(email=f"{key}@northwind.example", name=name, role=role, password=DEMO_PASSWORD)
                user, _ = await identity.add_member(session, principal=owner, body=member, now=now)
                self.people[key] = Principal(self.org_id, ROLE_SCOPES[role], user_id=user.id, role=role)
            for key, name, parent, lead, members in TEAMS:
                team = schemas.TeamCreate(
                    name=name,
                    parent_id=self.teams[parent] if parent else None,
                    lead_id=self.people[lead].user_id,
                    member_ids=[u for m in members if (u := self.people[m].user_id)],
                )
                self.teams[key] = (await teams.create_team(session, principal=owner, body=team, now=now)).id
            for key, (name, first, last) in calendar.items():
                parent_id = self.cycles["year"].id if key.startswith("Q") else None
                cycle = schemas.CycleCreate(name=name, start_date=first, end_date=last, parent_id=parent_id)
                self.cycles[key] = await cycles.create_cycle(session, principal=owner, body=cycle, now=now)

    async def create_objective(self, session: AsyncSession, *, spec: Obj, cycle: Cycle, now: datetime) -> None:
        principal, team_id = self.people[spec.owner], self.teams[spec.team] if spec.team else None
        body = schemas.ObjectiveCreate(
            cycle_id=cycle.id, title=spec.title, level=spec.level, team_id=team_id, kind=spec.kind
        )
        objective = await objectives.create_objective(session, principal=principal, body=body, now=now)
        self.objectives[cycle.id].append(objective.id)
        self.objective_ids[spec.title] = objective.id
        for kr in spec.key_results:
            kr_body = schemas.KeyResultCreate(
                objective_id=objective.id,
                title=kr.title,
                owner_id=self.people[kr.owner or spec.owner].user_id,
                metric=Metric(kr.metric),
                unit=kr.unit,
                direction=Direction(kr.direction),
                start_value=kr.start,
                target_value=kr.target,
                stretch_value=kr.stretch,
                previous_value=kr.previous,
                cadence=Cadence(kr.cadence),
                milestone_plan=_plan(kr, cycle),
                data_source=kr.source,
                external_key=kr.key,
            )
            created = await key_results.create_key_result(session, principal=principal, body=kr_body, now=now)
            self.key_results[kr.title] = created.id

    async def move_cycle(self, session: AsyncSession, *, cycle: Cycle, state: str, now: datetime) -> None:
        """Activate, or close a quarter: grading it, closing its objectives, writing its retrospective."""
        owner = self.people["olivia"]
        if state == "closed":
            await close.close_cycle(session, principal=owner, cycle_id=cycle.id, now=now)
            return
        body = schemas.CycleUpdate(state="active")
        await cycles.update_cycle(session, principal=owner, cycle_id=cycle.id, body=body, if_match=None, now=now)

    async def check_in(self, session: AsyncSession, *, readings: list[Reading], delay: timedelta) -> None:
        """One batch per person and source, recorded `delay` after the moment it reports."""
        batches: dict[tuple[str, str], list[Reading]] = defaultdict(list)
        for reading in readings:
            batches[(reading.owner, reading.source)].append(reading)
        for (owner, source), batch in sorted(batches.items(), key=lambda item: item[1][0].moment):
            items = [
                schemas.CheckInBatchItem(
                    key_result_id=self.key_results[r.title],
                    value=r.value,
                    confidence=r.confidence,
                    note=r.note,
                    checked_in_at=r.moment,
                )
                for r in batch
            ]
            body = schemas.CheckInBatch(items=items, source=source)
            now = batch[0].moment + delay
            created = await check_in_batch.create_batch(session, principal=self.people[owner], body=body, now=now)
            for reading, public in zip(batch, created, strict=True):
                self.recorded[(reading.title, reading.moment)] = public.id

    async def correct(self, session: AsyncSession, *, reading: Reading, wrong: float) -> None:
        body = schemas.CheckInCreate(
            key_result_id=self.key_results[reading.title],
            value=reading.value,
            confidence=reading.confidence,
            corrects=self.recorded[(reading.title, reading.moment)],
            reason=f"Typo: {wrong:g} should read {reading.value:g} (an extra zero from the ads export).",
        )
        now = reading.moment + timedelta(hours=3)
        await check_ins.create_check_in(session, principal=self.people[reading.owner], body=body, now=now)

    async def align(
        self, session: AsyncSession, *, child: str, parent: str, kind: str, weight: float, now: datetime
    ) -> None:
        via_kr = parent in self.key_results
        body = AlignmentCreate(
            child_objective_id=self.objective_ids[child],
            parent_objective_id=None if via_kr else self.objective_ids[parent],
            parent_key_result_id=self.key_results[parent] if via_kr else None,
            kind=kind,  # type: ignore[arg-type]
            weight=weight,
        )
        await alignment_links.create_link(session, principal=self.people["marcus"], body=body, now=now)

    async def fund(self, session: AsyncSession, *, spec: tuple[Any, ...], now: datetime) -> None:
        """An initiative with its budget, its key-result links and a spend entry for each month so far."""
        title, kind, owner, team, budget, monthly, links = spec
        body = InitiativeCreate(
            title=title,
            kind=kind,
            owner_id=self.people[owner].user_id,
            team_id=self.teams[team],
            state="in_progress",
            start_date=self.cycles["year"].start_date,
            end_date=self.cycles["year"].end_date,
            planned_budget=Decimal(budget),
            key_results=[
                KeyResultLink(key_result_id=self.key_results[kr], share=Decimal(share) if share else None)
                for kr, share in links
            ],
        )
        created = await initiatives.create_initiative(session, principal=self.people[owner], body=body, now=now)
        month = self.cycles["year"].start_date
        while month < self.today:
            entry = SpendCreate(amount=Decimal(monthly), spent_on=month, note=f"{month:%B} invoices")
            await initiative_spend.record_spend(
                session,
                principal=self.people[owner],
                initiative_id=created.id,
                body=entry,
                now=max(_at(month, 18), now),
            )
            month = (month.replace(day=1) + timedelta(days=32)).replace(day=1)

    async def add_webhook(self, session: AsyncSession, *, url: str, now: datetime) -> None:
        """Olivia connects the BI sync: from now on its events queue deliveries (sent once the service runs)."""
        body = EndpointCreate(url=url, description=WEBHOOK_DESCRIPTION, event_types=WEBHOOK_EVENTS)
        endpoint, _ = await webhooks.create_endpoint(
            session, principal=self.people["olivia"], body=body, policy=receiver_policy(url), now=now
        )
        self.webhook_id = endpoint.id

    def timeline(self, *, setup: datetime, rng: Random) -> list[Step]:
        """Every later change at its moment: objectives, cycle states, check-ins, the correction, the import."""
        steps: list[Step] = []
        for key, cycle in self.cycles.items():
            if cycle.start_date <= self.today:
                moment = min(_at(cycle.start_date, 7, 30), self.end)
                steps.append((moment, partial(self.move_cycle, cycle=cycle, state="active", now=moment)))
            if key != "year" and cycle.end_date < self.today:  # the year stays active, even past its end
                moment = min(_at(cycle.end_date + timedelta(days=1), 17), self.end)
                steps.append((moment, partial(self.move_cycle, cycle=cycle, state="closed", now=moment)))
        quarters = [self.cycles[f"Q{n}"] for n in range(1, 5)]
        current = next((i for i, q in enumerate(quarters) if q.start_date <= self.today <= q.end_date), 3)
        chosen = {"year": self.cycles["year"], "quarter": quarters[current]}
        if current > 0:
            chosen["previous"] = quarters[current - 1]
            chosen["first"] = quarters[0]  # ended: closed after its check-ins, graded, with its retrospective
        else:  # the previous fiscal year's last quarter: closed the day this year began
            chosen["previous"] = self.cycles["previous"]
        readings: list[Reading] = []
        created_at: dict[str, datetime] = {}
        cycle_of: dict[str, Cycle] = {}
        for index, spec in enumerate(OBJECTIVES):
            if spec.cycle not in chosen:
                continue
            cycle = chosen[spec.cycle]
            if spec.cycle == "year":
                created = setup + timedelta(minutes=10 * index)
            else:  # quarterly objectives are set the week before their quarter
                created = min(_at(cycle.start_date - timedelta(days=7), 10), self.end)
            steps.append((created, partial(self.create_objective, spec=spec, cycle=cycle, now=created)))
            created_at[spec.title], cycle_of[spec.title] = created, cycle
            for kr in spec.key_results:
                readings += _readings(kr, kr.owner or spec.owner, cycle, today=self.today, rng=rng)

        typos = [i for i, r in enumerate(readings) if r.title == CORRECTED]
        if typos:
            index = typos[len(typos) // 2]
            right, wrong = readings[index], readings[index].value * 10
            readings[index] = replace(right, value=wrong)
            steps.append((right.moment + timedelta(hours=3), partial(self.correct, reading=right, wrong=wrong)))
        late = timedelta(weeks=3)
        surveys = [i for i, r in enumerate(readings) if r.title == IMPORTED and r.moment + late < self.end]
        if surveys:
            survey = replace(
                readings.pop(surveys[len(surveys) // 2]),
                source="import",
                note="Survey results imported three weeks after the survey closed.",
            )
            steps.append((survey.moment + late, partial(self.check_in, readings=[survey], delay=late)))

        owner_of = {kr.title: spec.title for spec in OBJECTIVES for kr in spec.key_results}
        for child, parent, kind, weight in ALIGNMENTS:
            parent_objective = owner_of.get(parent, parent)
            ends = [created_at.get(child), created_at.get(parent_objective)]
            if None in ends:  # an end is not in this demo year
                continue
            if cycle_of[child].end_date < cycle_of[parent_objective].start_date:
                continue  # the previous year's last quarter aligns to nothing of this year (the cycles must overlap)
            moment = max(e for e in ends if e is not None) + timedelta(hours=1)
            steps.append(
                (moment, partial(self.align, child=child, parent=parent, kind=kind, weight=weight, now=moment))
            )
        if self.webhook_url is not None:
            added = max(_at(self.today - WEBHOOK_ADDED, 9, 30), setup)
            steps.append((added, partial(self.add_webhook, url=self.webhook_url, now=added)))
        funded = setup + timedelta(days=2)
        steps += [(funded, partial(self.fund, spec=spec, now=funded)) for spec in INITIATIVES]

        by_day: dict[date, list[Reading]] = defaultdict(list)
        for reading in readings:
            by_day[reading.moment.date()].append(reading)
        for day_readings in by_day.values():
            moment = min(r.moment for r in day_readings)
            steps.append((moment, partial(self.check_in, readings=day_readings, delay=timedelta(0))))
        return steps


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
    calendar = _calendar(today)
    # The organisation is set up three weeks before its first cycle; the year's objectives the day after.
    setup = _at(min(first for _, first, _ in calendar.values()) - timedelta(days=21), 9)
    opening = _at(calendar["year"][1] - timedelta(days=20), 9)
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
    demo = _Demo(factory=factory, today=today, org_id=org.org_id, people={"olivia": principal}, webhook_url=webhook_url)
    await demo.build_structure(calendar, now=setup + timedelta(minutes=15))
    steps = demo.timeline(setup=opening, rng=Random(2026))
    for _, step in sorted(steps, key=lambda s: s[0]):
        async with demo.transaction() as session:
            await step(session)
    async with demo.transaction() as session:
        await recompute_org(session, org_id=demo.org_id, now=demo.end)  # statuses as of today
    return DemoCredentials(DEMO_EMAIL, DEMO_PASSWORD, demo.org_id, demo.key_results[SEED_TITLE], demo.webhook_id)
