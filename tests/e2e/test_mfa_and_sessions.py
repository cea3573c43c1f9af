"""Issue 20 in the web app, in Chromium against a real `sightline demo`: two-step sign-in (set up with the QR code's
secret, a code from pyotp, recovery codes shown once; signing in with a code and with a recovery code), the
organisation's requirement leading an owner to set it up, the sessions list (ending another browser's session), the
re-authentication dialog in front of a sensitive action, API key expiry, and the password strength meter.

Each test works in its own organisation; views are checked with axe-core, and every page fails its test on a console
error or a 5xx (see conftest.py).
"""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import psutil
import pyotp
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    PASSWORD,
    PHONE,
    ApiOrg,
    OpenPage,
    Watched,
    assert_fits_width,
    check_accessibility,
    field,
    screenshot,
    sign_in,
)


def sign_out(page: Page, name: str = "Olivia Owner") -> None:
    page.get_by_role("button", name=f"Account: {name}").click()
    page.get_by_role("menuitem", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in"))


def password_step(page: Page, email: str) -> None:
    """The first step only: email and password, which leads to the second step."""
    page.goto("/account")
    field(page, "Email").fill(email)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/sign-in/mfa"))
    expect(page.get_by_role("heading", name="Two-step sign-in", level=1)).to_be_visible()


def open_account(page: Page) -> None:
    page.goto("/account")
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()


def forgive(watched: Watched, *statuses: int) -> None:
    """Chromium logs every non-2xx fetch as a console error; these refusals were the point of the test step."""
    marks = tuple(f"status of {status}" for status in statuses)
    watched.problems[:] = [p for p in watched.problems if not any(mark in p for mark in marks)]


def superuser_execute(base_url: str, sql: str, *args: object) -> str:
    """Run one statement as the embedded server's superuser (the service itself cannot bypass row-level security).

    The server is `sightline demo`, a child of this process started by conftest.py: its data directory is in its
    environment, and PostgreSQL's socket in the data directory's postmaster.pid.
    """
    port = str(urlsplit(base_url).port)
    data_dir = next(
        Path(child.environ()["SIGHTLINE_DATA_DIR"])
        for child in psutil.Process().children(recursive=True)
        if child.environ().get("SIGHTLINE_PORT") == port and "SIGHTLINE_DATA_DIR" in child.environ()
    )
    lines = (data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()
    port_line, socket_dir = lines[3].strip(), lines[4].strip()

    async def run() -> str:
        conn = await asyncpg.connect(host=socket_dir, port=int(port_line), user="postgres", database="sightline")
        try:
            return str(await conn.execute(sql, *args))
        finally:
            await conn.close()

    # Playwright's sync API keeps an event loop running in this thread: run the query on another one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=30)


def age_sign_in(base_url: str, email: str) -> None:
    """Every session of this person signed in (and last confirmed) an hour ago: past the recent sign-in window."""
    status = superuser_execute(
        base_url,
        """
        UPDATE auth_sessions s
        SET created_at = now() - interval '1 hour', reauthenticated_at = now() - interval '1 hour'
        FROM users u
        WHERE u.org_id = s.org_id AND u.id = s.user_id AND lower(u.email) = lower($1) AND s.revoked_at IS NULL
        """,
        email,
    )
    assert status != "UPDATE 0", status


def enrol(page: Page) -> tuple[str, list[str]]:
    """Set up the authenticator on the account page; returns the secret and the recovery codes shown."""
    section = page.get_by_role("region", name="Two-step sign-in")
    section.get_by_role("button", name="Set up an authenticator app").click()
    qr = section.get_by_test_id("totp-qr")
    expect(qr).to_be_visible()
    # The QR code is an image of the SVG (a data: URL), never the API's markup in the page.
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    expect(section.locator("svg")).to_have_count(0)
    secret = section.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    check_accessibility(page, "account: set up an authenticator")

    field(page, "2. The 6-digit code the app shows").fill(pyotp.TOTP(secret).now())
    section.get_by_role("button", name="Turn on two-step sign-in").click()
    codes_list = section.get_by_role("list", name="Recovery codes")
    expect(codes_list.get_by_role("listitem")).to_have_count(10)
    codes = [item.strip() for item in codes_list.get_by_role("listitem").all_inner_texts()]
    assert len(set(codes)) == 10
    expect(section.get_by_role("button", name="Download")).to_be_visible()
    check_accessibility(page, "account: recovery codes")
    screenshot(page, "account-recovery-codes")
    section.get_by_role("button", name="I have saved them").click()
    expect(codes_list).to_have_count(0)
    expect(section).to_contain_text("10 recovery codes left")
    return secret, codes


def test_enrol_then_sign_in_with_a_code_and_with_a_recovery_code(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    watched = open_page()
    page = watched.page
    sign_in(page, org.email)
    open_account(page)
    secret, codes = enrol(page)

    # Signed out, the password alone no longer signs in: the second step asks for a code.
    sign_out(page)
    password_step(page, org.email)
    check_accessibility(page, "sign-in: second step")
    field(page, "Code from your authenticator app").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Could not sign in")
    # The code of the next 30-second step (the app's clock may run ahead; the enrolment's code is spent).
    field(page, "Code from your authenticator app").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/account"))
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()

    # A recovery code works once.
    sign_out(page)
    password_step(page, org.email)
    page.get_by_role("button", name="Use a recovery code instead").click()
    field(page, "Recovery code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/account"))
    expect(page.get_by_role("region", name="Two-step sign-in")).to_contain_text("9 recovery codes left")
    sign_out(page)
    password_step(page, org.email)
    page.get_by_role("button", name="Use a recovery code instead").click()
    field(page, "Recovery code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Could not sign in")
    assert "/sign-in/mfa" in page.url
    forgive(watched, 401)


def test_an_organisation_requiring_two_step_sign_in_leads_its_owner_to_set_it_up(
    open_page: OpenPage, api_org: ApiOrg
) -> None:
    org = api_org()
    watched = open_page(viewport=PHONE)
    page = watched.page
    sign_in(page, org.email, path="/settings/organisation")
    switch = page.get_by_role("switch", name="Owners and admins must use two-step sign-in")
    switch.check(force=True)
    page.get_by_role("button", name="Save settings").click()
    # From now on the owner's calls are refused until the authenticator is set up: the app goes to the account page.
    page.goto("/scoreboard")
    page.wait_for_url(re.compile(r"/account"))
    section = page.get_by_role("region", name="Two-step sign-in")
    expect(section.get_by_role("alert")).to_contain_text("Your organisation requires two-step sign-in")
    check_accessibility(page, "account: enrolment required (phone)")
    assert_fits_width(page, "account: enrolment required (phone)")
    enrol(page)
    # Required: it cannot be turned off here.
    expect(section.get_by_role("button", name="Turn off two-step sign-in")).to_have_count(0)
    page.goto("/scoreboard")
    expect(page).to_have_url(re.compile(r"/scoreboard"))
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    forgive(watched, 403)  # the refusals that led to the account page


def test_end_another_session_and_every_other_one(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    first = open_page().page
    sign_in(first, org.email)
    second = open_page().page
    sign_in(second, org.email)

    page = open_page(viewport=PHONE).page
    sign_in(page, org.email)
    open_account(page)
    table = page.get_by_role("table", name="Your sessions")
    # A header, the three browsers and the sign-up's own session (api_org signed up through the API).
    expect(table.get_by_role("row")).to_have_count(5)
    expect(table.locator("[data-current]")).to_contain_text("this browser")
    check_accessibility(page, "account: sessions (phone)")
    assert_fits_width(page, "account: sessions (phone)")
    screenshot(page, "account-sessions")

    table.get_by_role("button", name=re.compile(r"^Sign out")).first.click()
    expect(table.get_by_role("row")).to_have_count(4)
    page.get_by_role("button", name="Sign out everywhere else").click()
    expect(table.get_by_role("row")).to_have_count(2)
    expect(page.get_by_role("button", name="Sign out everywhere else")).to_have_count(0)

    # Both other browsers land on the sign-in screen at their next request; this one stays signed in.
    for other in (first, second):
        other.reload()
        other.wait_for_url(re.compile(r"/sign-in"))
    page.reload()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()


def test_creating_an_api_key_after_the_recent_sign_in_window_asks_to_confirm(
    open_page: OpenPage, api_org: ApiOrg
) -> None:
    org = api_org()
    watched = open_page()
    page = watched.page
    sign_in(page, org.email, path="/settings/api-keys")
    age_sign_in(org.base_url, org.email)

    page.get_by_role("button", name="Create API key").click()
    dialog = page.get_by_role("dialog", name="Create an API key")
    field(dialog, "Name").fill("Quarterly export")  # type: ignore[arg-type]
    expires = (date.today() + timedelta(days=90)).isoformat()
    field(dialog, "Expires on").fill(expires)  # type: ignore[arg-type]
    dialog.get_by_role("button", name="Create key").click()

    confirm = page.get_by_role("dialog", name="Confirm it's you")
    expect(confirm).to_contain_text("needs a recent sign-in")
    check_accessibility(page, "re-authentication dialog", within='form[aria-label="Confirm it\'s you"]')
    field(confirm, "Your password").fill("not my password at all")  # type: ignore[arg-type]
    confirm.get_by_role("button", name="Confirm").click()
    expect(confirm.get_by_role("alert")).to_contain_text("Not confirmed")
    field(confirm, "Your password").fill(PASSWORD)  # type: ignore[arg-type]
    confirm.get_by_role("button", name="Confirm").click()
    expect(confirm).to_have_count(0)

    # The refused request was sent again: the new key is shown once, without pressing "Create key" twice.
    created = page.get_by_role("dialog", name="Your new API key")
    secret = created.get_by_test_id("api-key-secret").inner_text().strip()
    assert secret.startswith("sl_")
    created.get_by_role("button", name="I have stored it").click()
    row = page.get_by_role("table", name="API keys").get_by_role("row").filter(has_text="Quarterly export")
    expect(row).to_have_count(1)
    # The end of the chosen local day, in UTC: that day, or the next one west of Greenwich.
    next_day = (date.today() + timedelta(days=91)).isoformat()
    expect(row.get_by_test_id("api-key-expiry").locator("time")).to_have_attribute(
        "datetime", re.compile(rf"^({expires}|{next_day})T")
    )

    # Confirmed a moment ago: the next sensitive action goes through without asking.
    page.get_by_role("button", name="Create API key").click()
    dialog = page.get_by_role("dialog", name="Create an API key")
    field(dialog, "Name").fill("Second key")  # type: ignore[arg-type]
    dialog.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("dialog", name="Your new API key")).to_be_visible()
    expect(page.get_by_role("dialog", name="Confirm it's you")).to_have_count(0)
    forgive(watched, 401, 403)


def test_the_strength_meter_reacts_and_loads_only_when_needed(open_page: OpenPage) -> None:
    page = open_page(viewport=PHONE).page
    scripts: list[str] = []
    page.on("request", lambda request: request.resource_type == "script" and scripts.append(request.url))
    page.goto("/sign-up")
    expect(page.get_by_role("heading", name="Create your organisation")).to_be_visible()
    loaded_before = len(scripts)
    meter = page.get_by_test_id("password-strength")
    expect(meter).to_have_count(0)

    field(page, "Organisation").fill("Meter Test Ltd")
    field(page, "Password").fill("password1234")
    expect(meter).to_have_attribute("data-score", re.compile(r"^[01]$"))
    expect(meter).to_contain_text(re.compile(r"Strength: (Very weak|Weak)\."))
    # The dictionaries came with the first keystroke, not with the page.
    assert len(scripts) > loaded_before, scripts
    check_accessibility(page, "sign-up: weak password (phone)")

    field(page, "Password").fill("meter test ltd 2026")
    # The organisation's own name counts as a known word: weak, whatever its length.
    expect(meter).to_have_attribute("data-score", re.compile(r"^[012]$"))
    field(page, "Password").fill("vellum orbit cactus harbour 71")
    expect(meter).to_have_attribute("data-score", re.compile(r"^[34]$"))
    expect(meter).to_contain_text(re.compile(r"Strength: (Strong|Very strong)"))
    assert_fits_width(page, "sign-up with meter (phone)")
