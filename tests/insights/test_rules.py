"""The pure insight rules, as tables of worked examples whose ids read like the rule."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sightline import scoring
from sightline.insights import ambition, calibration, grades, honesty, review
from sightline.insights.ambition import AmbitionFlag, OwnerCycleGrade
from sightline.insights.history import CheckInFacts, KeyResultFacts, effective, first_hit_at
from sightline.insights.honesty import SignalKind
from sightline.scoring import Direction, Metric, Status

BERLIN = ZoneInfo("Europe/Berlin")
YEAR_START, YEAR_END = scoring.cycle_bounds(
    start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), tz="Europe/Berlin"
)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=BERLIN)


def kr(**fields: object) -> KeyResultFacts:
    base = KeyResultFacts(
        id=uuid.uuid4(),
        objective_id=uuid.uuid4(),
        title="Leads",
        owner_id=uuid.uuid4(),
        team_id=None,
        kind="committed",
        metric=Metric.number,
        direction=Direction.increase,
        start=0.0,
        target=18000.0,
        stretch=24000.0,
        previous=12000.0,
        weight=1.0,
        current_value=0.0,
        progress=0.0,
        score=0.0,
        status="on_track",
        latest_confidence=None,
        last_check_in_at=None,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


_seq = iter(range(1, 1_000_000))


def check_in(
    key_result: KeyResultFacts,
    when: datetime,
    value: float,
    confidence: int | None = 7,
    *,
    recorded: datetime | None = None,
    backdated: bool = False,
    corrects: CheckInFacts | None = None,
    reason: str | None = None,
    source: str = "manual",
) -> CheckInFacts:
    return CheckInFacts(
        id=uuid.uuid4(),
        key_result_id=key_result.id,
        value=value,
        confidence=confidence,
        checked_in_at=corrects.checked_in_at if corrects else when,
        created_at=recorded or when,
        seq=next(_seq),
        backdated=backdated,
        corrects=corrects.id if corrects else None,
        reason=reason,
        source=source,
    )


# Ambition ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "expected_ambition", "expected_stretch", "flags"),
    [
        ({"target": 12000.0, "stretch": None}, 0.0, None, [AmbitionFlag.low_ambition]),
        ({"target": 18000.0, "stretch": 24000.0}, 0.5, 1.0, []),
        ({"target": 10000.0, "stretch": None}, pytest.approx(-1 / 6), None, [AmbitionFlag.low_ambition]),
        ({"previous": None}, None, None, [AmbitionFlag.no_baseline]),
        ({"previous": 0.0}, None, None, [AmbitionFlag.no_baseline]),
        (
            {"direction": Direction.decrease, "start": 10.0, "previous": 8.0, "target": 6.0, "stretch": 5.0},
            1.0,
            1.5,
            [],
        ),
        ({"metric": Metric.milestone, "start": 0.0, "target": 1.0, "stretch": None}, None, None, []),
        ({"direction": Direction.at_least, "target": 95.0, "stretch": None}, None, None, []),
    ],
    ids=[
        "seed-12000-again-is-ambition-0-and-low",
        "seed-18000-is-0.5-stretch-24000-is-1.0",
        "below-last-year-is-negative-and-low",
        "no-previous-value-is-no-baseline",
        "previous-equal-to-start-is-no-baseline",
        "decrease-churn-10-to-6-after-8-is-1.0",
        "milestone-has-no-ambition",
        "threshold-has-no-ambition",
    ],
)
def test_ambition(
    fields: dict[str, object], expected_ambition: object, expected_stretch: object, flags: list[AmbitionFlag]
) -> None:
    result = ambition.assess(kr(**fields), hit_at=None, cycle_start=YEAR_START, cycle_end=YEAR_END)
    assert result.ambition == expected_ambition
    assert result.stretch_ambition == expected_stretch
    assert list(result.flags) == flags


@pytest.mark.parametrize(
    ("threshold", "target", "low"),
    [(0.0, 12600.0, False), (0.1, 12600.0, True), (0.1, 13200.0, True), (0.1, 13320.0, False)],
    ids=["5%-more-passes-default-0", "5%-more-is-low-under-0.1", "exactly-0.1-is-low", "11%-more-passes-0.1"],
)
def test_low_ambition_threshold_is_a_setting(threshold: float, target: float, low: bool) -> None:
    result = ambition.assess(
        kr(target=target, stretch=None), hit_at=None, cycle_start=YEAR_START, cycle_end=YEAR_END, low_ambition=threshold
    )
    assert (AmbitionFlag.low_ambition in result.flags) is low


@pytest.mark.parametrize(
    ("hit_at", "early"),
    [(at(5, 15), True), (at(8, 6), True), (at(8, 10), False), (at(12, 1), False)],
    # 60 % of 2026 is 219 days in: 8 August.
    ids=["hit-in-may-is-early", "hit-6-august-is-early", "hit-10-august-is-not", "hit-in-december-is-not"],
)
def test_hit_early_means_before_60_percent_of_the_cycle(hit_at: datetime, early: bool) -> None:
    result = ambition.assess(kr(), hit_at=hit_at, cycle_start=YEAR_START, cycle_end=YEAR_END)
    assert (AmbitionFlag.hit_early in result.flags) is early


def test_first_hit_follows_corrections() -> None:
    leads = kr()
    may = check_in(leads, at(5, 15), 18000)
    history = [check_in(leads, at(3, 1), 6000), may, check_in(leads, at(5, 16), 16000, corrects=may, reason="dup")]
    # The May value was corrected below the target; the target was first really reached in September.
    history.append(check_in(leads, at(9, 1), 18500))
    assert [c.value for c in effective(history)] == [6000, 16000, 18500]
    assert first_hit_at(leads, history) == at(9, 1)


def _grade(
    owner: uuid.UUID, cycle: uuid.UUID, start: date, end: date, *, hit: bool, amb: float | None
) -> OwnerCycleGrade:
    return OwnerCycleGrade(owner_id=owner, cycle_id=cycle, cycle_start=start, cycle_end=end, hit=hit, ambition=amb)


Q1, Q2, Q3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
Q_DATES = {
    Q1: (date(2026, 1, 1), date(2026, 3, 31)),
    Q2: (date(2026, 4, 1), date(2026, 6, 30)),
    Q3: (date(2026, 7, 1), date(2026, 9, 30)),
}


@pytest.mark.parametrize(
    ("history", "suspect"),
    [
        ([(Q1, True, 0.0), (Q2, True, -0.1)], True),
        ([(Q2, True, 0.0)], False),
        ([(Q1, True, 0.0), (Q2, False, 0.0)], False),
        ([(Q1, True, 0.0), (Q2, True, 0.0), (Q2, True, 0.4)], False),
        ([(Q1, True, None), (Q2, True, 0.0)], False),
        ([(Q1, True, 0.0), (Q2, True, 0.0), (Q3, True, 0.5)], False),
    ],
    ids=[
        "all-hit-timid-two-quarters-running-is-suspect",
        "one-quarter-is-not-enough",
        "a-miss-breaks-it",
        "one-ambitious-result-breaks-it",
        "no-baseline-is-not-timid",
        "the-latest-quarter-was-ambitious",
    ],
)
def test_sandbagging_suspect(history: list[tuple[uuid.UUID, bool, float | None]], suspect: bool) -> None:
    owner = uuid.uuid4()
    rows = [_grade(owner, c, *Q_DATES[c], hit=hit, amb=amb) for c, hit, amb in history]
    latest = max(Q_DATES[c][1] for c, _, _ in history)
    found = ambition.sandbagging_suspects(rows, before=latest, including=None)
    assert (owner in found) is suspect


def test_sandbagging_in_a_row_skips_an_overlapping_cycle() -> None:
    """A year and its own Q4 are not "in a row": the year's predecessor is the previous year."""
    owner = uuid.uuid4()
    fy25, fy26, q4 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    rows = [
        _grade(owner, fy26, date(2026, 1, 1), date(2026, 12, 31), hit=True, amb=0.0),
        _grade(owner, q4, date(2026, 10, 1), date(2026, 12, 31), hit=True, amb=0.0),
        _grade(owner, fy25, date(2025, 1, 1), date(2025, 12, 31), hit=False, amb=0.0),
    ]
    assert ambition.sandbagging_suspects(rows, before=date(2026, 12, 31), including=fy26) == set()
    assert ambition.sandbagging_suspects(rows[:2], before=date(2026, 12, 31), including=fy26) == set()
    rows[2] = _grade(owner, fy25, date(2025, 1, 1), date(2025, 12, 31), hit=True, amb=-0.2)
    assert ambition.sandbagging_suspects(rows, before=date(2026, 12, 31), including=fy26) == {owner}


