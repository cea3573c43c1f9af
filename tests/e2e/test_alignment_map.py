"""Issue 14 point 3: the alignment map is legible. Levels as bands (company on top, objectives aligned to nothing in
their own lane), a legend, filters by team and status, search, collapse, focus on a line of sight; the demo's year
fits 1440×900 with titles of at least 12 px; a phone gets an indented tree; the map's code is a lazy chunk, laid out
in a web worker, and the route transfers at most 400 KB of compressed JavaScript."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Response, expect

from sightline.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.e2e.conftest import OpenPage, assert_fits_width, check_accessibility, screenshot, sign_in

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
BUDGET = 400 * 1024


@pytest.fixture
def demo_api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        response = client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        assert response.status_code == 200
        yield client


def get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def year_map(client: httpx.Client) -> tuple[dict[str, Any], dict[str, Any]]:
    """The demo's year (the longest cycle) and what its map must show: live objectives, links between them, the
    objectives aligned to nothing."""
    cycles = get(client, "/api/v1/cycles", limit=200)["items"]
    year = max(cycles, key=_days)
    graph = get(client, f"/api/v1/cycles/{year['id']}/alignment-map")
    objectives = {o["id"]: o for o in graph["objectives"] if o["state"] != "archived"}
    kr_objective = {kr["id"]: kr["objective_id"] for kr in graph["key_results"]}
    edges = []
    for e in graph["edges"]:
        parent = kr_objective.get(e["target"]) if e["target_type"] == "key_result" else e["target"]
        if e["source"] in objectives and parent in objectives:
            edges.append({**e, "parent": parent})
    children = {e["source"] for e in edges}
    unaligned = {i for i, o in objectives.items() if o["level"] != "company" and i not in children}
    return year, {"objectives": objectives, "edges": edges, "unaligned": unaligned}


def _days(cycle: dict[str, Any]) -> int:
    return (date.fromisoformat(cycle["end_date"]) - date.fromisoformat(cycle["start_date"])).days


def choose_cycle(page: Page, name: str) -> None:
    page.get_by_role("banner").get_by_role("combobox", name="Cycle").click()
    page.get_by_role("option", name=re.compile(rf"^{re.escape(name)}( \(|$)")).click()


def open_map(page: Page) -> None:
    page.get_by_role("link", name="Alignment map").first.click()
    expect(page.get_by_role("heading", name="Alignment map", level=1)).to_be_visible()


def ready(page: Page) -> None:
    expect(page.locator('[data-testid="alignment-map"][data-layout="ready"]')).to_have_count(1)


def no_hover_text(page: Page) -> None:
    assert "hover" not in page.locator("main").inner_text().lower()


def node_ids(page: Page, testid: str) -> set[str]:
    return set(page.get_by_test_id(testid).evaluate_all("els => els.map(e => e.dataset.objectiveId)"))


def test_map_bands_legend_filters_collapse_focus_and_fit_at_1440(open_page: OpenPage, demo_api: httpx.Client) -> None:
    year, expected = year_map(demo_api)
    objectives, edges, unaligned = expected["objectives"], expected["edges"], expected["unaligned"]
    assert len(objectives) >= 10 and unaligned, "the demo's year has an objective aligned to nothing"

    watched = open_page(WIDE)
    page = watched.page
    scripts: list[str] = []
    workers: list[str] = []
    page.on("response", lambda r: r.request.resource_type == "script" and scripts.append(r.url))
    page.on("worker", lambda w: workers.append(w.url))
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    choose_cycle(page, year["name"])
    # The map's code is its own chunk, fetched only when the map opens, and laid out in a web worker.
    assert not [u for u in scripts if "AlignmentMapView" in u], scripts
    open_map(page)
    ready(page)
    assert [u for u in scripts if "AlignmentMapView" in u], scripts
    assert [u for u in workers if "layout.worker" in u], workers

    nodes = page.get_by_test_id("map-node")
    expect(nodes).to_have_count(len(objectives))
    expect(page.get_by_test_id("map-edge")).to_have_count(len(edges))
    contributes = sum(e["kind"] == "contributes" for e in edges)
    expect(page.locator(".map-edge.edge-contributes")).to_have_count(contributes)
    expect(page.get_by_test_id("map-counts")).to_have_text(f"{len(objectives)} objectives · {len(edges)} links")

    # Bands: every company objective above every other; the unaligned in their own, labelled lane, at the bottom.
    tops = {i: page.locator(f'[data-testid="map-node"][data-objective-id="{i}"]').bounding_box() for i in objectives}
    company = [i for i, o in objectives.items() if o["level"] == "company"]
    others = [i for i in objectives if i not in company]
    assert max(tops[i]["y"] for i in company) < min(tops[i]["y"] for i in others)  # type: ignore[index]
    lane = page.get_by_test_id("map-band-unaligned")
    expect(lane).to_contain_text("Aligned to nothing")
    assert node_ids(page, "map-node") == set(objectives)
    assert (
        set(
            page.locator('[data-testid="map-node"][data-lane="unaligned"]').evaluate_all(
                "els => els.map(e => e.dataset.objectiveId)"
            )
        )
        == unaligned
    )
    lane_box = lane.bounding_box()
    assert lane_box is not None
    for i in unaligned:
        box = tops[i]
        assert box and lane_box["y"] <= box["y"] and box["y"] + box["height"] <= lane_box["y"] + lane_box["height"]
    # A parent is drawn above its child.
    for e in edges:
        assert tops[e["parent"]]["y"] < tops[e["source"]]["y"], e  # type: ignore[index]

    # The whole year fits the 1440×900 window, titles at 12 px or more.
    for i, box in tops.items():
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDE["width"], (objectives[i]["title"], box)
        assert box["y"] + box["height"] <= WIDE["height"], (objectives[i]["title"], box)
    sizes = page.get_by_test_id("map-node-title").evaluate_all(
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert len(sizes) == len(objectives) and min(sizes) >= 12, sizes
    assert_fits_width(page, "alignment map at 1440")

    legend = page.get_by_test_id("map-legend")
    for text in ("On track", "At risk", "Off track", "Done", "No data", "Cascade", "Contributes", "weight"):
        expect(legend).to_contain_text(text)
    no_hover_text(page)
    check_accessibility(page, "alignment map (1440)")
    page.mouse.move(0, 0)
    screenshot(page, "alignment-map", docs=True)

    # Filter by team.
    teams = {t["id"]: t["name"] for t in get(demo_api, "/api/v1/teams", limit=200)["items"]}
    team_id = next(o["team_id"] for o in objectives.values() if o["team_id"] and o["level"] == "team")
    page.get_by_role("combobox", name="Team", exact=True).click()
    page.get_by_role("option", name=teams[team_id], exact=True).click()
    ready(page)
    assert node_ids(page, "map-node") == {i for i, o in objectives.items() if o["team_id"] == team_id}
    page.get_by_role("button", name="Clear filters").first.click()
    ready(page)
    expect(nodes).to_have_count(len(objectives))

    # Filter by status.
    status = next(o["status"] for o in objectives.values() if o["status"] != "on_track")
    label = {"at_risk": "At risk", "off_track": "Off track", "done": "Done", "no_data": "No data"}[status]
    page.get_by_role("combobox", name="Status", exact=True).click()
    page.get_by_role("option", name=label, exact=True).click()
    page.keyboard.press("Escape")
    ready(page)
    assert node_ids(page, "map-node") == {i for i, o in objectives.items() if o["status"] == status}
    page.get_by_role("button", name="Clear filters").first.click()

    # Search.
    target = objectives[company[0]]
    word = target["title"].split()[-1]
    page.get_by_role("textbox", name="Search").fill(word)
    ready(page)
    assert node_ids(page, "map-node") == {i for i, o in objectives.items() if word.lower() in o["title"].lower()}
    page.get_by_role("textbox", name="Search").fill("")
    ready(page)

    # Collapse a company objective's subtree, then expand it.
    parent = max(company, key=lambda i: sum(e["parent"] == i for e in edges))
    title = objectives[parent]["title"]
    page.get_by_role("button", name=re.compile(rf"^Collapse the \d+ objectives? under {re.escape(title)}$")).click()
    ready(page)
    below = {e["source"] for e in edges if e["parent"] == parent}
    shown = node_ids(page, "map-node")
    # What hangs only under it is gone (an objective with another, expanded parent stays).
    only_under = {c for c in below if all(e["parent"] == parent for e in edges if e["source"] == c)}
    assert parent in shown and only_under and not (only_under & shown), (only_under, shown)
    expand = page.get_by_role("button", name=re.compile(rf"^Expand the \d+ objectives? under {re.escape(title)}$"))
    expect(expand).to_have_attribute("aria-expanded", "false")
    expand.click()
    ready(page)
    expect(nodes).to_have_count(len(objectives))

    # Focus on one objective's line of sight: itself, what it aligns to, what is aligned to it.
    child = next(e["source"] for e in edges if e["parent"] == parent)
    page.get_by_role("button", name=f"Line of sight of {objectives[child]['title']}", exact=True).click()
    ready(page)
    up = {child}
    while True:
        more = {e["parent"] for e in edges if e["source"] in up} - up
        if not more:
            break
        up |= more
    down = {child}
    while True:
        more = {e["source"] for e in edges if e["parent"] in down} - down
        if not more:
            break
        down |= more
    assert node_ids(page, "map-node") == up | down
    expect(page.get_by_test_id("map-focus")).to_contain_text(objectives[child]["title"])
    check_accessibility(page, "alignment map focused (1440)")
    page.get_by_role("button", name="Show the whole map").click()
    ready(page)
    expect(nodes).to_have_count(len(objectives))


def test_map_on_a_phone_is_an_indented_tree_with_the_same_filters(open_page: OpenPage, demo_api: httpx.Client) -> None:
    year, expected = year_map(demo_api)
    objectives, edges, unaligned = expected["objectives"], expected["edges"], expected["unaligned"]
    page = open_page(PHONE).page
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    choose_cycle(page, year["name"])
    page.goto("/alignment")
    tree = page.get_by_test_id("map-tree")
    expect(tree).to_be_visible()
    expect(page.get_by_test_id("alignment-map")).to_have_count(0)
    assert node_ids(page, "map-tree-item") == set(objectives)
    # Children are indented under their parents; the unaligned say so.
    for e in edges:
        item = tree.locator(f'[data-objective-id="{e["parent"]}"]').first
        expect(item.locator(f'[data-objective-id="{e["source"]}"]').first).to_be_attached()
    for i in unaligned:
        expect(tree.locator(f'[data-objective-id="{i}"]').first).to_contain_text("Aligned to nothing")
    no_hover_text(page)
    assert_fits_width(page, "alignment map tree (390)")
    sizes = tree.get_by_role("link").evaluate_all("els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert min(sizes) >= 12, sizes
    check_accessibility(page, "alignment map tree (390)")
    screenshot(page, "phone-alignment-map", docs=True)

    status = next(o["status"] for o in objectives.values() if o["status"] != "on_track")
    label = {"at_risk": "At risk", "off_track": "Off track", "done": "Done", "no_data": "No data"}[status]
    page.get_by_role("combobox", name="Status", exact=True).click()
    page.get_by_role("option", name=label, exact=True).click()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("map-counts")).to_contain_text(
        f"{sum(o['status'] == status for o in objectives.values())} objectives"
    )
    assert node_ids(page, "map-tree-item") == {i for i, o in objectives.items() if o["status"] == status}
    page.get_by_role("button", name="Clear filters").first.click()

    parent = max(objectives, key=lambda i: sum(e["parent"] == i for e in edges))
    title = objectives[parent]["title"]
    toggle = rf"the \d+ objectives? under {re.escape(title)}$"
    page.get_by_role("button", name=re.compile(f"^Collapse {toggle}")).first.click()
    assert len(node_ids(page, "map-tree-item")) < len(objectives)
    page.get_by_role("button", name=re.compile(f"^Expand {toggle}")).first.click()
    assert node_ids(page, "map-tree-item") == set(objectives)
    page.get_by_role("button", name=f"Line of sight of {title}", exact=True).first.click()
    expect(page.get_by_test_id("map-focus")).to_be_visible()
    assert parent in node_ids(page, "map-tree-item")
    check_accessibility(page, "alignment map tree focused (390)")


def test_quarter_map_marks_the_year_objectives(open_page: OpenPage, demo_api: httpx.Client) -> None:
    cycles = get(demo_api, "/api/v1/cycles", limit=200)["items"]
    year = max(cycles, key=_days)
    quarter = next(
        c for c in cycles if c["state"] == "active" and c["id"] != year["id"] and year["start_date"] <= c["start_date"]
    )
    graph = get(demo_api, f"/api/v1/cycles/{quarter['id']}/alignment-map")
    outside = {o["id"] for o in graph["objectives"] if o["state"] != "archived" and o["cycle_id"] != quarter["id"]}
    assert outside, "the quarter's map carries the year's objectives"
    page = open_page(WIDE).page
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    choose_cycle(page, quarter["name"])
    open_map(page)
    ready(page)
    marked = page.locator('[data-testid="map-node"]:has([data-testid="map-enclosing-mark"])')
    assert set(marked.evaluate_all("els => els.map(e => e.dataset.objectiveId)")) == outside
    expect(marked.first.get_by_test_id("map-enclosing-mark")).to_have_text(year["name"])
    expect(page.get_by_test_id("map-legend")).to_contain_text(f"an objective of {year['name']}")


def test_map_route_transfers_at_most_400_kb_of_compressed_javascript(open_page: OpenPage, base_url: str) -> None:
    first = open_page(WIDE).page
    sign_in(first, DEMO_EMAIL, DEMO_PASSWORD)
    # A fresh browser (empty cache) of the signed-in person opening the map directly: everything it fetches, the
    # worker included, at its gzip size.
    browser = first.context.browser
    assert browser is not None
    context = browser.new_context(
        base_url=base_url, viewport=WIDE, storage_state=first.context.storage_state(), reduced_motion="reduce"
    )
    page = open_page(WIDE, context=context).page
    bodies: dict[str, int] = {}

    def on_response(response: Response) -> None:
        if response.request.resource_type == "script" or response.url.endswith(".js"):
            bodies[response.url] = len(gzip.compress(response.body(), compresslevel=6))

    page.context.on("response", on_response)
    page.goto("/alignment")
    ready(page)
    expect(page.get_by_test_id("map-node").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert any("AlignmentMapView" in url for url in bodies) and any("layout.worker" in url for url in bodies), bodies
    total = sum(bodies.values())
    context.close()
    assert total <= BUDGET, f"{total / 1024:.0f} KB gzip: {bodies}"
