"""Worked examples for the scoring rules of docs/concepts.md."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sightline.scoring import (
    CADENCE_PERIOD,
    Cadence,
    Direction,
    Metric,
    Status,
    Thresholds,
    ambition,
    cycle_bounds,
    elapsed_fraction,
    expected_progress,
    expected_value,
    is_stale,
    objective_progress,
    objective_status,
    progress,
    score,
    status,
    validate_key_result,
)

BERLIN = "Europe/Berlin"
CYCLE_START, CYCLE_END = cycle_bounds(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), tz=BERLIN)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(BERLIN))


# The seed key result: 12,000 leads last year, commit 18,000, stretch 24,000.
START, TARGET, STRETCH = 0.0, 18_000.0, 24_000.0
END_OF_JUNE = berlin(2026, 7, 1)


def outlook(
    *,
    metric: Metric,
    direction: Direction,
    start: float,
    target: float,
    plan: list[tuple[datetime, float]],
    now: datetime,
) -> tuple[float, float]:
    """(expected value, expected progress) of a key result in the 2026 Berlin cycle."""
    window = {"cycle_start": CYCLE_START, "cycle_end": CYCLE_END}
    value = expected_value(metric=metric, direction=direction, start=start, target=target, plan=plan, now=now, **window)
    fraction = expected_progress(
        metric=metric, direction=direction, start=start, target=target, plan=plan, now=now, **window
    )
    return value, fraction


def leads_expected(*, target: float = TARGET, plan: list[tuple[datetime, float]] | None = None, now: datetime) -> float:
    return expected_value(
        metric=Metric.number,
        direction=Direction.increase,
        start=START,
        target=target,
        cycle_start=CYCLE_START,
        cycle_end=CYCLE_END,
        plan=plan or [],
        now=now,
    )


# --- cycle and clock ---------------------------------------------------------------------------


def test_cycle_runs_from_local_midnight_to_the_midnight_after_its_inclusive_end_date() -> None:
    start, end = cycle_bounds(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), tz=BERLIN)
    assert start == berlin(2026, 1, 1)
    assert end == berlin(2027, 1, 1)
    assert start.astimezone(UTC) == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)


def test_cadence_periods_are_fixed_lengths() -> None:
    assert [CADENCE_PERIOD[cadence].days for cadence in Cadence] == [7, 14, 30, 91]


@pytest.mark.parametrize(
    ("now", "fraction"),
    [
        (berlin(2025, 12, 1), 0.0),
        (CYCLE_START, 0.0),
        (END_OF_JUNE, 181 / 365),
        (datetime(2026, 6, 30, 22, 0, tzinfo=UTC), 181 / 365),
        (CYCLE_END, 1.0),
        (berlin(2027, 3, 1), 1.0),
    ],
    ids=[
        "before_the_cycle_is_0",
        "at_the_start_is_0",
        "end_of_june_is_181_of_365_days",
        "a_utc_clock_gives_the_same_answer",
        "at_the_end_is_1",
        "after_the_cycle_is_1",
    ],
)
def test_elapsed_fraction(now: datetime, fraction: float) -> None:
    assert elapsed_fraction(cycle_start=CYCLE_START, cycle_end=CYCLE_END, now=now) == pytest.approx(fraction)


def test_a_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        elapsed_fraction(cycle_start=CYCLE_START, cycle_end=CYCLE_END, now=datetime(2026, 7, 1))


# --- progress and score ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "direction", "start", "target", "current", "expected"),
    [
        (Metric.number, Direction.increase, 0, 18_000, 9_000, 0.5),
        (Metric.number, Direction.increase, 0, 18_000, 21_000, 21_000 / 18_000),
        (Metric.number, Direction.increase, 1_000, 18_000, 0, -1_000 / 17_000),
        (Metric.percent, Direction.decrease, 5, 3, 4, 0.5),
        (Metric.percent, Direction.decrease, 5, 3, 6, -0.5),
        (Metric.percent, Direction.at_least, 0, 40, 40, 1.0),
        (Metric.percent, Direction.at_least, 0, 40, 39.9, 0.0),
        (Metric.currency, Direction.at_most, 0, 50, 50, 1.0),
        (Metric.currency, Direction.at_most, 0, 50, 50.01, 0.0),
        (Metric.milestone, Direction.increase, 0, 1, 1, 1.0),
        (Metric.milestone, Direction.increase, 0, 1, 0, 0.0),
        (Metric.milestone, Direction.decrease, 0, 1, 1, 1.0),
        (Metric.number, Direction.increase, 100, 100, 100, 1.0),
    ],
    ids=[
        "increase_halfway",
        "increase_past_the_target_is_not_clamped",
        "increase_below_the_start_is_negative",
        "decrease_churn_5_to_3_at_4_is_halfway",
        "decrease_going_the_wrong_way_is_negative",
        "at_least_met_at_the_threshold",
        "at_least_missed_below_the_threshold",
        "at_most_met_at_the_threshold",
        "at_most_missed_above_the_threshold",
        "milestone_reached",
        "milestone_not_reached",
        "milestone_ignores_direction",
        "target_equal_to_start_is_reached_or_not_instead_of_dividing_by_zero",
    ],
)
def test_progress(
    metric: Metric, direction: Direction, start: float, target: float, current: float, expected: float
) -> None:
    result = progress(metric=metric, direction=direction, start=start, target=target, current=current)
    assert result == pytest.approx(expected)


@pytest.mark.parametrize(
    ("metric", "direction", "start", "target", "stretch", "current", "expected"),
    [
        (Metric.number, Direction.increase, START, TARGET, STRETCH, 21_000, 0.85),
        (Metric.number, Direction.increase, START, TARGET, STRETCH, 18_000, 0.70),
        (Metric.number, Direction.increase, START, TARGET, STRETCH, 24_000, 1.0),
        (Metric.number, Direction.increase, START, TARGET, STRETCH, 30_000, 1.0),
        (Metric.number, Direction.increase, START, TARGET, STRETCH, 9_000, 0.35),
        (Metric.number, Direction.increase, START, TARGET, STRETCH, -500, 0.0),
        (Metric.number, Direction.increase, START, TARGET, None, 9_000, 0.5),
        (Metric.number, Direction.increase, START, TARGET, None, 21_000, 1.0),
        (Metric.number, Direction.increase, START, TARGET, None, -500, 0.0),
        (Metric.percent, Direction.decrease, 5, 3, 2, 2.5, 0.85),
        (Metric.percent, Direction.decrease, 5, 3, 2, 4, 0.35),
        (Metric.percent, Direction.at_least, 0, 40, 60, 45, 1.0),
        (Metric.milestone, Direction.increase, 0, 1, 2, 1, 1.0),
    ],
    ids=[
        "halfway_from_target_to_stretch_scores_0.85",
        "the_target_scores_0.70",
        "the_stretch_scores_1.0",
        "beyond_the_stretch_is_capped_at_1.0",
        "half_the_target_scores_0.35",
        "below_the_start_scores_0",
        "without_stretch_score_is_progress",
        "without_stretch_past_the_target_is_capped_at_1",
        "without_stretch_below_the_start_is_0",
        "decrease_halfway_to_stretch_scores_0.85",
        "decrease_half_the_target_scores_0.35",
        "at_least_ignores_the_stretch",
        "milestone_ignores_the_stretch",
    ],
)
def test_score(
    metric: Metric,
    direction: Direction,
    start: float,
    target: float,
    stretch: float | None,
    current: float,
    expected: float,
) -> None:
    result = score(metric=metric, direction=direction, start=start, target=target, stretch=stretch, current=current)
    assert result == pytest.approx(expected)


# --- expected value and expected progress ------------------------------------------------------


def test_seed_expects_181_of_365_of_the_target_at_the_end_of_june() -> None:
    value, fraction = outlook(
        metric=Metric.number,
        direction=Direction.increase,
        start=START,
        target=TARGET,
        plan=[],
        now=END_OF_JUNE,
    )
    assert value == pytest.approx(18_000 * 181 / 365)
    assert round(value) == 8926
    assert round(fraction, 3) == 0.496


def test_a_linear_24000_target_expects_about_2000_a_month() -> None:
    # Months are unequal, so 1 July (181 of 365 days) sits a little short of 12,000;
    # the exact half of the cycle, 2 July at noon, is 12,000 on the dot.
    at_end_of_june = leads_expected(target=24_000, now=END_OF_JUNE)
    assert at_end_of_june == pytest.approx(24_000 * 181 / 365)
    assert abs(at_end_of_june - 12_000) < 100
    assert leads_expected(target=24_000, now=berlin(2026, 7, 2, 12)) == pytest.approx(12_000)


# Day counts in 2026: 1 Jan -> 15 Feb is 45 days, 1 Jan -> 1 Apr is 90, 1 Apr -> 1 Jul is 91,
# 1 Apr -> 1 Jan 2027 is 275. Daylight saving (29 March) does not shift the plan by an hour.
PLAN = [(berlin(2026, 4, 1), 3_000.0)]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (berlin(2025, 12, 15), 0.0),
        (CYCLE_START, 0.0),
        (berlin(2026, 2, 15), 3_000 * 45 / 90),
        (berlin(2026, 4, 1), 3_000.0),
        (END_OF_JUNE, 3_000 + (18_000 - 3_000) * 91 / 275),
        (CYCLE_END, 18_000.0),
        (berlin(2027, 2, 1), 18_000.0),
    ],
    ids=[
        "before_the_cycle_expects_the_start",
        "at_the_cycle_start_expects_the_start",
        "mid_february_interpolates_towards_the_april_point",
        "on_the_plan_point_expects_its_value",
        "after_the_plan_point_interpolates_towards_the_target",
        "at_the_cycle_end_expects_the_target",
        "after_the_cycle_expects_the_target",
    ],
)
def test_a_milestone_plan_bends_the_expected_value(now: datetime, expected: float) -> None:
    assert leads_expected(plan=PLAN, now=now) == pytest.approx(expected)


def test_plan_points_are_taken_in_time_order() -> None:
    unsorted_plan = [(berlin(2026, 7, 1), 9_000.0), (berlin(2026, 4, 1), 3_000.0)]
    assert leads_expected(plan=unsorted_plan, now=berlin(2026, 2, 15)) == pytest.approx(1_500)
    assert leads_expected(plan=unsorted_plan, now=berlin(2026, 5, 16)) == pytest.approx(3_000 + 6_000 * 45 / 91)


def test_decrease_expects_a_linear_fall_from_start_to_target() -> None:
    value, fraction = outlook(
        metric=Metric.percent, direction=Direction.decrease, start=5, target=3, plan=[], now=END_OF_JUNE
    )
    assert value == pytest.approx(5 - 2 * 181 / 365)
    assert fraction == pytest.approx(181 / 365)


@pytest.mark.parametrize("direction", [Direction.at_least, Direction.at_most], ids=["at_least", "at_most"])
@pytest.mark.parametrize("now", [CYCLE_START, END_OF_JUNE, CYCLE_END], ids=["at_start", "mid_cycle", "at_end"])
def test_a_threshold_is_expected_to_hold_all_cycle(direction: Direction, now: datetime) -> None:
    outcome = outlook(metric=Metric.percent, direction=direction, start=30, target=40, plan=[], now=now)
    assert outcome == (40.0, 1.0)


@pytest.mark.parametrize(
    ("plan", "now", "value", "expected"),
    [
        ([(berlin(2026, 6, 1), 1.0)], berlin(2026, 5, 31, 23, 59), 0.0, 0.0),
        ([(berlin(2026, 6, 1), 1.0)], berlin(2026, 6, 1), 1.0, 1.0),
        ([], berlin(2026, 12, 31, 23, 59), 0.0, 0.0),
        ([], CYCLE_END, 1.0, 1.0),
    ],
    ids=[
        "before_its_planned_date_nothing_is_expected",
        "from_its_planned_date_it_is_expected_done",
        "without_a_plan_nothing_is_expected_before_the_end",
        "without_a_plan_it_is_expected_done_at_the_end",
    ],
)
def test_a_milestone_is_expected_as_a_step(
    plan: list[tuple[datetime, float]], now: datetime, value: float, expected: float
) -> None:
    outcome = outlook(metric=Metric.milestone, direction=Direction.increase, start=0, target=1, plan=plan, now=now)
    assert outcome == (value, expected)


# --- key-result status -------------------------------------------------------------------------


def key_result_status(
    *,
    progress: float,
    expected_progress: float,
    latest_confidence: int | None = None,
    has_check_in: bool = True,
    cadence: Cadence = Cadence.weekly,
    now: datetime = END_OF_JUNE,
    thresholds: Thresholds = Thresholds(),
) -> Status:
    return status(
        progress=progress,
        expected_progress=expected_progress,
        latest_confidence=latest_confidence,
        has_check_in=has_check_in,
        cycle_start=CYCLE_START,
        cadence=cadence,
        now=now,
        thresholds=thresholds,
    )


@pytest.mark.parametrize(
    ("current", "expected"),
    [(9_000, Status.on_track), (6_000, Status.at_risk), (4_000, Status.off_track)],
    ids=["9000_is_ahead_so_on_track", "6000_lags_by_0.16_so_at_risk", "4000_lags_by_0.27_so_off_track"],
)
def test_seed_status_at_the_end_of_june(current: float, expected: Status) -> None:
    actual = progress(metric=Metric.number, direction=Direction.increase, start=START, target=TARGET, current=current)
    _, planned = outlook(
        metric=Metric.number,
        direction=Direction.increase,
        start=START,
        target=TARGET,
        plan=[],
        now=END_OF_JUNE,
    )
    assert key_result_status(progress=actual, expected_progress=planned) is expected


@pytest.mark.parametrize(
    ("progress", "expected_progress", "confidence", "thresholds", "expected"),
    [
        (1.0, 0.5, None, Thresholds(), Status.done),
        (1.3, 1.0, 1, Thresholds(), Status.done),
        (0.3, 0.4, None, Thresholds(), Status.on_track),
        (0.3, 0.55, None, Thresholds(), Status.at_risk),
        (0.3, 0.5501, None, Thresholds(), Status.off_track),
        (0.5, 0.5, 2, Thresholds(), Status.at_risk),
        (0.5, 0.5, 3, Thresholds(), Status.at_risk),
        (0.5, 0.5, 4, Thresholds(), Status.on_track),
        (0.2, 0.6, 1, Thresholds(), Status.off_track),
        (0.3, 0.45, None, Thresholds(on_track_gap=0.2), Status.on_track),
        (0.5, 0.5, 3, Thresholds(low_confidence=2), Status.on_track),
    ],
    ids=[
        "progress_1_is_done_even_when_ahead_of_plan",
        "done_ignores_low_confidence",
        "gap_of_exactly_0.10_is_on_track_despite_float_noise",
        "gap_of_exactly_0.25_is_at_risk_despite_float_noise",
        "gap_just_over_0.25_is_off_track",
        "confidence_2_turns_on_track_into_at_risk",
        "confidence_3_is_still_low",
        "confidence_4_keeps_on_track",
        "low_confidence_does_not_soften_off_track",
        "an_organisation_can_widen_the_on_track_gap",
        "an_organisation_can_lower_the_confidence_bar",
    ],
)
def test_status_rule(
    progress: float,
    expected_progress: float,
    confidence: int | None,
    thresholds: Thresholds,
    expected: Status,
) -> None:
    result = key_result_status(
        progress=progress,
        expected_progress=expected_progress,
        latest_confidence=confidence,
        thresholds=thresholds,
    )
    assert result is expected


@pytest.mark.parametrize(
    ("cadence", "now", "has_check_in", "expected"),
    [
        (Cadence.weekly, berlin(2026, 1, 8), False, Status.on_track),
        (Cadence.weekly, berlin(2026, 1, 8, 0, 1), False, Status.no_data),
        (Cadence.weekly, berlin(2026, 1, 8, 0, 1), True, Status.on_track),
        (Cadence.monthly, berlin(2026, 1, 31), False, Status.on_track),
        (Cadence.monthly, berlin(2026, 1, 31, 0, 1), False, Status.no_data),
    ],
    ids=[
        "weekly_without_check_in_is_judged_until_one_period_has_passed",
        "weekly_without_check_in_after_one_period_is_no_data",
        "weekly_with_a_check_in_is_judged",
        "monthly_without_check_in_is_judged_for_30_days",
        "monthly_without_check_in_after_30_days_is_no_data",
    ],
)
def test_no_data_after_one_cadence_period_without_check_ins(
    cadence: Cadence, now: datetime, has_check_in: bool, expected: Status
) -> None:
    result = key_result_status(
        progress=0.0, expected_progress=0.05, has_check_in=has_check_in, cadence=cadence, now=now
    )
    assert result is expected


# --- staleness ---------------------------------------------------------------------------------

LAST_CHECK_IN = berlin(2026, 3, 2, 9)


@pytest.mark.parametrize(
    ("last_check_in_at", "now", "grace", "expected"),
    [
        (LAST_CHECK_IN, berlin(2026, 3, 11, 9), timedelta(days=2), False),
        (LAST_CHECK_IN, berlin(2026, 3, 11, 9, 1), timedelta(days=2), True),
        (LAST_CHECK_IN, berlin(2026, 3, 9, 9, 1), timedelta(0), True),
        (None, berlin(2026, 1, 10), timedelta(days=2), False),
        (None, berlin(2026, 1, 10, 0, 1), timedelta(days=2), True),
    ],
    ids=[
        "a_week_plus_two_days_grace_is_not_yet_stale",
        "a_minute_past_the_grace_is_stale",
        "without_grace_a_minute_past_the_week_is_stale",
        "no_check_in_counts_from_the_cycle_start",
        "no_check_in_past_the_first_period_and_grace_is_stale",
    ],
)
def test_is_stale(last_check_in_at: datetime | None, now: datetime, grace: timedelta, expected: bool) -> None:
    result = is_stale(
        last_check_in_at=last_check_in_at,
        cycle_start=CYCLE_START,
        cadence=Cadence.weekly,
        now=now,
        grace=grace,
    )
    assert result is expected


# --- objectives --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([(0.5, 1.0), (1.2, 3.0)], 0.875),
        ([(-0.2, 1.0), (0.6, 1.0)], 0.3),
        ([(0.4, 2.0), (0.9, 0.0)], 0.4),
        ([], None),
        ([(0.5, 0.0)], None),
    ],
    ids=[
        "weighted_mean_of_clamped_progress",
        "negative_progress_counts_as_0",
        "a_zero_weight_part_does_not_count",
        "no_parts_is_none",
        "zero_total_weight_is_none",
    ],
)
def test_objective_progress(parts: list[tuple[float, float]], expected: float | None) -> None:
    assert objective_progress(parts=parts) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("progress", "expected_progress", "statuses", "expected"),
    [
        (None, None, [], Status.no_data),
        (0.0, 0.2, [Status.no_data, Status.no_data], Status.no_data),
        (1.0, 0.5, [Status.done, Status.done], Status.done),
        (0.3, 0.4, [Status.no_data, Status.at_risk], Status.on_track),
        (0.3, 0.5, [Status.on_track], Status.at_risk),
        (0.3, 0.6, [Status.on_track], Status.off_track),
    ],
    ids=[
        "no_progress_is_no_data",
        "all_key_results_without_data_is_no_data",
        "progress_1_is_done",
        "gap_of_0.10_is_on_track",
        "gap_of_0.20_is_at_risk",
        "gap_of_0.30_is_off_track",
    ],
)
def test_objective_status(
    progress: float | None, expected_progress: float | None, statuses: list[Status], expected: Status
) -> None:
    result = objective_status(
        progress=progress, expected_progress=expected_progress, statuses=statuses, thresholds=Thresholds()
    )
    assert result is expected


# --- ambition ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target", "previous", "expected"),
    [
        (0, 12_000, 12_000, 0.0),
        (0, 18_000, 12_000, 0.5),
        (0, 24_000, 12_000, 1.0),
        (0, 6_000, 12_000, -0.5),
        (0, 18_000, None, None),
        (12_000, 18_000, 12_000, None),
    ],
    ids=[
        "repeating_last_year_is_0",
        "half_again_as_far_is_0.5",
        "twice_as_far_is_1.0",
        "half_as_far_is_minus_0.5",
        "no_previous_value_is_none",
        "previous_equal_to_start_is_none",
    ],
)
def test_ambition(start: float, target: float, previous: float | None, expected: float | None) -> None:
    assert ambition(start=start, target=target, previous=previous) == pytest.approx(expected)


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "direction", "start", "target", "stretch", "plan_dates", "errors"),
    [
        (Metric.number, Direction.increase, 0, 18_000, 24_000, [date(2026, 4, 1)], []),
        (Metric.percent, Direction.decrease, 5, 3, 2, [], []),
        (Metric.percent, Direction.at_least, 0, 40, None, [], []),
        (
            Metric.number,
            Direction.increase,
            100,
            100,
            None,
            [],
            [("target_value", "must be greater than the start value for an increase")],
        ),
        (
            Metric.percent,
            Direction.decrease,
            3,
            5,
            None,
            [],
            [("target_value", "must be smaller than the start value for a decrease")],
        ),
        (
            Metric.number,
            Direction.increase,
            0,
            18_000,
            18_000,
            [],
            [("stretch_value", "must be greater than the target value for an increase")],
        ),
        (
            Metric.percent,
            Direction.decrease,
            5,
            3,
            4,
            [],
            [("stretch_value", "must be smaller than the target value for a decrease")],
        ),
        (
            Metric.percent,
            Direction.at_most,
            0,
            50,
            40,
            [],
            [("stretch_value", "is only allowed for increase and decrease key results")],
        ),
        (
            Metric.milestone,
            Direction.increase,
            0,
            1,
            2,
            [],
            [("stretch_value", "is only allowed for increase and decrease key results")],
        ),
        (
            Metric.number,
            Direction.increase,
            0,
            18_000,
            None,
            [date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 1), date(2025, 12, 31)],
            [
                ("milestone_plan.2.date", "must lie within the cycle (2026-01-01 to 2026-12-31)"),
                ("milestone_plan.3.date", "must lie within the cycle (2026-01-01 to 2026-12-31)"),
            ],
        ),
        (
            Metric.number,
            Direction.increase,
            10,
            5,
            4,
            [],
            [
                ("target_value", "must be greater than the start value for an increase"),
                ("stretch_value", "must be greater than the target value for an increase"),
            ],
        ),
    ],
    ids=[
        "a_valid_increase_with_stretch_and_plan",
        "a_valid_decrease_with_stretch",
        "a_valid_threshold",
        "increase_needs_target_above_start",
        "decrease_needs_target_below_start",
        "increase_needs_stretch_above_target",
        "decrease_needs_stretch_below_target",
        "a_threshold_takes_no_stretch",
        "a_milestone_takes_no_stretch",
        "plan_dates_must_lie_within_the_cycle_ends_inclusive",
        "every_broken_rule_is_reported",
    ],
)
def test_validate_key_result(
    metric: Metric,
    direction: Direction,
    start: float,
    target: float,
    stretch: float | None,
    plan_dates: list[date],
    errors: list[tuple[str, str]],
) -> None:
    result = validate_key_result(
        metric=metric,
        direction=direction,
        start=start,
        target=target,
        stretch=stretch,
        cycle_start_date=date(2026, 1, 1),
        cycle_end_date=date(2026, 12, 31),
        plan_dates=plan_dates,
    )
    assert result == errors