def test_sandbagging_flag_only_on_committed_results() -> None:
    common = {"hit_at": None, "cycle_start": YEAR_START, "cycle_end": YEAR_END, "sandbagging_suspect": True}
    assert AmbitionFlag.sandbagging_suspect in ambition.assess(kr(kind="committed"), **common).flags  # type: ignore[arg-type]
    assert AmbitionFlag.sandbagging_suspect not in ambition.assess(kr(kind="aspirational"), **common).flags  # type: ignore[arg-type]


# Honesty -----------------------------------------------------------------------------------------
def _kinds(key_result: KeyResultFacts, history: list[CheckInFacts]) -> list[SignalKind]:
    return [s.kind for s in honesty.signals(key_result, history, cycle_start=YEAR_START, cycle_end=YEAR_END)]


def test_steady_history_has_no_signal() -> None:
    leads = kr()
    history = [check_in(leads, at(m, 1), 1500 * m, confidence=5 + m % 3) for m in range(2, 13)]
    assert _kinds(leads, history) == []


def test_a_correction_is_a_signal_with_its_size_and_reason() -> None:
    leads = kr()
    wrong = check_in(leads, at(3, 1), 9000)
    fixed = check_in(leads, at(3, 2), 5400, corrects=wrong, reason="counted trial sign-ups twice")
    [signal] = honesty.signals(leads, [wrong, fixed], cycle_start=YEAR_START, cycle_end=YEAR_END)
    assert signal.kind is SignalKind.correction
    assert signal.size == pytest.approx(3600 / 18000)
    assert signal.reason == "counted trial sign-ups twice"


