"""The committed OpenAPI document is the contract: it must equal what the code generates."""

from __future__ import annotations

import json
from pathlib import Path

from sightline.cli import openapi_json

CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_committed_contract_matches_the_code() -> None:
    generated = openapi_json()
    assert CONTRACT.read_text() == generated, (
        "openapi/openapi.json is stale: run `uv run sightline openapi > openapi/openapi.json` and commit it"
    )


def test_every_operation_is_documented() -> None:
    document = json.loads(openapi_json())
    seen_ids = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation.get("operationId"), where
            assert operation["operationId"] not in seen_ids, f"duplicate operationId at {where}"
            seen_ids.add(operation["operationId"])
            assert operation.get("summary"), f"{where} has no summary"
            assert operation.get("tags"), f"{where} has no tag"
            if path.startswith("/api/v1"):
                errors = [code for code in operation["responses"] if code.startswith(("4", "5"))]
                assert errors, f"{where} documents no error response"
                for code in errors:
                    content = operation["responses"][code].get("content", {})
                    assert "application/problem+json" in content, f"{where} {code} lacks the problem schema"
