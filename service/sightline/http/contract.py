"""The OpenAPI document's finishing pass: what FastAPI cannot infer, derived from the routes themselves.

- `servers`, top-level `tags` with descriptions, the security schemes (session cookie, bearer API key);
  each operation's `security` from its dependencies: an operation that resolves no principal is public
  (`security: []`).
- `If-Match`: required (and 428 documented) exactly where the route declares `IfMatchRequired`; optional
  elsewhere, and then no 428 is documented (the service sends 428 only for a required, missing If-Match).
- Response headers: `ETag` where the endpoint sets one, `Idempotent-Replayed` on the success of every POST that
  honours `Idempotency-Key` (not those revealing a shown-once secret: they answer 409 instead of a replay),
  `Location` on the 201 of a create whose resource has its own URL (the service sets it: location.py),
  `Retry-After` (and the rate-limit fields) on 429 and 503, which every API operation can answer.
- A description on every operation: its docstring, then who may call it and the headers it honours.
- OpenAPI links from each create to what uses the created id (path, query or body), with the ETag as
  If-Match, so generated clients and the stateful fuzzer chain cycle → objective → key result → check-in;
  a realistic request example on the creates and edits of that chain (contract_links.py).

docs/decisions/contract-derived-from-routes.md says why this is a pass over the routes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from sightline.http.contract_links import add_links, item_path
from sightline.http.params import IF_MATCH_REQUIRED
from sightline.http.routers import all_dependencies

SESSION_COOKIE_NAME = "sightline_session"
MFA_PENDING_COOKIE_NAME = "sightline_mfa"
API_PREFIX = "/api/v1"
PROBLEM = "application/problem+json"

SERVERS = [{"url": "/", "description": "The Sightline service that serves this document (paths start at its root)"}]

TAGS: dict[str, str] = {
    "operations": "Liveness, readiness and metrics probes for the platform that runs Sightline (no tenant data)",
    "auth": "Sign-up, sign-in (password, second factor, single sign-on), sign-out, your own sessions and factors",
    "organisation": "Your organisation: name, settings (status thresholds, time zone) and single sign-on",
    "members": "People of the organisation, their roles and password resets",
    "api-keys": "API keys for integrations: scoped, shown once, revocable",
    "teams": "Teams, their hierarchy, lead and members; a team's weekly digest as of now",
    "cycles": "Planning periods (quarters, years): dates, state, closing",
    "objectives": "Objectives with their key results and progress",
    "key-results": "Measurable results of an objective: metric, start, target, plan, weight",
    "check-ins": "Values and confidence recorded against key results, corrections included; batches",
    "planning": "Planning the next cycle: carry-over of objectives and key results, with what they reached as the "
    "baseline",
    "templates": "Objective templates: the built-in marketing library and the organisation's own; create an objective "
    "and its key results from one in one request",
    "insights": "Scoreboard, health, ambition, retrospective, grades, export and import of a cycle",
    "reviews": "A team's review agenda and the record of held reviews",
    "alignment": "Alignment links between objectives and key results; trees, line of sight, map, coverage",
    "initiatives": "Work and money (budget, spend) linked to the key results it serves",
    "kpis": "KPIs tracked continuously outside cycles: healthy range, status, values; key results follow them",
    "comments": "Comments and replies on objectives, key results and check-ins, with @mentions of members",
    "notifications": "Your inbox of notifications (mentions, comments on what you own, status changes), your "
    "preferences per kind, one-click unsubscribe from notification email, and the organisation's mail delivery log "
    "(admins)",
    "events": "The organisation's event log (what changed, who changed it)",
    "webhooks": "Webhook endpoints, the event types they subscribe to, deliveries and their log",
    "integrations": "Key-result values pulled on a schedule from HTTP or SQL sources",
    "sql-connections": "PostgreSQL databases SQL sources read from (connection strings stored encrypted)",
    "team-digests": "A team's weekly digest sent to a webhook endpoint",
}

SECURITY_SCHEMES: dict[str, Any] = {
    "apiKey": {"type": "http", "scheme": "bearer", "description": "An API key: `Authorization: Bearer sl_…`"},
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE_NAME,
        "description": "The cookie set by sign-up and sign-in; `__Host-sightline_session` (Secure) over HTTPS and "
        "in production, this bare name only on plain HTTP in development",
    },
    "mfaPending": {
        "type": "apiKey",
        "in": "cookie",
        "name": MFA_PENDING_COOKIE_NAME,
        "description": "Set by a sign-in whose password was right when a second factor must follow (202); "
        "only `POST /api/v1/auth/login/mfa` reads it",
    },
}
# Operations that take a credential other than a principal's (the password step's short-lived cookie).
OTHER_CREDENTIALS: dict[tuple[str, str], list[dict[str, list[str]]]] = {
    ("post", f"{API_PREFIX}/auth/login/mfa"): [{"mfaPending": []}]
}

HEADERS: dict[str, Any] = {
    "ETag": {
        "description": "The resource's version, quoted; send it back as `If-Match` to edit or delete it",
        "schema": {"type": "string", "pattern": '^"[0-9]+"$', "examples": ['"3"']},
    },
    "Location": {
        "description": "The URL of the resource just created",
        "schema": {"type": "string", "format": "uri-reference"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the same "
        "`Idempotency-Key` (nothing was done again); absent on a first answer",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Policy": {
        "description": 'The budget that applies (draft-ietf-httpapi-ratelimit-headers), e.g. `"default";q=600;w=60`',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": 'What is left of the budget and when it resets, e.g. `"default";r=599;t=60`',
        "schema": {"type": "string"},
    },
}
# A realistic body for the creates and edits of the planning chain (cycle → objective → key result → check-in), shown
# in the documentation and used by generators: schemathesis mixes them into its generated bodies, so its stateful
# phase has bodies that pass the rules JSON Schema cannot say (dates in order, a company objective needs no team, a
# check-in without a time is "now"). A link's id (cycle_id, objective_id, …) replaces the placeholder one.
_PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"
REQUEST_EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "CycleCreate": (
        "A quarter, open for check-ins",
        {"name": "Q3 2026", "start_date": "2026-07-01", "end_date": "2026-09-30", "state": "active"},
    ),
    "ObjectiveCreate": (
        "A company objective",
        {"cycle_id": _PLACEHOLDER_ID, "title": "Delight our first hundred customers", "level": "company"},
    ),
    "ObjectiveUpdate": ("A new title", {"title": "Delight our first two hundred customers"}),
    "KeyResultCreate": (
        "A number to raise",
        {
            "objective_id": _PLACEHOLDER_ID,
            "title": "Weekly active teams",
            "metric": "number",
            "unit": "teams",
            "start_value": 10,
            "target_value": 100,
        },
    ),
    "KeyResultUpdate": ("A higher target", {"target_value": 120}),
    "CheckInCreate": (
        "A check-in now",
        {"key_result_id": _PLACEHOLDER_ID, "value": 42, "confidence": 7, "note": "Two pilots went live this week"},
    ),
}

_ETAG = {"$ref": "#/components/headers/ETag"}
_RETRY_AFTER = {"$ref": "#/components/headers/Retry-After"}


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def finish_contract(app: FastAPI, schema: dict[str, Any]) -> None:
    """Complete `schema` (FastAPI's document of `app`) in place."""
    routes = _routes(app)
    schema["servers"] = SERVERS
    components = schema.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    components["headers"] = HEADERS
    used_tags: set[str] = set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            route = routes.get((method, path))
            used_tags.update(operation.get("tags", []))
            if route is None:
                continue
            principal = _principal_dependency(route.dependant)
            _security(operation, method, path, principal is not None)
            _if_match(operation)
            _response_headers(operation, method, path, route, schema["paths"])
            _describe(operation, route, principal)
            _request_example(operation)
    unknown = used_tags - TAGS.keys()
    if unknown:
        raise RuntimeError(f"describe these tags in sightline.http.contract.TAGS: {sorted(unknown)}")
    schema["tags"] = [{"name": name, "description": text} for name, text in TAGS.items() if name in used_tags]
    add_links(schema)


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route as it is served (an included router's prefix, tags and dependencies applied)."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def _routes(app: FastAPI) -> dict[tuple[str, str], Any]:
    found = {}
    for route in api_routes(app):
        if route.include_in_schema:
            for method in route.methods:
                found[(method.lower(), route.path_format)] = route
    return found


def _principal_dependency(dependant: Dependant) -> Callable[..., Any] | None:
    """The outermost dependency that resolves the caller (a permission check or the principal itself)."""
    calls = [sub.call for sub in all_dependencies(dependant) if sub.call is not None]
    if not any(getattr(call, "__name__", "") == "current_principal" for call in calls):
        return None
    for call in calls:
        if _scope_of(call) is not None or getattr(call, "__name__", "") == "recent_sign_in":
            return call
    return next(call for call in calls if getattr(call, "__name__", "") == "current_principal")


def _scope_of(call: Callable[..., Any]) -> str | None:
    try:
        scope = inspect.getclosurevars(call).nonlocals.get("scope")
    except TypeError:
        return None
    return scope if isinstance(scope, str) else None


def _security(operation: dict[str, Any], method: str, path: str, authenticated: bool) -> None:
    if (method, path) in OTHER_CREDENTIALS:
        operation["security"] = OTHER_CREDENTIALS[(method, path)]
    elif authenticated:
        operation["security"] = [{"apiKey": []}, {"session": []}]
    else:
        operation["security"] = []


def _if_match(operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    required = False
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "header" or parameter["name"].lower() != "if-match":
            continue
        required = bool(parameter["schema"].pop(IF_MATCH_REQUIRED, False)) if "schema" in parameter else False
        parameter["name"] = "If-Match"
        parameter["required"] = required
        parameter["schema"] = {"type": "string"}
        parameter["description"] = (
            "The ETag of your last read (`*`: any version). "
            + ("Required: without it 428. " if required else "Optional: without it the change is not guarded. ")
            + "A stale one answers 412."
        )
    if required:
        responses["428"] = _problem("If-Match required: send the ETag of your last read")
    else:
        responses.pop("428", None)


def _request_example(operation: dict[str, Any]) -> None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return
    example = REQUEST_EXAMPLES.get(content.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1])
    if example is not None:
        summary, value = example
        content["examples"] = {"typical": {"summary": summary, "value": value}}


def _sets_etag(endpoint: Callable[..., Any]) -> bool:
    while True:
        code = getattr(endpoint, "__code__", None)
        if code is not None and "set_etag" in code.co_names:
            return True
        wrapped = getattr(endpoint, "__wrapped__", None)
        if wrapped is None:
            return False
        endpoint = wrapped


def _idempotent(operation: dict[str, Any]) -> bool:
    return any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))