@pytest.mark.parametrize(
    ("source", "flagged"),
    [("manual", True), ("api", True), ("import", True), ("csv_import", False)],
    ids=["manual", "api", "a-late-batch-import", "a-history-migrated-by-the-csv-import"],
)
def test_backdated_check_ins_except_a_migrated_history(source: str, flagged: bool) -> None:
    leads = kr()
    late = check_in(leads, at(3, 1), 3000, recorded=at(3, 20), backdated=True, source=source)
    assert _kinds(leads, [late]) == ([SignalKind.backdated] if flagged else [])


@pytest.mark.parametrize(
    ("history", "late"),
    [
        ([(9, 1, 8000), (12, 20, 14000)], True),
        ([(9, 1, 8000), (12, 20, 13400)], False),
        ([(9, 1, 8000), (11, 10, 14000)], False),
        ([(12, 28, 6000)], True),
        ([(9, 1, 14000), (12, 20, 8000)], True),
    ],
    ids=[
        "33%-of-range-in-december-is-a-late-jump",
        "30%-exactly-is-not-more-than-30%",
        "a-jump-before-the-last-10%-is-not-late",
        "first-check-in-late-jumps-from-the-start-value",
        "a-late-drop-counts-too",
    ],
)
def test_late_jump(history: list[tuple[int, int, float]], late: bool) -> None:
    leads = kr(stretch=None)
    check_ins = [check_in(leads, at(m, d), v, confidence=5 + i) for i, (m, d, v) in enumerate(history)]
    assert (SignalKind.late_jump in _kinds(leads, check_ins)) is late


@pytest.mark.parametrize(
    ("values", "flat"),
    [
        ([0, 500, 1000, 8000], True),
        ([0, 500, 8000], False),
        ([0, 500, 2500, 8000], False),
        ([0, 500, 1000, 6000], False),
    ],
    ids=[
        "three-flat-check-ins-then-39%",
        "two-flat-check-ins-are-not-enough",
        "14%-spread-is-not-flat",
        "28%-is-not-a-jump",
    ],
)
def test_flat_then_jump(values: list[float], flat: bool) -> None:
    leads = kr(stretch=None)
    history = [check_in(leads, at(2 + i, 1), v, confidence=3 + i) for i, v in enumerate(values)]
    assert (SignalKind.flat_then_jump in _kinds(leads, history)) is flat


@pytest.mark.parametrize(
    ("confidences", "steady"),
    [([7, 7, 7, 7], True), ([7, 7, 7], False), ([7, 7, 6, 7], False), ([7, None, 7, 7, 7], True)],
    ids=["four-times-7", "three-are-too-few", "one-change-is-movement", "a-missing-confidence-is-skipped"],
)
def test_confidence_never_moved(confidences: list[int | None], steady: bool) -> None:
    leads = kr()
    history = [check_in(leads, at(2 + i, 1), 1500 * (i + 1), confidence=c) for i, c in enumerate(confidences)]
    assert (SignalKind.confidence_never_moved in _kinds(leads, history)) is steady


def test_jump_rules_skip_milestones_and_thresholds() -> None:
    launch = kr(metric=Metric.milestone, start=0.0, target=1.0, stretch=None, previous=None)
    assert _kinds(launch, [check_in(launch, at(12, 28), 1)]) == []


# Calibration -------------------------------------------------------------------------------------
def _forecast(
    confidence: int, hit: bool, when: datetime = YEAR_START, key: uuid.UUID | None = None
) -> calibration.Forecast:
    return calibration.Forecast(
        key_result_id=key or uuid.uuid4(), owner_id=uuid.uuid4(), team_id=None, confidence=confidence, at=when, hit=hit
    )


