"""Issue 14 point 7: spend that traces itself, in the browser at 1440 px and 390 px on the demo — the initiatives
table names each initiative's key results (links to their objectives); an initiative shows each key result as a link
to its objective with the chain of alignment up to the company objective(s), and its budget pacing (planned, spent,
expected by now) with the API's figures for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from sightline.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.e2e.conftest import AXE, PHONE, OpenPage, assert_fits_width, check_accessibility, screenshot, sign_in

WIDE = {"width": 1440, "height": 900}
# In the demo: two key results (one with a share of the money), each under an objective aligned up to the company.
TRACED = "Always-on paid search"


@pytest.fixture
def demo_api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10, headers={"Origin": base_url}) as client:
        login = client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        assert login.status_code == 200, login.text
        yield client


def _get(client: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def euros(amount: str) -> str:
    """The app's money display for EUR (en-GB): whole euros from €1,000 up, cents below."""
    value = Decimal(amount)
    if abs(value) >= 1000:
        return f"€{value.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    return f"€{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def day(iso: str) -> str:
    """formatDate in en-GB: 5 Dec 2026."""
    when = date.fromisoformat(iso)
    return f"{when.day} {when:%b %Y}"


def strict_accessibility(page: Page, view: str) -> None:
    """axe on the whole page (an open drawer included): no violation of any impact — a dialog's title bar counted
    as a second banner landmark fails too."""
    check_accessibility(page, view)
    page.evaluate(AXE.read_text())
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    assert not result["violations"], f"{view}: " + "; ".join(
        f"{v['impact']} {v['id']}: {[n['target'] for n in v['nodes'][:3]]}" for v in result["violations"]
    )


def _href_of(objective_id: str) -> re.Pattern[str]:
    return re.compile(rf"/objectives/{objective_id}$")


def check_table(page: Page, initiatives: list[dict[str, Any]]) -> None:
    """Every initiative's row names its key results, each a link to its objective; unlinked work says so."""
    table = page.get_by_role("table", name="Initiatives")
    expect(table.get_by_role("row")).to_have_count(len(initiatives) + 1)
    for initiative in initiatives:
        row = table.get_by_role("row").filter(has=page.get_by_role("button", name=initiative["title"], exact=True))
        expect(row).to_have_count(1)
        cell = row.get_by_role("cell").last
        links = cell.get_by_role("link")
        expect(links).to_have_count(len(initiative["key_results"]))
        if not initiative["key_results"]:
            expect(cell).to_have_text("Unaligned")
        for index, kr in enumerate(initiative["key_results"]):
            expect(links.nth(index)).to_have_text(kr["key_result_title"])
            expect(links.nth(index)).to_have_attribute("href", _href_of(kr["objective_id"]))


def check_pacing(drawer: Locator, initiative: dict[str, Any]) -> None:
    """Planned, spent and expected by now as the API computed them for this initiative (not recomputed here)."""
    assert initiative["expected_spend"] is not None, "the demo's initiatives have start and end dates"
    pacing = drawer.get_by_role("region", name="Budget pacing")
    expect(pacing).to_be_visible()
    expect(pacing).to_contain_text(f"Planned {euros(initiative['planned_budget'])}")
    expect(pacing).to_contain_text(f"Spent {euros(initiative['actual_spend'])}")
    expect(pacing).to_contain_text(f"Expected by {day(initiative['pacing_day'])} {euros(initiative['expected_spend'])}")
    elapsed = (Decimal(initiative["elapsed_share"]) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    expect(pacing).to_contain_text(f"{elapsed} % of its dates have passed")
    delta = Decimal(initiative["spend_vs_expected"])
    if delta > 0:
        expect(pacing).to_contain_text(f"{euros(str(delta))} ahead of plan")
    elif delta < 0:
        expect(pacing).to_contain_text(f"{euros(str(-delta))} behind plan")
    else:
        expect(pacing).to_contain_text("spending exactly on plan")


def check_trace(client: httpx.Client, drawer: Locator, initiative: dict[str, Any]) -> None:
    """Each key result links to its objective page; under it, every path of the objective's line of sight (read
    through the API) up to the company objective, each objective on the way a link to its page."""
    items = drawer.get_by_role("list", name="Key results it moves").get_by_role("listitem")
    expect(items).to_have_count(len(initiative["key_results"]))
    reached_company = False
    for index, kr in enumerate(initiative["key_results"]):
        item = items.nth(index)
        kr_link = item.get_by_role("link", name=kr["key_result_title"], exact=True)
        expect(kr_link).to_have_attribute("href", _href_of(kr["objective_id"]))
        sight = _get(client, f"/api/v1/objectives/{kr['objective_id']}/line-of-sight")
        chains = item.get_by_test_id("initiative-chain").locator(":scope > div")
        if not sight["paths"]:
            expect(chains).to_have_count(1)
            expect(chains.first.get_by_role("link")).to_have_text([kr["objective_title"]])
            reached_company |= sight["objective"]["level"] == "company"
            continue
        expect(chains).to_have_count(len(sight["paths"]))
        for number, path in enumerate(sight["paths"]):
            chain = chains.nth(number)
            expected = [(kr["objective_id"], kr["objective_title"])]
            expected += [(hop["parent"]["id"], hop["parent"]["title"]) for hop in path["hops"]]
            links = chain.get_by_role("link")
            expect(links).to_have_text([title for _, title in expected])
            for position, (objective_id, _) in enumerate(expected):
                expect(links.nth(position)).to_have_attribute("href", _href_of(objective_id))
            if path["reaches_company"]:
                assert path["hops"][-1]["parent"]["level"] == "company"
                expect(chain).to_contain_text("company objective")
                reached_company = True
            else:
                expect(chain).to_contain_text("stops below company level")
    assert reached_company, f"{initiative['title']}: no chain reaches a company objective in the demo"


def open_initiative(page: Page, title: str) -> Locator:
    page.get_by_role("table", name="Initiatives").get_by_role("button", name=title, exact=True).click()
    drawer = page.get_by_role("dialog", name=title)
    expect(drawer).to_be_visible()
    expect(drawer.get_by_test_id("initiative-chain").first).to_be_visible()
    return drawer


def run(page: Page, client: httpx.Client, *, phone: bool) -> None:
    initiatives = _get(client, "/api/v1/initiatives", limit=200)["items"]
    assert any(not i["key_results"] for i in initiatives), "the demo has unaligned work"
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD, path="/initiatives")
    expect(page.get_by_role("heading", level=1)).to_have_text("Initiatives")
    check_table(page, initiatives)
    badge = page.get_by_role("table", name="Initiatives").locator(".mantine-Badge-root").first
    expect(badge).to_have_text("In progress")
    assert badge.evaluate("b => b.scrollWidth <= b.clientWidth"), "the state badge is cut short"
    if phone:
        assert_fits_width(page, "initiatives (phone)")
    strict_accessibility(page, "initiatives")

    initiative = next(i for i in initiatives if i["title"] == TRACED)
    assert len(initiative["key_results"]) >= 2
    drawer = open_initiative(page, TRACED)
    check_pacing(drawer, initiative)
    check_trace(client, drawer, initiative)
    # The links' editor names them like the new-initiative form does: the year's key results are offered on the
    # quarter the demo opens on (the year contains it), not marked "(another cycle)".
    pills = drawer.locator(".mantine-MultiSelect-pill")
    expect(pills).to_have_text(
        [f"{kr['objective_title']} › {kr['key_result_title']}" for kr in initiative["key_results"]]
    )
    if phone:
        assert_fits_width(page, "initiative (phone)")
    strict_accessibility(page, "initiative with its trace and pacing")
    screenshot(page, f"{'phone-' if phone else ''}initiative-trace", docs=not phone, full_page=False)

    # The key result's link leads to its objective's page.
    first = initiative["key_results"][0]
    drawer.get_by_role("link", name=first["key_result_title"], exact=True).click()
    page.wait_for_url(_href_of(first["objective_id"]))
    expect(page.get_by_role("heading", level=1)).to_have_text(first["objective_title"])
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_initiative_trace_desktop(open_page: OpenPage, demo_api: httpx.Client) -> None:
    run(open_page(WIDE).page, demo_api, phone=False)


def test_initiative_trace_phone(open_page: OpenPage, demo_api: httpx.Client) -> None:
    run(open_page(PHONE).page, demo_api, phone=True)
