"""Assemble the report shapes (per key result, team, person, cycle) from loaded facts. Pure: no I/O.

Health, the retrospective and the per-insight endpoints all build their sections here, so a number
means the same wherever it appears.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from sightline.insights import ambition, calibration, grades, honesty
from sightline.insights.facts import CycleFacts, Names
from sightline.insights.history import KeyResultFacts, first_hit_at
from sightline.insights.schemas import (
    AmbitionFigures,
    AmbitionReport,
    GradeBin,
    GradeDistribution,
    HonestyReport,
    KeyResultAmbition,
    TeamAmbition,
)
from sightline.insights.signal_schemas import (
    CalibrationFigures,
    CalibrationReport,
    CalibrationView,
    PersonCalibration,
    PersonSignals,
    SignalCounts,
    SignalPublic,
    TeamCalibration,
    TeamSignals,
)

T = TypeVar("T")


def _sorted_teams(keys: Iterable[UUID | None], names: Names) -> list[UUID | None]:
    # Company first, then teams by name: a stable order a reader can scan.
    return sorted(set(keys), key=lambda team_id: (team_id is not None, names.team(team_id), str(team_id)))


def _sorted_people(keys: Iterable[UUID], names: Names) -> list[UUID]:
    return sorted(set(keys), key=lambda user_id: (names.person(user_id), str(user_id)))


def _group(items: Iterable[T], key: Callable[[T], UUID | None]) -> dict[UUID | None, list[T]]:
    groups: dict[UUID | None, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


# Ambition ----------------------------------------------------------------------------------------
def assess_ambition(
    facts: CycleFacts, *, suspects: set[UUID]
) -> list[tuple[KeyResultFacts, datetime | None, ambition.Ambition]]:
    calendar = facts.calendar
    threshold = calendar.settings.low_ambition_threshold
    assessed = []
    for kr in facts.key_results:
        hit_at = first_hit_at(kr, facts.check_ins.get(kr.id, [])) if kr.measured else None
        assessed.append(
            (
                kr,
                hit_at,
                ambition.assess(
                    kr,
                    hit_at=hit_at,
                    cycle_start=calendar.start,
                    cycle_end=calendar.end,
                    low_ambition=threshold,
                    sandbagging_suspect=kr.owner_id in suspects,
                ),
            )
        )
    return assessed


def _ambition_figures(items: Sequence[ambition.Ambition]) -> dict[str, object]:
    totals = ambition.summarise(items)
    return {
        "key_results": totals.key_results,
        "with_baseline": totals.with_baseline,
        "mean_ambition": totals.mean_ambition,
        "mean_stretch_ambition": totals.mean_stretch_ambition,
        **{flag.value: count for flag, count in totals.flags.items()},
    }


def ambition_report(facts: CycleFacts, *, suspects: set[UUID], flagged_only: bool) -> AmbitionReport:
    assessed = assess_ambition(facts, suspects=suspects)
    by_team = _group(assessed, lambda item: item[0].team_id)
    return AmbitionReport(
        low_ambition_threshold=facts.calendar.settings.low_ambition_threshold,
        cycle=AmbitionFigures.model_validate(_ambition_figures([a for _, _, a in assessed])),
        teams=[
            TeamAmbition.model_validate(
                {
                    "team_id": team_id,
                    "name": facts.names.team(team_id),
                    **_ambition_figures([a for _, _, a in by_team[team_id]]),
                }
            )
            for team_id in _sorted_teams(by_team, facts.names)
        ],
        key_results=[
            KeyResultAmbition(
                key_result_id=kr.id,
                title=kr.title,
                owner_id=kr.owner_id,
                team_id=kr.team_id,
                kind=kr.kind,  # type: ignore[arg-type]
                previous_value=kr.previous,
                start_value=kr.start,
                target_value=kr.target,
                stretch_value=kr.stretch,
                ambition=item.ambition,
                stretch_ambition=item.stretch_ambition,
                hit_at=hit_at,
                flags=list(item.flags),
            )
            for kr, hit_at, item in assessed
            if item.flags or not flagged_only
        ],
    )


# Honesty -----------------------------------------------------------------------------------------
def _signal_counts(found: Sequence[honesty.Signal]) -> dict[str, int]:
    counts = honesty.count_by_kind(found)
    return {"total": len(found), **{kind.value: n for kind, n in counts.items()}}


def honesty_report(facts: CycleFacts) -> HonestyReport:
    calendar = facts.calendar
    found: list[tuple[KeyResultFacts, honesty.Signal]] = []
    for kr in facts.key_results:
        for signal in honesty.signals(
            kr, facts.check_ins.get(kr.id, []), cycle_start=calendar.start, cycle_end=calendar.end
        ):
            found.append((kr, signal))
    by_team = _group(found, lambda item: item[0].team_id)
    by_person: dict[UUID, list[honesty.Signal]] = {}
    for kr, signal in found:
        by_person.setdefault(kr.owner_id, []).append(signal)
    return HonestyReport(
        cycle=SignalCounts.model_validate(_signal_counts([s for _, s in found])),
        teams=[
            TeamSignals.model_validate(
                {"team_id": t, "name": facts.names.team(t), **_signal_counts([s for _, s in by_team[t]])}
            )
            for t in _sorted_teams(by_team, facts.names)
        ],
        people=[
            PersonSignals.model_validate({"user_id": p, "name": facts.names.person(p), **_signal_counts(by_person[p])})
            for p in _sorted_people(by_person, facts.names)
        ],
        signals=[
            SignalPublic(
                kind=signal.kind,
                key_result_id=kr.id,
                key_result_title=kr.title,
                owner_id=kr.owner_id,
                team_id=kr.team_id,
                check_in_id=signal.check_in_id,
                at=signal.at,
                size=signal.size,
                reason=signal.reason,
                detail=signal.detail,
            )
            for kr, signal in found
        ],
    )


# Calibration -------------------------------------------------------------------------------------
def mid_cycle(facts: CycleFacts) -> datetime:
    start, end = facts.calendar.start, facts.calendar.end
    return start + (end - start) / 2


def _figures(result: calibration.Calibration) -> dict[str, object]:
    return {
        "forecasts": result.forecasts,
        "key_results": result.key_results,
        "brier": result.brier,
        "mean_confidence": result.mean_confidence,
        "hit_rate": result.hit_rate,
        "bias": result.bias,
        "tendency": result.tendency,
    }


def _calibration_view(forecasts: Sequence[calibration.Forecast], names: Names) -> CalibrationView:
    teams = calibration.calibrate_by(forecasts, lambda f: f.team_id)
    people = calibration.calibrate_by(forecasts, lambda f: f.owner_id)
    return CalibrationView(
        overall=CalibrationFigures.model_validate(_figures(calibration.calibrate(forecasts))),
        teams=[
            TeamCalibration.model_validate({"team_id": t, "name": names.team(t), **_figures(teams[t])})
            for t in _sorted_teams(teams, names)
        ],
        people=[
            PersonCalibration.model_validate({"user_id": p, "name": names.person(p), **_figures(people[p])})
            for p in _sorted_people(people, names)
        ],
    )


def calibration_report(facts: CycleFacts, *, hits: dict[UUID, bool]) -> CalibrationReport:
    """Forecasts are the check-ins' confidences; the outcome is whether the key result hit at close."""
    midpoint = mid_cycle(facts)
    every: list[calibration.Forecast] = []
    middle: list[calibration.Forecast] = []
    for kr in facts.key_results:
        history = facts.check_ins.get(kr.id, [])
        hit = hits.get(kr.id, False)
        every += calibration.forecasts_of(history, owner_id=kr.owner_id, team_id=kr.team_id, hit=hit)
        middle += calibration.latest_only(
            calibration.forecasts_of(history, owner_id=kr.owner_id, team_id=kr.team_id, hit=hit, until=midpoint)
        )
    return CalibrationReport(
        every_check_in=_calibration_view(every, facts.names),
        mid_cycle=_calibration_view(middle, facts.names),
        mid_cycle_at=midpoint,
    )


# Grades ------------------------------------------------------------------------------------------
def grade_distributions(facts: CycleFacts, graded: dict[UUID, grades.Grade]) -> list[GradeDistribution]:
    result = []
    for kind in ("committed", "aspirational"):
        of_kind = [graded[kr.id] for kr in facts.key_results if kr.kind == kind and kr.id in graded]
        distribution = grades.distribution(kind, of_kind)
        result.append(
            GradeDistribution(
                kind=kind,  # type: ignore[arg-type]
                key_results=distribution.key_results,
                mean_score=distribution.mean_score,
                mean_progress=distribution.mean_progress,
                hit_rate=distribution.hit_rate,
                bins=[GradeBin(low=b.low, high=b.high, count=b.count) for b in distribution.bins],
                flags=distribution.flags,
            )
        )
    return result