@pytest.mark.parametrize(
    ("forecasts", "brier", "tendency"),
    [
        ([(10, True), (0, False)], 0.0, "calibrated"),
        ([(5, True), (5, False)], 0.25, "calibrated"),
        ([(9, False), (8, False), (7, True)], (0.81 + 0.64 + 0.09) / 3, "over_confident"),
        ([(2, True), (3, True)], (0.64 + 0.49) / 2, "under_confident"),
        ([(6, True), (6, False)], (0.16 + 0.36) / 2, "calibrated"),
    ],
    ids=["perfect-is-0", "always-5-is-0.25", "over-confident", "under-confident", "within-one-point-is-calibrated"],
)
def test_brier_and_tendency(forecasts: list[tuple[int, bool]], brier: float, tendency: str) -> None:
    result = calibration.calibrate([_forecast(c, h) for c, h in forecasts])
    assert result.brier == pytest.approx(brier)
    assert result.tendency == tendency


def test_no_forecasts_no_numbers() -> None:
    assert calibration.calibrate([]).brier is None


def test_mid_cycle_keeps_the_latest_forecast_per_key_result() -> None:
    key = uuid.uuid4()
    latest = calibration.latest_only([_forecast(9, True, at(2, 1), key), _forecast(4, True, at(3, 1), key)])
    assert [f.confidence for f in latest] == [4]


# Grades ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("score", "index"),
    [(0.0, 0), (0.09, 0), (0.1, 1), (0.3, 3), (0.29999999999999993, 3), (0.7, 7), (0.85, 8), (0.99, 9), (1.0, 9)],
    ids=["0", "0.09", "0.1", "0.3", "0.3-as-float-sum", "0.7", "0.85", "0.99", "1.0-in-last-bin"],
)
def test_histogram_bins(score: float, index: int) -> None:
    assert grades.bin_index(score) == index


@pytest.mark.parametrize(
    ("kind", "scores", "progress", "flags"),
    [
        ("committed", [1.0, 1.0, 0.9], [1.0, 1.0, 0.9], []),
        ("committed", [0.7, 0.7], [1.0, 1.0], []),
        ("committed", [1.0, 0.5], [1.0, 0.5], ["committed_not_delivered"]),
        ("aspirational", [0.7, 0.6, 0.8], [1.0, 0.86, 1.0], []),
        ("aspirational", [1.0, 0.9, 0.95], [1.0, 1.0, 1.0], ["aspirational_not_stretched"]),
        ("aspirational", [0.3, 0.2], [0.43, 0.29], ["aspirational_unrealistic"]),
    ],
    ids=[
        "committed-near-1-is-fine",
        "committed-hitting-target-below-stretch-is-delivered",
        "committed-averaging-75%-not-delivered",
        "aspirational-around-0.7-is-the-aim",
        "aspirational-averaging-0.95-not-stretched",
        "aspirational-averaging-0.25-unrealistic",
    ],
)
def test_grade_guidance(kind: str, scores: list[float], progress: list[float], flags: list[str]) -> None:
    graded = [
        grades.Grade(final_value=0, progress=p, score=s, hit=p >= 1) for s, p in zip(scores, progress, strict=True)
    ]
    assert grades.distribution(kind, graded).flags == flags


@pytest.mark.parametrize(
    ("current", "score", "hit"),
    [(21000, 0.85, True), (18000, 0.7, True), (9000, 0.35, False), (30000, 1.0, True)],
    ids=["21000-is-0.85-hit", "18000-is-0.7-hit", "9000-is-0.35-miss", "30000-caps-at-1.0"],
)
def test_grade_is_the_score_function(current: float, score: float, hit: bool) -> None:
    graded = grades.grade(kr(current_value=current))
    assert graded.score == pytest.approx(score)
    assert graded.hit is hit


# Review ------------------------------------------------------------------------------------------
def test_severity_orders_off_track_before_at_risk_before_drops() -> None:
    off = review.severity(status=Status.off_track, behind=0.4, confidence_drop=None, missing_check_in=False)
    risk = review.severity(status=Status.at_risk, behind=0.2, confidence_drop=2, missing_check_in=False)
    drop = review.severity(status=Status.on_track, behind=0.0, confidence_drop=5, missing_check_in=False)
    missing = review.severity(status=Status.on_track, behind=0.0, confidence_drop=None, missing_check_in=True)
    assert off == pytest.approx(3.4)
    assert risk == pytest.approx(2.6)
    assert drop == pytest.approx(1.0) == missing
    assert off > risk > drop


def test_late_window_is_the_last_tenth() -> None:
    ten_percent_left = YEAR_START + (YEAR_END - YEAR_START) * 0.9 + timedelta(hours=1)
    assert scoring.elapsed_fraction(cycle_start=YEAR_START, cycle_end=YEAR_END, now=ten_percent_left) > 0.9
