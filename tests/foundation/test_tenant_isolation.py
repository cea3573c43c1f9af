"""Organisation B calls every id-taking operation of the contract with organisation A's ids: 404, no leak.

The operation list comes from the OpenAPI document, so a new route is covered (or fails here) automatically.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI
from tests.support import PASSWORD, SignUp, create, make_client, okr_setup

# A valid body for each operation that takes one, so validation never hides the authorisation answer.
BODIES: dict[str, dict[str, Any]] = {
    "members-update_member": {"name": "Renamed"},
    "teams-update_team": {"name": "Renamed"},
    "cycles-update_cycle": {"name": "Renamed"},
    "objectives-update_objective": {"title": "Renamed"},
    "key-results-update_key_result": {"title": "Renamed"},
    "webhooks-update_endpoint": {"description": "Renamed"},
    "webhooks-recover_endpoint": {"since": "2026-01-01T00:00:00Z"},
    "insights-import_cycle": {"key_results_csv": "objective,title,target_value\nGrow demand,Leads,10\n"},
    "reviews-record_review": {"notes": "Reviewed"},
    "initiatives-update_initiative": {"title": "Renamed"},
    "initiatives-replace_key_results": {"key_results": []},
    "initiatives-record_spend": {"amount": "1.00"},
    "integrations-update_integration": {"schedule": "weekly"},
    "sql-connections-update_connection": {"description": "Renamed"},
    "team-digests-update_digest": {"hour": 10},
    "comments-update_comment": {"body": "Renamed"},
    "templates-apply_template": {"cycle_id": "00000000-0000-4000-8000-000000000000", "level": "company"},
    "planning-carry_over_into_cycle": {"objectives": [{"objective_id": "00000000-0000-4000-8000-000000000000"}]},
    "kpis-update_kpi": {"name": "Renamed"},
    "kpis-record_value": {"value": 1},
}


async def test_every_id_taking_operation_refuses_other_orgs_ids(app: FastAPI, signup: SignUp) -> None:
    a = await signup("Alpha Secret Org")
    b = await signup("Beta Org")
    key = (await a.client.post("/api/v1/api-keys", json={"name": "Alpha key", "scopes": ["read"]})).json()
    member = await a.client.post("/api/v1/members", json={"email": "alpha@example.test", "name": "Alpha Person"})
    team = await create(a.client, "/api/v1/teams", {"name": "Alpha Team"})
    okr = await okr_setup(a.client, name="Alpha Cycle")
    kr = await create(
        a.client, "/api/v1/key-results", {"objective_id": okr.objective["id"], "title": "Alpha KR", "target_value": 10}
    )
    endpoint = await create(
        a.client, "/api/v1/webhook-endpoints", {"url": "https://hooks.example.com/alpha", "description": "Alpha hook"}
    )
    check_in = await create(a.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 3})
    # Disabled again at once: its deliveries are held back, so no dispatcher ever tries to send them.
    assert (await a.client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": False})).is_success
    deliveries = (await a.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries")).json()["items"]
    child = await create(
        a.client,
        "/api/v1/objectives",
        {"cycle_id": okr.cycle["id"], "title": "Alpha child", "level": "team", "team_id": team["id"]},
    )
    link = await create(
        a.client, "/api/v1/alignments", {"child_objective_id": child["id"], "parent_objective_id": okr.objective["id"]}
    )
    initiative = await create(
        a.client,
        "/api/v1/initiatives",
        {"title": "Alpha Campaign", "planned_budget": "777.00", "key_results": [{"key_result_id": kr["id"]}]},
    )
    await create(a.client, f"/api/v1/initiatives/{initiative['id']}/spend", {"amount": "12.34", "note": "Alpha spend"})
    connection = await create(
        a.client,
        "/api/v1/sql-connections",
        {"name": "Alpha warehouse", "dsn": "postgresql://reader:alpha-secret@db.example.com/alpha"},
    )
    integration = await create(
        a.client,
        "/api/v1/integrations",
        {
            "name": "alpha-crm",
            "key_result_id": kr["id"],
            "enabled": False,  # never pulled: the matrix only needs its id
            "source": {"kind": "http", "url": "https://crm.example.com/alpha", "json_path": "$.total"},
        },
    )
    digest = await create(a.client, "/api/v1/team-digests", {"team_id": team["id"], "endpoint_id": endpoint["id"]})
    review_body = {"notes": "Alpha review notes", "decisions": ["Alpha decision"]}
    review = await create(a.client, f"/api/v1/teams/{team['id']}/reviews", review_body)
    comment_body = {"target_type": "key_result", "target_id": kr["id"], "body": "Alpha comment"}
    comment = await create(a.client, "/api/v1/comments", comment_body)
    invitation = await create(a.client, "/api/v1/invitations", {"email": "alpha-invitee@example.test"})
    writer = {"email": "alpha-writer@example.test", "name": "Alpha Writer", "role": "member", "password": PASSWORD}
    await create(a.client, "/api/v1/members", writer)
    async with make_client(app) as writer_client:  # a mention of A's owner: a notification in A's owner's inbox
        signed_in = await writer_client.post(
            "/api/v1/auth/login", json={"email": writer["email"], "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        ping = {"target_type": "key_result", "target_id": kr["id"], "body": f"Alpha ping @[O](user:{a.owner_id})"}
        await create(writer_client, "/api/v1/comments", ping)
    notification = (await a.client.get("/api/v1/me/notifications")).json()["items"][0]
    kpi = await create(
        a.client, "/api/v1/kpis", {"name": "Alpha KPI", "direction": "higher_is_better", "healthy_min": 5}
    )
    await create(a.client, f"/api/v1/kpis/{kpi['id']}/values", {"value": 7, "note": "Alpha value"})
    template_body = {"title": "Alpha template", "key_results": [{"title": "Alpha template KR", "target_value": 5}]}
    template = await create(a.client, "/api/v1/templates", template_body)
    ids = {
        "member_id": member.json()["id"],
        "key_id": key["id"],
        "team_id": team["id"],
        "cycle_id": okr.cycle["id"],
        "objective_id": okr.objective["id"],
        "key_result_id": kr["id"],
        "check_in_id": check_in["id"],
        "endpoint_id": endpoint["id"],
        "delivery_id": deliveries[0]["id"],
        "alignment_id": link["id"],
        "initiative_id": initiative["id"],
        "integration_id": integration["id"],
        "connection_id": connection["id"],
        "digest_id": digest["id"],
        "review_id": review["id"],
        "comment_id": comment["id"],
        "invitation_id": invitation["id"],
        "notification_id": notification["id"],
        "template_id": template["id"],
        "kpi_id": kpi["id"],
        "session_id": (await a.client.get("/api/v1/me/sessions")).json()[0]["id"],
        "event_id": (await a.client.get("/api/v1/events", params={"limit": 1})).json()["items"][0]["id"],
    }
    secrets_of_a = [
        a.org_id,
        a.owner_id,
        *ids.values(),
        "Alpha Secret Org",
        "Alpha Person",
        "alpha@example.test",
        "Alpha Team",
        "Alpha Cycle",
        "Alpha KR",
        "hooks.example.com",
        "Alpha hook",
        "Alpha Campaign",
        "Alpha spend",
        "Alpha warehouse",
        "alpha-secret",
        "alpha-crm",
        "crm.example.com",
        "Alpha review notes",
        "Alpha decision",
        "Alpha comment",
        "alpha-invitee@example.test",
        "Alpha ping",
        "Alpha template",
        "Alpha KPI",
        "Alpha value",
    ]

    operations = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            params = re.findall(r"{(\w+)}", path)
            if params:
                operations.append((method.upper(), path, params, operation["operationId"]))
    assert operations
    for method, path, params, operation_id in operations:
        missing = [p for p in params if p not in ids]
        assert not missing, f"{operation_id}: no id of organisation A for {missing}; extend this test"
        url = path.format(**{p: ids[p] for p in params})
        body = BODIES.get(operation_id)
        if method in ("POST", "PATCH", "PUT"):
            assert body is not None or method == "POST", f"{operation_id}: add a valid body to BODIES"
        response = await b.client.request(method, url, json=body)
        assert response.status_code == 404, f"{operation_id} {url}: {response.status_code} {response.text}"
        # `instance` echoes B's own request path; everything else must be free of A's data.
        text = json.dumps({k: v for k, v in response.json().items() if k != "instance"})
        for secret in secrets_of_a:
            assert secret not in text, f"{operation_id} leaks {secret!r}"
    print(f"isolation matrix: {len(operations)} id-taking operations checked")
    # A's data is untouched by B's attempts.
    assert (await a.client.get(f"/api/v1/members/{ids['member_id']}")).json()["name"] == "Alpha Person"
    assert (await a.client.get(f"/api/v1/api-keys/{ids['key_id']}")).json()["revoked_at"] is None
    assert (await a.client.get(f"/api/v1/key-results/{kr['id']}")).json()["title"] == "Alpha KR"
    alpha_campaign = (await a.client.get(f"/api/v1/initiatives/{initiative['id']}")).json()
    assert (alpha_campaign["title"], alpha_campaign["actual_spend"], alpha_campaign["version"]) == (
        "Alpha Campaign",
        "12.34",
        1,
    )
    assert len(alpha_campaign["key_results"]) == 1
    unread = await a.client.get("/api/v1/me/notifications/unread-count")
    assert unread.json() == {"unread_count": 1}  # B's attempt to mark it read changed nothing


async def test_other_orgs_ids_in_bodies_and_filters_are_not_found(signup: SignUp) -> None:
    a = await signup("Alpha")
    b = await signup("Beta")
    okr_a = await okr_setup(a.client)
    kr_a = await create(
        a.client,
        "/api/v1/key-results",
        {"objective_id": okr_a.objective["id"], "title": "Alpha KR", "target_value": 10},
    )
    team_a = await create(a.client, "/api/v1/teams", {"name": "Alpha Team"})
    okr_b = await okr_setup(b.client)
    refused = [
        await b.client.post("/api/v1/check-ins", json={"key_result_id": kr_a["id"], "value": 1}),
        await b.client.post(
            "/api/v1/key-results", json={"objective_id": okr_a.objective["id"], "title": "x", "target_value": 2}
        ),
        await b.client.post(
            "/api/v1/objectives", json={"cycle_id": okr_a.cycle["id"], "title": "x", "level": "company"}
        ),
        await b.client.post(
            "/api/v1/objectives",
            json={"cycle_id": okr_b.cycle["id"], "title": "x", "level": "team", "team_id": team_a["id"]},
        ),
        await b.client.post("/api/v1/teams", json={"name": "x", "parent_id": team_a["id"]}),
    ]
    assert [r.status_code for r in refused] == [404] * len(refused)
    batch = await b.client.post("/api/v1/check-ins:batch", json={"items": [{"key_result_id": kr_a["id"], "value": 1}]})
    assert batch.status_code == 422
    assert batch.json()["errors"][0]["loc"] == ["body", "items", 0, "key_result_id"]
    member_a_as_owner = await b.client.post("/api/v1/teams", json={"name": "x", "lead_id": a.owner_id})
    assert member_a_as_owner.status_code == 422
    listed = await b.client.get("/api/v1/key-results", params={"objective_id": okr_a.objective["id"]})
    assert listed.json()["items"] == []
    assert kr_a["id"] not in (await b.client.get("/api/v1/check-ins", params={"key_result_id": kr_a["id"]})).text


async def test_other_orgs_ids_in_initiative_bodies_and_filters_are_not_found(signup: SignUp) -> None:
    a = await signup("Alpha")
    b = await signup("Beta")
    okr_a = await okr_setup(a.client)
    kr_a = await create(
        a.client, "/api/v1/key-results", {"objective_id": okr_a.objective["id"], "title": "Alpha KR", "target_value": 9}
    )
    team_a = await create(a.client, "/api/v1/teams", {"name": "Alpha Team"})
    initiative_a = await create(
        a.client, "/api/v1/initiatives", {"title": "Alpha work", "key_results": [{"key_result_id": kr_a["id"]}]}
    )
    initiative_b = await create(b.client, "/api/v1/initiatives", {"title": "Beta work"})
    link_a = {"key_results": [{"key_result_id": kr_a["id"], "share": "0.5"}]}
    refused = [
        await b.client.post("/api/v1/initiatives", json={"title": "x", **link_a}),
        await b.client.put(
            f"/api/v1/initiatives/{initiative_b['id']}/key-results", json=link_a, headers={"If-Match": '"1"'}
        ),
        await b.client.post("/api/v1/initiatives", json={"title": "x", "team_id": team_a["id"]}),
    ]
    assert [r.status_code for r in refused] == [404, 404, 404]
    owner_a = await b.client.post("/api/v1/initiatives", json={"title": "x", "owner_id": a.owner_id})
    assert owner_a.status_code == 422
    for params in (
        {"key_result_id": kr_a["id"]},
        {"objective_id": okr_a.objective["id"]},
        {"cycle_id": okr_a.cycle["id"]},
        {"team_id": team_a["id"]},
        {"owner_id": a.owner_id},
    ):
        listed = await b.client.get("/api/v1/initiatives", params=params)
        assert listed.json()["items"] == [], params
    assert "Alpha" not in (await b.client.get("/api/v1/initiatives")).text
    assert (await b.client.get(f"/api/v1/initiatives/{initiative_b['id']}")).json()["key_results"] == []
    # A's initiative is untouched: still linked to its key result.
    read_a = (await a.client.get(f"/api/v1/initiatives/{initiative_a['id']}")).json()
    assert [link["key_result_id"] for link in read_a["key_results"]] == [kr_a["id"]]
