"""The retrospective page of a closed cycle shows the numbers `GET /cycles/{id}/retrospective` returns (grades by
kind and per objective, calibration overall and mid-cycle); an open cycle gets an empty state that says when a
retrospective appears. The demo's closed quarter gives the documentation screenshot."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from sightline.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.e2e.conftest import (
    PHONE,
    ApiOrg,
    ApiSession,
    OpenPage,
    assert_fits_width,
    check_accessibility,
    screenshot,
    sign_in,
)


def score_text(score: float | None) -> str:
    """The app's score display (client/src/lib/format.ts formatScore): one decimal, two when needed (0.85)."""
    if score is None:
        return "—"
    clamped = min(1.0, max(0.0, score))
    two = 0 < clamped < 1 and round(clamped * 100) % 10 != 0
    return f"{clamped:.2f}" if two else f"{clamped:.1f}"


def percent_text(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)} %"


def closed_cycle_setup(org: ApiSession) -> dict[str, Any]:
    """An active cycle (40 days ago → 20 days ahead: the midpoint is 10 days ago) with a committed and an aspirational
    objective, check-ins with confidences before and after the midpoint; returned before it is closed."""
    start = date.today() - timedelta(days=40)
    cycle = org.post(
        "/api/v1/cycles",
        {
            "name": "2026-Q2",
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=60)).isoformat(),
            "state": "active",
        },
    )
    early = (datetime.now(UTC) - timedelta(days=20)).isoformat(timespec="seconds")
    plan = (
        ("committed", "Win the mid-market", (("Qualified leads", 100, 100, 8, 6), ("Signed partners", 10, 3, 7, 8))),
        ("aspirational", "Become the category leader", (("Analyst mentions", 10, 7, 5, 4),)),
    )
    for kind, title, key_results in plan:
        objective = org.post(
            "/api/v1/objectives", {"cycle_id": cycle["id"], "title": title, "level": "company", "kind": kind}
        )
        for kr_title, target, value, confidence, early_confidence in key_results:
            kr = org.post(
                "/api/v1/key-results", {"objective_id": objective["id"], "title": kr_title, "target_value": target}
            )
            org.post(
                "/api/v1/check-ins",
                {"key_result_id": kr["id"], "value": value / 2, "confidence": early_confidence, "checked_in_at": early},
            )
            org.post("/api/v1/check-ins", {"key_result_id": kr["id"], "value": value, "confidence": confidence})
    return cycle


def test_retrospective_of_a_closed_cycle_shows_the_api_numbers(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    cycle = closed_cycle_setup(org)
    page = open_page().page
    sign_in(page, org.email)

    # Open: the page says when a retrospective appears and where to close the cycle.
    page.get_by_role("link", name="Retrospective", exact=True).click()
    expect(page.get_by_role("heading", name="2026-Q2 is not closed yet")).to_be_visible()
    expect(page.get_by_role("link", name="Close it in Settings → Cycles")).to_be_visible()
    check_accessibility(page, "retrospective of an open cycle")

    closed = org.client.post(f"/api/v1/cycles/{cycle['id']}/close")
    assert closed.status_code == 200, closed.text
    retro = org.get(f"/api/v1/cycles/{cycle['id']}/retrospective")
    page.reload()
    expect(page.get_by_role("heading", name="Retrospective", level=1)).to_be_visible()
    overall = retro["calibration"]["every_check_in"]["overall"]
    mid = retro["calibration"]["mid_cycle"]["overall"]
    assert overall["forecasts"] == 6 and mid["forecasts"] == 3  # the API's view of this set-up

    expect(page.get_by_test_id("retro-key-results")).to_have_text(str(retro["key_results"]))
    expect(page.get_by_test_id("retro-hit")).to_have_text(str(retro["hit"]))
    expect(page.get_by_test_id("retro-brier")).to_have_text(f"{overall['brier']:.3f}")
    expect(page.get_by_test_id("retro-mid-brier")).to_have_text(f"{mid['brier']:.3f}")
    expect(page.get_by_test_id("retro-confidence")).to_have_text(
        f"{percent_text(overall['mean_confidence'])} · {percent_text(overall['hit_rate'])}"
    )
    for grades in retro["grade_distribution"]:
        if grades["key_results"]:
            line = page.get_by_test_id(f"grades-{grades['kind']}")
            expect(line).to_contain_text(f"mean grade {score_text(grades['mean_score'])}")
            expect(line).to_contain_text(f"{percent_text(grades['hit_rate'])} hit")
    rows = page.get_by_test_id("retro-objective")
    expect(rows).to_have_count(len(retro["objectives"]))
    for objective in retro["objectives"]:
        row = rows.filter(has_text=objective["title"])
        expect(row.get_by_test_id("retro-objective-score")).to_have_text(score_text(objective["score"]))
    calibration = page.get_by_role("table", name="Calibration")
    every = calibration.get_by_role("row").filter(has_text="Every check-in")
    expect(every).to_contain_text(re.compile(rf"^Every check-in\s*6\s*{overall['brier']:.3f}"))
    expect(calibration.get_by_role("row").filter(has_text="Mid-cycle")).to_contain_text(f"{mid['brier']:.3f}")
    expect(page.get_by_test_id("retro-closed")).to_contain_text("closed")
    expect(page.get_by_test_id("retro-closed")).to_contain_text("by Olivia Owner")
    if "coverage" in retro and retro["coverage"] is not None:
        expect(page.get_by_test_id("retro-krs-without-work")).to_have_text(
            str(retro["coverage"]["key_results_without_initiative"])
        )
    page.locator(".recharts-surface").first.wait_for()
    check_accessibility(page, "retrospective")
    assert_fits_width(page, "retrospective at 1280 px")
    screenshot(page, "retrospective-new-org")

    phone = open_page(viewport=PHONE).page
    sign_in(phone, org.email, path="/retrospective")
    expect(phone.get_by_test_id("retro-brier")).to_have_text(f"{overall['brier']:.3f}")
    assert_fits_width(phone, "retrospective at 390 px")
    check_accessibility(phone, "retrospective at 390 px")
    screenshot(phone, "phone-retrospective")


@pytest.fixture
def demo_api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        login = client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        assert login.status_code == 200
        yield client


def choose_cycle(page: Page, name: str) -> None:
    page.get_by_role("banner").get_by_role("combobox", name="Cycle").click()
    page.get_by_role("option", name=re.compile(rf"^{re.escape(name)}( \(|$)")).click()


def test_demo_closed_quarter_retrospective(open_page: OpenPage, demo_api: httpx.Client) -> None:
    cycles = demo_api.get("/api/v1/cycles", params={"limit": 200}).json()["items"]
    closed = max((c for c in cycles if c["state"] == "closed"), key=lambda c: c["end_date"])
    retro = demo_api.get(f"/api/v1/cycles/{closed['id']}/retrospective").json()
    page = open_page().page
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD, path="/retrospective")
    choose_cycle(page, closed["name"])
    brier = retro["calibration"]["every_check_in"]["overall"]["brier"]
    expect(page.get_by_test_id("retro-brier")).to_have_text("—" if brier is None else f"{brier:.3f}")
    expect(page.get_by_test_id("retro-objective")).to_have_count(len(retro["objectives"]))
    page.locator(".recharts-surface").first.wait_for()
    check_accessibility(page, "retrospective (demo)")
    screenshot(page, "retrospective", docs=True)
