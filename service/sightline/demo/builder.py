"""Building the demo organisation: its structure, then every later change at its moment, in order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from random import Random
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.alignment import links as alignment_links
from sightline.alignment.schemas import AlignmentCreate
from sightline.auth import ROLE_SCOPES, Principal
from sightline.db.tenancy import set_tenant
from sightline.demo.data import (
    ALIGNMENTS,
    CORRECTED,
    DEMO_PASSWORD,
    IMPORTED,
    INITIATIVES,
    OBJECTIVES,
    PEOPLE,
    TEAMS,
    WEBHOOK_ADDED,
    WEBHOOK_DESCRIPTION,
    WEBHOOK_EVENTS,
    Obj,
)
from sightline.demo.timeline import Reading, Step, at, milestone_plan, planned_readings
from sightline.identity import members as identity_members
from sightline.identity.schemas import MemberCreate
from sightline.initiatives import service as initiatives
from sightline.initiatives import spend as initiative_spend
from sightline.initiatives.schemas import InitiativeCreate, KeyResultLink, SpendCreate
from sightline.insights import close
from sightline.okrs import check_in_batch, check_ins, cycles, key_results, objectives, schemas, teams
from sightline.okrs.models import Cycle
from sightline.scoring import Cadence, Direction, Metric
from sightline.url_guard import UrlPolicy
from sightline.webhooks import service as webhooks
from sightline.webhooks.schemas import EndpointCreate


def receiver_policy(url: str) -> UrlPolicy:
    """The URL rules of the demo's process: plain http, and the receiver's own host although it is internal."""
    return UrlPolicy.of([urlsplit(url).hostname or ""], allow_http=True)


@dataclass
class Demo:
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
    kpis: dict[str, UUID] = field(default_factory=dict)  # by name
    webhook_url: str | None = None  # the demo receiver's address: an endpoint is added a week before today
    webhook_id: UUID | None = None

    @property
    def end(self) -> datetime:
        """The demo's clock stops at the start of `today`: nothing happens after it."""
        return at(self.today, 0)

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
                user, _ = await identity_members.add_member(session, principal=owner, body=member, now=now)
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
                milestone_plan=milestone_plan(kr, cycle),
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
                now=max(at(month, 18), now),
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
        steps = self._cycle_steps()
        chosen = self.chosen_cycles()
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
                created = min(at(cycle.start_date - timedelta(days=7), 10), self.end)
            steps.append((created, partial(self.create_objective, spec=spec, cycle=cycle, now=created)))
            created_at[spec.title], cycle_of[spec.title] = created, cycle
            for kr in spec.key_results:
                readings += planned_readings(kr, kr.owner or spec.owner, cycle, today=self.today, rng=rng)
        steps += self._planted_steps(readings)
        steps += self._alignment_steps(created_at, cycle_of)
        if self.webhook_url is not None:
            added = max(at(self.today - WEBHOOK_ADDED, 9, 30), setup)
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

    def _cycle_steps(self) -> list[Step]:
        """Each cycle activated on its first day, and closed the day after its last (the year stays active)."""
        steps: list[Step] = []
        for key, cycle in self.cycles.items():
            if cycle.start_date <= self.today:
                moment = min(at(cycle.start_date, 7, 30), self.end)
                steps.append((moment, partial(self.move_cycle, cycle=cycle, state="active", now=moment)))
            if key != "year" and cycle.end_date < self.today:  # the year stays active, even past its end
                moment = min(at(cycle.end_date + timedelta(days=1), 17), self.end)
                steps.append((moment, partial(self.move_cycle, cycle=cycle, state="closed", now=moment)))
        return steps

    def chosen_cycles(self) -> dict[str, Cycle]:
        """The cycles the objectives' `cycle` keys name: the year, the current quarter, the previous one(s)."""
        quarters = [self.cycles[f"Q{n}"] for n in range(1, 5)]
        current = next((i for i, q in enumerate(quarters) if q.start_date <= self.today <= q.end_date), 3)
        chosen = {"year": self.cycles["year"], "quarter": quarters[current]}
        if current > 0:
            chosen["previous"] = quarters[current - 1]
            chosen["first"] = quarters[0]  # ended: closed after its check-ins, graded, with its retrospective
        else:  # the previous fiscal year's last quarter: closed the day this year began
            chosen["previous"] = self.cycles["previous"]
        return chosen

    def next_quarter(self) -> Cycle | None:
        """The quarter after the one containing today (in planning), if the year has one."""
        quarters = [self.cycles[f"Q{n}"] for n in range(1, 5)]
        return next((q for q in quarters if q.start_date > self.today), None)

    def _planted_steps(self, readings: list[Reading]) -> list[Step]:
        """One typo corrected three hours later, and one survey imported three weeks late (`readings` changed)."""
        steps: list[Step] = []
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
        return steps

    def _alignment_steps(self, created_at: dict[str, datetime], cycle_of: dict[str, Cycle]) -> list[Step]:
        """Each alignment an hour after both its ends exist, when both are in this demo year and overlap."""
        steps: list[Step] = []
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
        return steps