def _response_headers(operation: dict[str, Any], method: str, path: str, route: Any, paths: dict[str, Any]) -> None:
    responses = operation["responses"]
    successes = [code for code in responses if code.startswith("2")]
    replays = _idempotent(operation) and not getattr(route.endpoint, "_reveals_secret", False)
    for code in successes:
        headers = responses[code].setdefault("headers", {})
        if _sets_etag(route.endpoint):
            headers["ETag"] = _ETAG
        if replays:
            headers["Idempotent-Replayed"] = {"$ref": "#/components/headers/Idempotent-Replayed"}
        if code == "201" and method == "post" and item_path(path, paths):
            headers["Location"] = {"$ref": "#/components/headers/Location"}
        if not headers:
            del responses[code]["headers"]
    if path.startswith(API_PREFIX):
        limit = {
            "Retry-After": _RETRY_AFTER,
            "RateLimit-Policy": {"$ref": "#/components/headers/RateLimit-Policy"},
            "RateLimit": {"$ref": "#/components/headers/RateLimit"},
        }
        responses["429"] = _problem("Too many requests: wait for Retry-After", limit)
        responses["503"] = _problem(
            "Please retry after Retry-After (a collision with concurrent writes, or the service is busy)",
            {"Retry-After": _RETRY_AFTER},
        )
    elif "503" in responses:
        responses["503"].setdefault("headers", {})["Retry-After"] = _RETRY_AFTER


