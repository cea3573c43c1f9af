"""The demo organisation (`sightline demo`) in the browser: the seed key result's page shows what the API says,
the pace line and the correction; the alignment map draws every objective of the cycle with its links; every view
passes axe. The documentation screenshots come from here."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from sightline.demo import DEMO_EMAIL, DEMO_PASSWORD, SEED_TITLE
from sightline.demo.data import CORRECTED
from tests.e2e.conftest import PHONE, Watched, assert_fits_width, check_accessibility, open_chart, screenshot, sign_in

STATUS_LABEL = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "done": "Done",
    "no_data": "No data",
}


@pytest.fixture
def demo_api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        assert (
            client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}).status_code == 200
        )
        yield client


def get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def key_result_titled(client: httpx.Client, title: str) -> dict[str, Any]:
    matches = [kr for kr in get(client, "/api/v1/key-results", limit=200)["items"] if kr["title"] == title]
    assert len(matches) == 1, title
    return dict(matches[0])


def choose_cycle(page: Page, name: str) -> None:
    page.get_by_role("banner").get_by_role("combobox", name="Cycle").click()
    page.get_by_role("option", name=re.compile(rf"^{re.escape(name)}( \(|$)")).click()


def settle(page: Page) -> None:
    page.get_by_role("heading", level=1).first.wait_for()
    page.get_by_role("status").filter(has_text=re.compile("^Load|^Laying")).first.wait_for(state="detached")


def test_demo_seed_key_result_matches_the_api_with_pace_line_and_correction(
    open_page: Callable[..., Watched], demo_api: httpx.Client
) -> None:
    seed = key_result_titled(demo_api, SEED_TITLE)
    corrected = key_result_titled(demo_api, CORRECTED)
    seed_objective = get(demo_api, f"/api/v1/objectives/{seed['objective_id']}")
    cycle = get(demo_api, f"/api/v1/cycles/{seed_objective['cycle_id']}")

    page = open_page().page
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    choose_cycle(page, cycle["name"])
    expect(page.get_by_role("heading", name="Scoreboard")).to_be_visible()
    expect(page.get_by_text(f"{cycle['name']} · ")).to_be_visible()
    settle(page)
    check_accessibility(page, "scoreboard (demo)")
    screenshot(page, "scoreboard", docs=True)

    page.goto(f"/objectives/{seed['objective_id']}")
    card = page.locator(f'[data-key-result-id="{seed["id"]}"]')
    expect(card.get_by_role("heading", name=SEED_TITLE)).to_be_visible()
    current = card.get_by_test_id("kr-current").inner_text()
    assert float(re.sub(r"[^\d.]", "", current)) == pytest.approx(seed["current_value"], abs=0.5), current
    assert float(card.get_by_test_id("kr-score").inner_text()) == pytest.approx(seed["score"], abs=0.005)
    expect(card.get_by_text(f"{round(seed['progress'] * 100)} %", exact=True)).to_be_visible()
    expect(card.locator("[data-status]").first).to_have_text(STATUS_LABEL[seed["status"]])
    chart = open_chart(card)
    expect(chart.locator(".recharts-line")).to_have_count(2)  # the check-ins and the pace line
    # The chart's text alternative, found by its name: while the pointer rests on the chart its tooltip shows, and
    # the tooltip's colour swatches are <svg>s (role img too). Hovered on purpose, so the test cannot depend on
    # where the last click left the pointer; then the pointer leaves, so no tooltip is in the screenshot.
    chart.hover()
    expect(chart.locator(".recharts-tooltip-wrapper svg").first).to_be_visible()
    expect(
        chart.get_by_role("img", name=re.compile(rf"^Chart of {re.escape(SEED_TITLE)}: \d+ check-ins"))
    ).to_have_count(1)
    page.mouse.move(0, 0)
    expect(page.get_by_role("region", name="Line of sight")).to_be_visible()
    settle(page)
    check_accessibility(page, "objective page (demo)")
    screenshot(page, "objective", docs=True)

    history = get(demo_api, f"/api/v1/key-results/{corrected['id']}/check-ins", limit=200)["items"]
    correction = next(item for item in history if item["corrects"])
    page.goto(f"/objectives/{corrected['objective_id']}")
    card = page.locator(f'[data-key-result-id="{corrected["id"]}"]')
    card.get_by_role("tab", name=re.compile("^History")).click()
    table = card.get_by_test_id("checkin-history")
    expect(table.locator("tbody tr")).to_have_count(len(history))
    expect(table.get_by_text("Correction", exact=True)).to_have_count(1)
    expect(table.get_by_text("Corrected", exact=True)).to_have_count(1)
    expect(table.get_by_text(f"Reason: {correction['reason']}")).to_be_visible()
    check_accessibility(page, "check-in history with a correction (demo)")
    screenshot(page, "objective-history", docs=True)


def test_demo_alignment_map_draws_every_objective_with_its_links(
    open_page: Callable[..., Watched], demo_api: httpx.Client
) -> None:
    cycles = {c["name"]: c for c in get(demo_api, "/api/v1/cycles", limit=200)["items"]}
    year = next(c for name, c in cycles.items() if "-Q" not in name)
    graph = get(demo_api, f"/api/v1/cycles/{year['id']}/alignment-map")
    objectives = {o["id"] for o in graph["objectives"] if o["state"] != "archived"}
    kr_objective = {kr["id"]: kr["objective_id"] for kr in graph["key_results"]}
    edges = [
        e
        for e in graph["edges"]
        if e["source"] in objectives
        and (kr_objective.get(e["target"]) if e["target_type"] == "key_result" else e["target"]) in objectives
    ]
    assert len(objectives) >= 10 and len(edges) >= 5

    page = open_page().page
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    choose_cycle(page, year["name"])
    page.get_by_role("link", name="Alignment map").click()
    settle(page)
    expect(page.get_by_test_id("map-node")).to_have_count(len(objectives))
    expect(page.get_by_test_id("map-edge")).to_have_count(len(edges))
    expect(page.get_by_test_id("map-counts")).to_have_text(f"{len(objectives)} objectives · {len(edges)} links")
    contributes = sum(e["kind"] == "contributes" for e in edges)
    expect(page.locator(".map-edge.edge-contributes")).to_have_count(contributes)
    expect(page.locator(".map-edge.edge-cascade")).to_have_count(len(edges) - contributes)
    check_accessibility(page, "alignment map (demo)")
    screenshot(page, "alignment-map")  # the docs copy comes from test_alignment_map.py

    company = next(o for o in graph["objectives"] if o["level"] == "company")
    page.get_by_test_id("map-node").get_by_role("link", name=company["title"]).click()
    expect(page.get_by_test_id("objective-title")).to_have_text(company["title"])
    expect(page.get_by_test_id("line-of-sight-empty")).to_contain_text("company objective")

    coverage = get(demo_api, f"/api/v1/cycles/{year['id']}/coverage")
    page.get_by_role("link", name="Health").click()
    settle(page)
    expect(page.get_by_test_id("coverage-unaligned-objectives")).to_have_text(
        str(len(coverage["objectives_without_parent"]))
    )
    expect(page.get_by_test_id("coverage-krs-without-work")).to_have_text(
        str(len(coverage["key_results_without_initiative"]))
    )
    expect(page.get_by_test_id("coverage-unaligned-spend")).to_contain_text(
        f"{float(coverage['unaligned_spend']):,.0f}"
    )
    expect(page.locator(".recharts-bar-rectangle").first).to_be_visible()
    health = get(demo_api, f"/api/v1/cycles/{year['id']}/health")
    expect(page.get_by_test_id("health-signals")).to_have_text(str(health["honesty"]["cycle"]["total"]))
    expect(page.get_by_test_id("health-low-ambition")).to_have_text(str(health["ambition"]["cycle"]["low_ambition"]))
    check_accessibility(page, "health (demo)")
    screenshot(page, "health", docs=True)

    page.get_by_role("link", name="My check-ins").click()
    settle(page)
    check_accessibility(page, "my check-ins (demo)")
    screenshot(page, "my-check-ins", docs=True)

    page.set_viewport_size(PHONE)
    for path, name in (
        ("/scoreboard", "phone-scoreboard"),
        (f"/objectives/{company['id']}", "phone-objective"),
        ("/alignment", "phone-alignment-map"),
    ):
        page.goto(path)
        settle(page)
        assert_fits_width(page, name)
        check_accessibility(page, name)
        screenshot(page, name, docs=name != "phone-alignment-map")


def test_demo_review_agenda_worst_first_and_recording_the_review(
    open_page: Callable[..., Watched], demo_api: httpx.Client
) -> None:
    teams = {t["name"]: t for t in get(demo_api, "/api/v1/teams", limit=200)["items"]}
    marketing = teams["Marketing"]
    # New work nobody has aligned yet joins the agenda after the key results.
    created = demo_api.post(
        "/api/v1/initiatives", json={"title": "Podcast pilot", "team_id": marketing["id"], "planned_budget": "1500"}
    )
    assert created.status_code == 201, created.text
    agenda = get(demo_api, f"/api/v1/teams/{marketing['id']}/review", include_sub_teams="true")
    assert agenda["items"], "the demo's Marketing team has something to review"
    assert "Podcast pilot" in {i["title"] for i in agenda["new_unaligned_initiatives"]}

    page = open_page().page
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD, path="/review")
    page.get_by_role("combobox", name=re.compile("^Team")).click()
    page.get_by_role("option", name="Marketing", exact=True).click()
    settle(page)
    items = page.get_by_test_id("agenda-item")
    expect(items).to_have_count(len(agenda["items"]))
    expect(items.first).to_contain_text(agenda["items"][0]["title"])
    new_work = page.get_by_role("region", name="New work that moves no key result")
    expect(new_work.get_by_test_id("new-unaligned-initiative")).to_have_count(len(agenda["new_unaligned_initiatives"]))
    expect(new_work.get_by_test_id("new-unaligned-initiative").filter(has_text="Podcast pilot")).to_contain_text(
        "€0.00 of €1,500"
    )
    check_accessibility(page, "review (demo)")
    screenshot(page, "review", docs=True)

    page.get_by_label("Notes").fill("Pipeline review with Sales")
    page.get_by_label("Decision").fill("Shift budget to paid search")
    page.get_by_role("button", name="Record review").click()
    expect(page.get_by_text("Review recorded")).to_be_visible()
    reviews = get(demo_api, f"/api/v1/teams/{marketing['id']}/reviews")["items"]
    assert reviews[0]["notes"] == "Pipeline review with Sales"
    assert reviews[0]["decisions"] == ["Shift budget to paid search"]
