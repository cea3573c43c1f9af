"""The built-in template library: marketing objectives with their key results, as data in code.

Every built-in has a stable id (a UUID derived from its slug, the same in every organisation and every release)
and belongs to one category. The numbers are examples for a B2B team of a few dozen marketers: the target hint says
how to size your own, `how_to_measure` what to count and where. Titles carry no numbers (the start and target do,
and applying a template may replace them). `accumulation` says how a key result counts: a count for the cycle
(`cumulative`: leads start again from 0) or a level read at a moment (`level`: a rate, a ratio, a cost per lead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID, uuid5

from sightline.scoring import Direction, Metric

Category = Literal[
    "demand_generation",
    "pipeline",
    "brand",
    "content",
    "product_marketing",
    "customer_marketing",
    "events",
    "lifecycle_email",
    "paid_acquisition",
    "website_conversion",
    "sales_enablement",
    "partner_marketing",
    "other",
]
Accumulation = Literal["cumulative", "level"]
# Never change: built-in ids are derived from it and clients may have stored them.
NAMESPACE = UUID("6f1d8f5e-2b1a-4c7e-9a43-5d0c1e7b9a21")


@dataclass(frozen=True)
class LibraryKeyResult:
    title: str
    metric: Metric
    unit: str  # empty for money: a currency key result is in the organisation's currency
    direction: Direction
    accumulation: Accumulation
    start_value: float
    target_value: float
    target_hint: str
    how_to_measure: str


@dataclass(frozen=True)
class LibraryTemplate:
    slug: str
    category: Category
    title: str
    description: str
    key_results: tuple[LibraryKeyResult, ...]

    @property
    def id(self) -> UUID:
        return builtin_id(self.slug)


def builtin_id(slug: str) -> UUID:
    """The stable id of a built-in template: uuid5 of `builtin:<slug>` in the library's namespace."""
    return uuid5(NAMESPACE, f"builtin:{slug}")


N, P, C, M = Metric.number, Metric.percent, Metric.currency, Metric.milestone
UP, DOWN, AT_LEAST, AT_MOST = Direction.increase, Direction.decrease, Direction.at_least, Direction.at_most
COUNT: Accumulation = "cumulative"
LEVEL: Accumulation = "level"
K = LibraryKeyResult
T = LibraryTemplate