def _describe(operation: dict[str, Any], route: Any, principal: Callable[..., Any] | None) -> None:
    parts = [operation["description"].strip()] if operation.get("description") else [operation["summary"] + "."]
    security = operation.get("security")
    if security == []:
        parts.append("**Access:** public, no credential.")
    elif principal is None:
        parts.append("**Access:** the cookie of the password step (`mfaPending`).")
    else:
        scope = _scope_of(principal)
        if scope is not None:
            who = f"a member or API key with the `{scope}` permission"
        elif getattr(principal, "__name__", "") == "recent_sign_in":
            who = "a signed-in member who confirmed their password or second factor recently"
        else:
            who = "any signed-in member or API key"
        parts.append(f"**Access:** {who}.")
    parameters = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
    if "If-Match" in parameters:
        if parameters["If-Match"]["required"]:
            parts.append("**If-Match** is required: the ETag of your last read (428 without it, 412 when stale).")
        else:
            parts.append("**If-Match** (optional) guards the change: a stale ETag answers 412.")
    if "Idempotency-Key" in parameters:
        if getattr(route.endpoint, "_reveals_secret", False):
            parts.append(
                "**Idempotency-Key** is honoured, but the answer holds a secret shown once: a retry with the same "
                "key answers 409 instead of replaying it."
            )
        else:
            parts.append("**Idempotency-Key** makes a retry safe: the same key replays the first answer.")
    operation["description"] = "\n\n".join(parts)
