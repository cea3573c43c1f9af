"""The generated contract passes tools the project did not write, and states what clients need to know.

Redocly's recommended rules and Spectral's `spectral:oas` run on the document the code generates (not a copy);
the other tests check properties over every operation and schema of it, never a hand-kept list.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sightline.cli import openapi_json

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "client" / "node_modules" / ".bin"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Spectral warnings the project accepts, each with its reason in docs/api.md ("Linting the contract").
ACCEPTED_SPECTRAL_WARNINGS = {"info-contact"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return dict(json.loads(openapi_json()))


@pytest.fixture(scope="module")
def contract_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("contract") / "openapi.json"
    path.write_text(openapi_json())
    return path


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def walk(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{where}/{index}")


def test_redocly_recommended_rules_find_no_error(contract_file: Path) -> None:
    result = subprocess.run(
        [
            str(BIN / "redocly"),
            "lint",
            "--config",
            str(ROOT / "openapi" / "redocly.yaml"),
            "--format=json",
            str(contract_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    report = json.loads(result.stdout)
    errors = [f"{p['ruleId']}: {p['message']} at {p['location'][0]['pointer']}" for p in report["problems"]]
    errors = [e for e, p in zip(errors, report["problems"], strict=True) if p["severity"] == "error"]
    assert errors == [], "\n".join(errors[:40])
    assert report["totals"]["errors"] == 0


def test_spectral_oas_rules_find_no_error_and_only_explained_warnings(contract_file: Path) -> None:
    result = subprocess.run(
        [
            str(BIN / "spectral"),
            "lint",
            "--ruleset",
            str(ROOT / "openapi" / ".spectral.yaml"),
            "--format",
            "json",
            "--quiet",
            str(contract_file),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    problems = json.loads(result.stdout or "[]")
    errors = [f"{p['code']}: {p['message']} at {'/'.join(map(str, p['path']))}" for p in problems if p["severity"] == 0]
    assert errors == [], "\n".join(errors[:40])
    warnings = {p["code"] for p in problems if p["severity"] == 1}
    assert warnings <= ACCEPTED_SPECTRAL_WARNINGS, f"explain in docs/api.md or fix: {warnings}"
    guide = (ROOT / "docs" / "api.md").read_text()
    for code in warnings:
        assert f"`{code}`" in guide, f"docs/api.md does not say why Spectral's {code} warning stays"


def test_limits_are_json_schema_keywords(document: dict[str, Any]) -> None:
    """pydantic's own names (ge, le, gt, lt) mean nothing to a client; minimum/maximum/exclusive* do."""
    keywords = {"ge", "le", "gt", "lt"}
    leaked = [where for where, node in walk(document) if not where.endswith("/properties") and keywords & node.keys()]
    assert leaked == []
    weight = document["components"]["schemas"]["KeyResultCreate"]["properties"]["weight"]
    assert (weight["exclusiveMinimum"], weight["maximum"]) == (0, 100)
    value = document["components"]["schemas"]["CheckInCreate"]["properties"]["value"]
    assert (value["minimum"], value["maximum"]) == (-1e15, 1e15)


def test_document_level_servers_tags_and_security_schemes(document: dict[str, Any]) -> None:
    assert document["servers"] and all(server.get("url") for server in document["servers"])
    tags = {tag["name"]: tag.get("description") for tag in document["tags"]}
    used = {tag for _, _, operation in operations(document) for tag in operation["tags"]}
    assert used <= tags.keys(), f"tags without a top-level entry: {used - tags.keys()}"
    assert all(tags[name] for name in used), "every tag has a description"
    schemes = document["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["apiKey"].items()
    assert (schemes["session"]["type"], schemes["session"]["in"]) == ("apiKey", "cookie")


def test_every_operation_has_a_description_and_declares_its_security(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"].keys()
    public = set()
    for method, path, operation in operations(document):
        where = f"{method.upper()} {path}"
        assert operation.get("description", "").strip(), f"{where} has no description"
        assert "security" in operation, f"{where} does not say how it authenticates"
        for requirement in operation["security"]:
            assert requirement.keys() <= schemes, where
        if operation["security"] == []:
            public.add(where)
    # What needs no credential at all: the probes, sign-up, sign-in, email verification and the SSO redirects.
    assert {"POST /api/v1/signup", "POST /api/v1/auth/login", "GET /healthz", "GET /api/v1/auth/sso/start"} <= public
    assert "GET /api/v1/objectives" not in public


def test_if_match_is_required_exactly_where_428_is_documented(document: dict[str, Any]) -> None:
    required = set()
    for method, path, operation in operations(document):
        where = f"{method.upper()} {path}"
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        if_match = headers.get("If-Match")
        assert "if-match" not in headers, where
        if if_match is not None and if_match["required"]:
            required.add(where)
        assert ("428" in operation["responses"]) == (where in required), where
    assert required == {
        "PATCH /api/v1/organisation",
        "PATCH /api/v1/objectives/{objective_id}",
        "DELETE /api/v1/objectives/{objective_id}",
        "PATCH /api/v1/key-results/{key_result_id}",
        "DELETE /api/v1/key-results/{key_result_id}",
        "PATCH /api/v1/initiatives/{initiative_id}",
        "DELETE /api/v1/initiatives/{initiative_id}",
        "PUT /api/v1/initiatives/{initiative_id}/key-results",
        "PATCH /api/v1/comments/{comment_id}",
        "DELETE /api/v1/comments/{comment_id}",
        "PATCH /api/v1/kpis/{kpi_id}",
        "DELETE /api/v1/kpis/{kpi_id}",
    }


def test_response_headers_are_declared(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        where = f"{method.upper()} {path}"
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            if status in ("429", "503"):
                assert "Retry-After" in headers, f"{where} {status}"
            keyed = any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
            if status.startswith("2") and keyed and "shown once" not in operation["description"]:
                assert "Idempotent-Replayed" in headers, f"{where} {status}"
        if path.startswith("/api/v1"):
            assert {"429", "503"} <= operation["responses"].keys(), where
    created = document["paths"]["/api/v1/objectives"]["post"]["responses"]["201"]["headers"]
    assert {"ETag", "Location", "Idempotent-Replayed"} <= created.keys()


def test_each_media_type_of_the_export_has_its_own_operation(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith("2") and not operation.get("deprecated"):
                assert len(response.get("content", {})) <= 1, f"{method.upper()} {path} {status}"
    csv = document["paths"]["/api/v1/cycles/{cycle_id}/export/csv"]["get"]["responses"]["200"]["content"]
    as_json = document["paths"]["/api/v1/cycles/{cycle_id}/export/json"]["get"]["responses"]["200"]["content"]
    assert list(csv) == ["application/zip"] and list(as_json) == ["application/json"]


MONEY_FIELDS = {"amount", "planned_budget", "share", "effective_share", "unallocated_share", "spend"}


def _string_branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    if schema.get("type") == "string":
        return [schema]
    return [branch for option in schema.get("anyOf", []) for branch in _string_branches(option)]


def test_money_fields_declare_a_decimal_string_pattern(document: dict[str, Any]) -> None:
    found = 0
    for name, schema in document["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            money = field in MONEY_FIELDS or field.endswith(("_spend", "_budget"))
            if not money or "Compliance" in name:
                continue  # compliance `share` is a ratio of counts, a plain number
            strings = _string_branches(prop)
            assert strings, f"{name}.{field} has no string form"
            for branch in strings:
                assert branch.get("format") == "decimal" and branch.get("pattern"), f"{name}.{field}"
            found += 1
    assert found >= 20