# fmt: off
LIBRARY: tuple[LibraryTemplate, ...] = (
    T("demand-generation", "demand_generation", "Build a predictable flow of qualified demand",
      "More leads that sales actually accepts, at a cost per lead the budget can carry.", (
        K("Generate marketing-qualified leads", N, "MQLs", UP, COUNT, 0, 1200,
          "Last quarter's MQLs plus 15-25%; a count for this quarter, so it starts again from 0.",
          "Leads whose lifecycle stage became MQL during the quarter (stage-change date in the marketing "
          "automation tool), de-duplicated by contact; recycled leads count once."),
        K("Raise MQL-to-SQL conversion", P, "%", UP, LEVEL, 18, 25,
          "Start from last quarter's rate; +5 to +8 points is a stretch, +2 to +3 is realistic.",
          "SQLs accepted by sales ÷ MQLs created, for the MQLs created in the quarter, read 30 days after each "
          "MQL date so late acceptances count."),
        K("Bring cost per MQL down", C, "", DOWN, LEVEL, 180, 140,
          "Last quarter's cost per MQL as the start; 15-25% lower without cutting volume.",
          "All demand-generation spend in the quarter (media, tools, agencies, content production) ÷ MQLs "
          "created in the same quarter."),
    )),
    T("pipeline", "pipeline", "Make marketing the biggest source of new pipeline",
      "Marketing is judged on opportunities and revenue potential, not on clicks.", (
        K("Create marketing-sourced pipeline", C, "", UP, COUNT, 0, 2_400_000,
          "Bookings target × the share marketing owns × the coverage sales needs (often 3x), for this quarter.",
          "Sum of the amounts of opportunities created in the quarter whose original source (first-touch source "
          "field in the CRM) is a marketing channel, at their amount on creation."),
        K("Lift marketing's share of new pipeline", P, "%", UP, LEVEL, 35, 45,
          "Last quarter's share as the start; +5 to +10 points a quarter is ambitious.",
          "Marketing-sourced pipeline created ÷ all new pipeline created in the quarter, by amount."),
        K("Keep next quarter's pipeline coverage at the level sales needs", N, "x", AT_LEAST, LEVEL, 0, 3,
          "The coverage your sales cycle needs: 3x for mid-market, 4x or more with long enterprise cycles.",
          "Open pipeline expected to close next quarter ÷ next quarter's bookings target, on the last day of the "
          "quarter."),
    )),
    T("brand", "brand", "Make our brand the one buyers in our category think of first",
      "Awareness and preference in the segment we sell to, measured the same way every quarter.", (
        K("Raise unaided awareness in our target segment", P, "%", UP, LEVEL, 8, 12,
          "Last survey's result as the start; awareness moves slowly, +2 to +4 points a quarter is a lot.",
          "Quarterly panel survey of at least 300 people in the ideal customer profile: share naming us "
          "unprompted when asked which vendors they know in the category."),
        K("Grow monthly branded search impressions", N, "impressions/month", UP, LEVEL,
          12_000, 15_600, "Last full month's branded impressions plus 20-30%.",
          "Search Console impressions for queries containing the brand name (and its misspellings), for the "
          "last full month of the quarter."),
        K("Lift share of voice against our top three competitors", P, "%", UP, LEVEL, 18, 25,
          "Start from last quarter's share; compare with the same three competitors every quarter.",
          "Mentions in press, social and review sites from the listening tool: ours ÷ (ours + the three "
          "competitors'), over the quarter."),
    )),
    T("content", "content", "Turn content into a demand engine, not a publishing schedule",
      "Content judged by the audience it builds and the pipeline it influences.", (
        K("Grow monthly organic sessions to the blog and resources", N, "sessions/month",
          UP, LEVEL, 40_000, 55_000,
          "Last full month's organic sessions plus 25-40% for a quarter of focused SEO work.",
          "Web analytics sessions with the organic search channel landing on /blog or /resources, for the last "
          "full month of the quarter."),
        K("Influence new pipeline with content", C, "", UP, COUNT, 0, 600_000,
          "Last quarter's content-influenced pipeline plus 20%; a count for this quarter, starting from 0.",
          "Amount of opportunities created in the quarter where a contact consumed at least one content asset in "
          "the 90 days before creation (the attribution report's content touch)."),
        K("Publish cornerstone guides with their topic clusters", M, "guides", UP, COUNT, 0, 3,
          "One guide per month of the quarter is the most a small team sustains with quality.",
          "One step per guide: a long-form pillar page live with at least four supporting articles linking to "
          "it, reviewed by a subject-matter expert."),
    )),
    T("product-marketing", "product_marketing", "Land our next major release with customers and with sales",
      "A launch counts when customers use it and sales wins with it, not when the announcement ships.", (
        K("Get active accounts using the new capability within 60 days", P, "%", UP, LEVEL, 0, 30,
          "Compare with the adoption of your last comparable launch; 20-35% in 60 days is strong.",
          "Accounts with at least one use of the capability in product analytics ÷ accounts active in the "
          "period, 60 days after general availability."),
        K("Create pipeline influenced by the launch", C, "", UP, COUNT, 0, 500_000,
          "The pipeline your last launch influenced, scaled by the size of this one.",
          "Amount of opportunities created in the quarter with a launch campaign touch (webinar, launch page, "
          "launch email) in the 90 days before creation."),
        K("Raise win rate against our main competitor", P, "%", UP, LEVEL, 22, 30,
          "The last two quarters' win rate against that competitor as the start.",
          "Closed-won ÷ (closed-won + closed-lost) for opportunities with that competitor recorded, closed in "
          "the quarter."),
    )),
    T("customer-marketing", "customer_marketing", "Turn our customers into our growth channel",
      "References, reviews and expansion: customers who sell for us.", (
        K("Create expansion pipeline from customer marketing plays", C, "", UP, COUNT, 0, 400_000,
          "Your installed base × the upsell rate you expect × the average expansion deal size.",
          "Amount of upsell and cross-sell opportunities created in the quarter whose source is a customer "
          "marketing campaign (advocacy, in-app, customer webinar, user event)."),
        K("Publish customer references", N, "references", UP, COUNT, 0, 8,
          "Enough to cover your top segments and use cases; 2-3 a month is steady.",
          "Case studies, reference videos and quote approvals published in the quarter, each signed off by the "
          "customer."),
        K("Collect new reviews on the main review site, averaging 4.5 or more", N, "reviews", UP, COUNT, 0, 40,
          "Last quarter's new reviews plus 50%, if you run a review campaign.",
          "New published reviews on the review site during the quarter (its vendor dashboard); check the "
          "average rating of the quarter's reviews alongside."),
    )),
    T("events", "events", "Make every event pay back in pipeline",
      "Fewer vanity booths, more meetings with the accounts we want.", (
        K("Book meetings with target accounts at events", N, "meetings", UP, COUNT, 0, 120,
          "Sum over the quarter's events of the sales team's capacity for meetings at each.",
          "Meetings held at or around events with contacts from the target account list, logged as activities "
          "in the CRM with the event campaign."),
        K("Create event-sourced pipeline", C, "", UP, COUNT, 0, 900_000,
          "The event budget × the pipeline-to-spend ratio your best past events reached.",
          "Amount of opportunities created in the quarter whose source campaign is an event (field events, "
          "trade shows, own conference, dinners)."),
        K("Keep cost per event-sourced opportunity under its ceiling", C, "", AT_MOST, LEVEL, 0, 2500,
          "Your average deal size × win rate ÷ the return you need on event spend.",
          "Total event spend in the quarter (booth, travel, sponsorship, swag) ÷ event-sourced opportunities "
          "created in the quarter."),
    )),
    T("lifecycle-email", "lifecycle_email", "Move users through the lifecycle with email that earns its place",
      "Onboarding, nurture and win-back programs judged on conversion, with list health kept in check.", (
        K("Raise trial-to-paid conversion", P, "%", UP, LEVEL, 12, 16,
          "Last quarter's trial conversion as the start; +2 to +4 points from better onboarding is realistic.",
          "Trials started in the quarter that became paying within 30 days of their start ÷ trials started."),
        K("Lift click-through rate of lifecycle emails", P, "%", UP, LEVEL, 2.5, 3.5,
          "Last quarter's click-through rate on automated programs (not newsletters) as the start.",
          "Unique clicks ÷ delivered emails of the automated lifecycle programs, over the quarter."),
        K("Keep the unsubscribe rate per send under its ceiling", P, "%", AT_MOST, LEVEL, 0, 0.3,
          "0.2-0.5% is the usual healthy band for B2B email; above it, the list is being burned.",
          "Unsubscribes ÷ delivered emails, averaged over the quarter's sends, from the email platform."),
        K("Reactivate dormant accounts", N, "accounts", UP, COUNT, 0, 300,
          "The size of the dormant segment × the reactivation rate of your last win-back campaign.",
          "Accounts with no login for 60 days or more at the quarter's start that log in and take a key action "
          "during the quarter, from product analytics."),
    )),
    T("paid-acquisition", "paid_acquisition", "Buy growth efficiently on paid channels",
      "Paid media that brings qualified opportunities at a cost the business model can afford.", (
        K("Bring blended customer acquisition cost down", C, "", DOWN, LEVEL, 1400, 1100,
          "Last quarter's CAC as the start; 10-20% lower by shifting budget to the best channels.",
          "Sales and marketing spend attributable to new customers in the quarter ÷ new customers won in the "
          "quarter."),
        K("Generate sales-qualified leads from paid channels", N, "SQLs", UP, COUNT, 0, 350,
          "The quarter's paid budget ÷ your current cost per SQL, plus the gain you expect from optimisation.",
          "SQLs created in the quarter whose original source is a paid channel (search, social, display, review "
          "sites) in the CRM."),
        K("Keep paid pipeline at a multiple of paid spend", N, "x", AT_LEAST, LEVEL, 0, 5,
          "The ratio at which paid acquisition pays back at your win rate and margin.",
          "Pipeline created in the quarter with a paid original source ÷ paid media spend in the quarter."),
    )),
    T("website-conversion", "website_conversion", "Turn more website visits into sales conversations",
      "A site that converts the traffic it already has, fast and clear.", (
        K("Raise visitor-to-lead conversion", P, "%", UP, LEVEL, 1.8, 2.5,
          "Last quarter's rate as the start; +0.5 points from a quarter of tests is good.",
          "Form submissions and sign-ups from new contacts ÷ unique visitors over the quarter (web analytics)."),
        K("Get more demo requests", N, "requests", UP, COUNT, 0, 450,
          "Last quarter's demo requests plus 20-30%.",
          "Submissions of the demo request form during the quarter, de-duplicated by email."),
        K("Raise pricing page to demo or trial conversion", P, "%", UP, LEVEL, 6, 9,
          "Last quarter's rate as the start.",
          "Sessions that reached the pricing page and then requested a demo or started a trial ÷ sessions that "
          "reached the pricing page."),
        K("Keep key pages fast: largest contentful paint under its ceiling", N, "s", AT_MOST, LEVEL, 0, 2.5,
          "2.5 seconds is the 'good' threshold of Core Web Vitals.",
          "75th percentile of largest contentful paint for the home, pricing and demo pages, from field data "
          "(the Chrome user experience report or your real-user monitoring)."),
    )),
    T("sales-enablement", "sales_enablement", "Give sales what they need to win more deals",
      "Ramp faster, use the content marketing makes, tell one story.", (
        K("Cut the time new reps take to create their first opportunity", N, "days", DOWN,
          LEVEL, 45, 30, "The median of the last cohort of hires as the start.",
          "Median days from start date to the first opportunity a rep creates, for reps who started in the last "
          "two quarters."),
        K("Get marketing content shared in open opportunities", P, "%", UP, LEVEL, 40, 80,
          "Today's share from the sales content tool as the start.",
          "Opportunities open during the quarter with at least one marketing asset shared with the buyer "
          "(content tool tracking) ÷ opportunities open during the quarter."),
        K("Roll out the new sales narrative", M, "steps", UP, COUNT, 0, 4,
          "Four steps: deck, talk track, rep certification, call review; one or two a month.",
          "One step per item shipped: the deck published, the talk track recorded, every quota-carrying rep "
          "certified, and ten recorded calls reviewed against the narrative."),
    )),
    T("partner-marketing", "partner_marketing", "Grow pipeline through partners",
      "Co-marketing with technology and channel partners that brings deals we would not find alone.", (
        K("Create partner-sourced pipeline", C, "", UP, COUNT, 0, 750_000,
          "What partners sourced last quarter plus the expected yield of the new partners' first campaigns.",
          "Amount of opportunities created in the quarter with a partner recorded as the source in the CRM "
          "(partner deal registration)."),
        K("Grow the number of active co-marketing partners", N, "partners", UP, LEVEL, 4, 10,
          "The partners with a signed joint plan and a named marketing contact on their side.",
          "Partners that ran at least one joint campaign (webinar, email, event, listing promotion) in the "
          "quarter."),
        K("Close partner-sourced deals", N, "deals", UP, COUNT, 0, 15,
          "Partner-sourced pipeline × the partner win rate ÷ the average deal size.",
          "Closed-won opportunities in the quarter with a partner as the source."),
    )),
)
# fmt: on

BY_ID: dict[UUID, LibraryTemplate] = {template.id: template for template in LIBRARY}
