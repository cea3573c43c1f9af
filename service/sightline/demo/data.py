"""The demo organisation's contents: its people, teams, objectives, alignments and initiatives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sightline.identity.schemas import Role
from sightline.okrs import schemas

DEMO_EMAIL = "demo@sightline.example"
DEMO_PASSWORD = "sightline-demo"  # printed by `sightline demo`; every demo member shares it
ORG_NAME = "Northwind Marketing"
SEED_TITLE = "Marketing-qualified leads"  # the worked example of docs/concepts.md
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
