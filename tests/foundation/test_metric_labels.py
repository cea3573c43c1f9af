"""Request metrics: the method label takes the API's methods only, so clients cannot add series at will."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from prometheus_client import REGISTRY
from tests.support import make_client

ROUTE = "unmatched"


def _count(method: str, status: str) -> float:
    labels = {"method": method, "route": ROUTE, "status": status}
    return REGISTRY.get_sample_value("sightline_http_requests_total", labels) or 0.0


async def test_an_unknown_method_is_counted_as_other(app: FastAPI) -> None:
    token = f"X{uuid.uuid4().hex[:8].upper()}"  # a method token no series has seen
    before = _count("other", "404")
    async with make_client(app) as client:
        answer = await client.request(token, f"/nowhere-{uuid.uuid4().hex}")
    assert answer.status_code == 404
    assert _count("other", "404") == before + 1
    assert (
        REGISTRY.get_sample_value("sightline_http_requests_total", {"method": token, "route": ROUTE, "status": "404"})
        is None
    )
