"""CSV exports are safe to open in a spreadsheet: formula-like text is quoted, numbers stay numbers, and the
import reads the export back unchanged."""

from __future__ import annotations

import pytest
from tests.insights.helpers import check_in_at, csv_tables, cycle, key_result, objective, real_time, to_csv
from tests.support import FixedClock, SignUp

from sightline.insights.csv_formulas import escape, unescape

HYPERLINK = '=HYPERLINK("http://evil","x")'


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("@SUM(1)", "'@SUM(1)"),
        ("+1 NPS", "'+1 NPS"),
        ("-2+3", "'-2+3"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("'=already quoted", "''=already quoted"),
        ("-5", "-5"),  # a plain number: read as that number, cannot be a formula
        ("+3.5e2", "+3.5e2"),
        ("'tis the season", "'tis the season"),
        ("Grow demand", "Grow demand"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_like_text_is_quoted_and_reads_back(text: str, cell: str) -> None:
    assert escape(text) == cell
    assert unescape(escape(text)) == text


async def test_an_export_quotes_formulas_keeps_numbers_and_imports_back(signup: SignUp, clock: FixedClock) -> None:
    real_time(clock)
    tenant = await signup()
    clock.set("2026-01-05T09:00:00+01:00")
    fy = await cycle(tenant, "FY", "2026-01-01", "2026-12-31")
    goal = await objective(tenant, fy["id"], HYPERLINK, description="@SUM(1)")
    churn = await key_result(
        tenant, goal, title="-Churn", start_value=0, target_value=-5, direction="decrease", unit="=pts"
    )
    await check_in_at(tenant, clock, "2026-02-01T10:00:00+01:00", churn, -2, note="+cmd|' /C calc'!A0")
    clock.set("2026-03-02T10:00:00+01:00")

    safe = await tenant.client.get(f"/api/v1/cycles/{fy['id']}/export")
    assert safe.status_code == 200, safe.text
    tables = csv_tables(safe.content)
    [row] = tables["objectives"]
    assert (row["title"], row["description"]) == ("'" + HYPERLINK, "'@SUM(1)")
    [kr] = tables["key_results"]
    assert (kr["title"], kr["unit"]) == ("'-Churn", "'=pts")
    assert (float(kr["target_value"]), kr["target_value"].startswith("-")) == (-5, True)  # a number, unquoted
    [check_in] = tables["check_ins"]
    assert float(check_in["value"]) == -2 and check_in["note"] == "'+cmd|' /C calc'!A0"

    raw = await tenant.client.get(f"/api/v1/cycles/{fy['id']}/export", params={"csv_formulas": "raw"})
    assert raw.status_code == 200
    assert csv_tables(raw.content)["objectives"][0]["title"] == HYPERLINK
    bad = await tenant.client.get(f"/api/v1/cycles/{fy['id']}/export", params={"csv_formulas": "unsafe"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "csv_formulas"]

    # The escaped export imports back to the very same text.
    target = await cycle(tenant, "FY copy", "2026-01-01", "2026-12-31")
    imported = await tenant.client.post(
        f"/api/v1/cycles/{target['id']}/import",
        json={name + "_csv": to_csv(tables[name]) for name in ("objectives", "key_results", "check_ins")},
    )
    assert imported.status_code == 201, imported.text
    copy = (await tenant.client.get(f"/api/v1/objectives/{imported.json()['objectives'][0]['id']}")).json()
    assert (copy["title"], copy["description"]) == (HYPERLINK, "@SUM(1)")
    copied_kr = (await tenant.client.get(f"/api/v1/key-results/{imported.json()['key_results'][0]['id']}")).json()
    assert (copied_kr["title"], copied_kr["unit"], copied_kr["target_value"]) == ("-Churn", "=pts", -5)
