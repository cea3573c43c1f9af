"""The audit trail (issue 20, point 8): security events, who reads which events, the access log's fields."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.integrations.oidc_provider import TestProvider, configure, local_idp, provider
from tests.support import PASSWORD, SignUp, Tenant, create, enrol, make_client

from sightline.http import middleware
from sightline.identity import security_events as security

__all__ = ["local_idp", "provider"]  # fixtures


class Recorder:
    """Stands in for a structlog logger: keeps every call's event name and fields."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def _keep(self, event: str, **fields: Any) -> None:
        self.lines.append({"event": event, **fields})

    info = warning = error = exception = _keep

    def named(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["event"] == event]


async def _events(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/events", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _add_member(tenant: Tenant, role: str = "member") -> tuple[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.test"
    member = await create(
        tenant.client, "/api/v1/members", {"email": email, "name": f"A {role}", "role": role, "password": PASSWORD}
    )
    return email, member["id"]


# Sign-in, failed sign-in, sign-out -------------------------------------------------------------------------
async def test_sign_in_failure_and_sign_out_are_events_of_the_members_organisation(
    app: FastAPI, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = Recorder()
    monkeypatch.setattr(security, "log", log)
    email, member_id = await _add_member(tenant)
    wrong = "not the password at all 123"
    async with make_client(app, headers={"User-Agent": "audit-test/1.0"}) as browser:
        refused = await browser.post("/api/v1/auth/login", json={"email": email.upper(), "password": wrong})
        assert refused.status_code == 401
        signed_in = await browser.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        assert (await browser.post("/api/v1/auth/logout")).status_code == 204

    trail = await _events(tenant.client, object_id=member_id)
    types = [event["type"] for event in trail]
    assert types[-3:] == ["member.sign_in_failed", "member.signed_in", "member.signed_out"], types
    failed, succeeded, ended = trail[-3:]
    assert failed["actor"] == "anonymous" and failed["object_type"] == "member"
    assert failed["after"]["reason"] == "wrong_password" and failed["after"]["method"] == "password"
    assert failed["after"]["email"] == email and failed["after"]["user_agent"] == "audit-test/1.0"
    assert failed["after"]["client_address"]
    assert succeeded["actor"] == ended["actor"] == f"user:{member_id}"
    assert succeeded["after"]["method"] == "password"
    # Never the password, right or wrong.
    assert wrong not in json.dumps(trail) and PASSWORD not in json.dumps(trail)
    # The operator's log has the failure too, with the email's digest only.
    [line] = log.named("sign_in_failed")
    assert line["email_sha256"] == security.email_digest(email) and line["organisations_told"] == 1
    assert email not in json.dumps(line) and wrong not in json.dumps(line)


async def test_a_failed_sign_in_for_an_unknown_email_goes_to_the_log_only(
    app: FastAPI, tenant: Tenant, anon: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = Recorder()
    monkeypatch.setattr(security, "log", log)
    before = len(await _events(tenant.client, type="member.*"))
    email = f"nobody-{uuid.uuid4().hex[:8]}@example.test"
    refused = await anon.post("/api/v1/auth/login", json={"email": email, "password": "whatever it is 123"})
    assert refused.status_code == 401
    assert len(await _events(tenant.client, type="member.*")) == before
    [line] = log.named("sign_in_failed")
    assert line["organisations_told"] == 0 and line["email_sha256"] == security.email_digest(email)


async def test_a_failed_sign_in_naming_an_organisation_is_told_to_that_one_only(
    app: FastAPI, signup: SignUp, anon: httpx.AsyncClient
) -> None:
    first, second = await signup("Audit One"), await signup("Audit Two")
    email = f"twice-{uuid.uuid4().hex[:8]}@example.test"
    ids = []
    for tenant in (first, second):
        member = await create(
            tenant.client, "/api/v1/members", {"email": email, "name": "Twice", "role": "member", "password": PASSWORD}
        )
        ids.append(member["id"])
    refused = await anon.post(
        "/api/v1/auth/login",
        json={"email": email, "password": "wrong wrong wrong 1", "organisation_id": second.org_id},
    )
    assert refused.status_code == 401
    assert await _events(first.client, type="member.sign_in_failed") == []
    [told] = await _events(second.client, type="member.sign_in_failed")
    assert told["object_id"] == ids[1]


async def test_throttled_sign_ins_are_logged_not_written_to_the_audit_log(
    app: FastAPI, tenant: Tenant, anon: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = Recorder()
    monkeypatch.setattr(security, "log", log)
    email, member_id = await _add_member(tenant)
    statuses = [
        (await anon.post("/api/v1/auth/login", json={"email": email, "password": f"wrong guess {n} 12345"})).status_code
        for n in range(8)
    ]
    assert 429 in statuses, statuses
    failures = await _events(tenant.client, type="member.sign_in_failed", object_id=member_id)
    assert len(failures) == statuses.count(401)
    assert len(log.named("sign_in_throttled")) == statuses.count(429)


# Other security actions ------------------------------------------------------------------------------------
async def test_organisation_changes_and_revealed_webhook_secrets_are_recorded(app: FastAPI, tenant: Tenant) -> None:
    organisation = await tenant.client.get("/api/v1/organisation")
    renamed = await tenant.client.patch(
        "/api/v1/organisation",
        json={"name": "Renamed Inc"},
        headers={"If-Match": organisation.headers["etag"]},
    )
    assert renamed.status_code == 200, renamed.text
    [changed] = await _events(tenant.client, type="organisation.updated")
    assert changed["before"]["name"] == organisation.json()["name"] and changed["after"]["name"] == "Renamed Inc"
    assert changed["actor"] == f"user:{tenant.owner_id}"

    endpoint = await create(tenant.client, "/api/v1/webhook-endpoints", {"url": "https://hooks.example.com/in"})
    revealed = await tenant.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/secret")
    assert revealed.status_code == 200
    [event] = await _events(tenant.client, type="endpoint.secret_revealed")
    assert event["object_id"] == endpoint["id"] and event["actor"] == f"user:{tenant.owner_id}"
    assert revealed.json()["secret"] not in json.dumps(event)


async def test_the_existing_security_actions_are_in_the_catalogue() -> None:
    from sightline.webhooks.catalogue import BY_TYPE

    for kind in (
        "member.signed_in",
        "member.sign_in_failed",
        "member.signed_out",
        "member.created",
        "member.updated",
        "member.removed",
        "member.password_changed",
        "member.password_reset",
        "api_key.created",
        "api_key.revoked",
        "sso.configured",
        "sso.removed",
        "endpoint.secret_rotated",
        "endpoint.secret_revealed",
        "organisation.updated",
    ):
        assert kind in BY_TYPE, kind


# Who reads what --------------------------------------------------------------------------------------------
async def test_events_of_admin_only_configuration_and_others_security_events_are_for_admins(
    app: FastAPI, tenant: Tenant
) -> None:
    endpoint = await create(tenant.client, "/api/v1/webhook-endpoints", {"url": "https://hooks.example.com/in"})
    key = await create(tenant.client, "/api/v1/api-keys", {"name": "ci", "scopes": ["read"]})
    viewer, viewer_id = await tenant.member_client(app, "viewer")  # signs in: member.signed_in
    member, member_id = await tenant.member_client(app, "member")
    reader, _ = await tenant.api_key_client(app, ["read"])
    await create(tenant.client, "/api/v1/teams", {"name": "Visible team"})

    admin_view = await _events(tenant.client)
    admin_types = {event["type"] for event in admin_view}
    assert {"endpoint.created", "api_key.created", "member.signed_in", "team.created"} <= admin_types
    hidden_families = ("endpoint.", "api_key.", "integration.", "sql_connection.", "sso.", "team_digest.")

    for client, me in ((viewer, viewer_id), (member, member_id), (reader, None)):
        seen = await _events(client)
        assert "team.created" in {event["type"] for event in seen}
        assert not [event for event in seen if event["type"].startswith(hidden_families)], seen
        security_events = [event for event in seen if event["type"] == "member.signed_in"]
        # A person reads their own sign-ins; a read-only key reads nobody's.
        assert [event["object_id"] for event in security_events] == ([me] if me else [])
        # The type filter does not open them either.
        assert await _events(client, type="endpoint.*") == []
        assert await _events(client, object_id=key["id"]) == []

    created = next(event for event in admin_view if event["type"] == "endpoint.created")
    others_sign_in = next(
        event for event in admin_view if event["type"] == "member.signed_in" and event["object_id"] == member_id
    )
    team = next(event for event in admin_view if event["type"] == "team.created")
    for event in (created, others_sign_in):
        assert (await tenant.client.get(f"/api/v1/events/{event['id']}")).status_code == 200
        for client in (viewer, reader):
            hidden = await client.get(f"/api/v1/events/{event['id']}")
            assert hidden.status_code == 404, hidden.text
            assert hidden.headers["content-type"] == "application/problem+json"
    assert (await viewer.get(f"/api/v1/events/{team['id']}")).json()["type"] == "team.created"
    assert (await member.get(f"/api/v1/events/{others_sign_in['id']}")).status_code == 200
    assert (await viewer.get(f"/api/v1/events/{uuid.uuid4()}")).status_code == 404
    assert endpoint["id"]


async def test_each_security_action_writes_its_event_and_only_admins_read_it(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider
) -> None:
    client = tenant.client
    viewer, _ = await tenant.member_client(app, "viewer")
    _, member_id = await tenant.member_client(app, "member")
    key = await create(client, "/api/v1/api-keys", {"name": "short-lived", "scopes": ["read"]})
    assert (await client.delete(f"/api/v1/api-keys/{key['id']}")).status_code == 204
    assert (await client.patch(f"/api/v1/members/{member_id}", json={"role": "viewer"})).status_code == 200
    hook = await create(client, "/api/v1/webhook-endpoints", {"url": "https://hooks.example.com/in"})
    assert (await client.post(f"/api/v1/webhook-endpoints/{hook['id']}/rotate-secret")).status_code == 200
    await enrol(client)
    await enrol(client)  # a new authenticator app replaces the first
    assert (await client.post("/api/v1/me/mfa/recovery-codes")).status_code == 200
    sql = {"name": "CRM", "dsn": "postgresql://ro:pw@db.example.com/crm"}
    connection = await create(client, "/api/v1/sql-connections", sql)
    await configure(tenant, local_idp)
    assert (await client.delete("/api/v1/organisation/sso")).status_code == 204

    events = await _events(client)
    written = {(event["type"], event["object_id"]) for event in events}
    owner = tenant.owner_id
    assert {
        ("api_key.revoked", key["id"]),
        ("member.updated", member_id),
        ("endpoint.secret_rotated", hook["id"]),
        ("mfa.enrolled", owner),
        ("mfa.replaced", owner),
        ("mfa.recovery_codes_renewed", owner),
        ("sql_connection.created", connection["id"]),
    } <= written
    assert {"sso.configured", "sso.removed"} <= {event["type"] for event in events}
    role_change = next(e for e in events if e["type"] == "member.updated" and e["object_id"] == member_id)
    assert (role_change["before"]["role"], role_change["after"]["role"]) == ("member", "viewer")

    seen = {event["type"] for event in await _events(viewer)}
    assert not {t for t in seen if t.startswith(("api_key.", "endpoint.", "mfa.", "sql_connection.", "sso."))}, seen
    assert "member.updated" in seen  # what is not about security or configuration stays readable


# The access log --------------------------------------------------------------------------------------------
async def test_the_access_log_names_actor_organisation_and_address_and_the_request_id_is_the_servers(
    app: FastAPI, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = Recorder()
    monkeypatch.setattr(middleware, "access_log", log)
    response = await tenant.client.get("/api/v1/me", headers={"X-Request-ID": "client-42.a_b"})
    assert response.status_code == 200
    server_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", server_id) and server_id != "client-42.a_b"
    [line] = log.named("request")
    assert line["request_id"] == server_id and line["client_request_id"] == "client-42.a_b"
    assert line["actor"] == f"user:{tenant.owner_id}" and line["org_id"] == tenant.org_id
    assert line["client_address"] == "127.0.0.1"

    # Ill-formed ids are not kept; the server's id is fresh for every request, even for a repeated client id.
    for bad in ("x" * 65, "semi;colon", "spaces are bad", "ünïcode"):
        again = await tenant.client.get("/api/v1/me", headers={"X-Request-ID": bad.encode()})
        assert again.headers["x-request-id"] != bad
        assert log.lines[-1]["client_request_id"] is None, bad
    repeat = await tenant.client.get("/api/v1/me", headers={"X-Request-ID": "client-42.a_b"})
    assert repeat.headers["x-request-id"] != server_id

    # A problem carries the server's id too.
    missing = await tenant.client.get(f"/api/v1/events/{uuid.uuid4()}", headers={"X-Request-ID": "mine"})
    assert missing.json()["request_id"] == missing.headers["x-request-id"] != "mine"


async def test_a_person_reads_the_sessions_they_ended_and_others_do_not(app: FastAPI, tenant: Tenant) -> None:
    email, member_id = await _add_member(tenant)
    async with make_client(app) as laptop, make_client(app) as phone:
        for browser in (laptop, phone):
            assert (await browser.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})).is_success
        ended = await laptop.post("/api/v1/me/sessions/end-others")
        assert ended.status_code == 204, ended.text
        [own] = await _events(laptop, type="session.ended")
        assert own["actor"] == f"user:{member_id}"
        viewer, _ = await tenant.member_client(app, "viewer")
        assert await _events(viewer, type="session.ended") == []
        assert (await viewer.get(f"/api/v1/events/{own['id']}")).status_code == 404
        assert (await tenant.client.get(f"/api/v1/events/{own['id']}")).status_code == 200
