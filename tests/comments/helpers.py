"""Setup shared by the comment tests: something to comment on, comments, and reading them back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support import create, okr_setup


@dataclass
class Targets:
    """One of each thing a comment can be about, in one organisation."""

    objective: dict[str, Any]
    key_result: dict[str, Any]
    check_in: dict[str, Any]


async def targets(client: httpx.AsyncClient) -> Targets:
    okr = await okr_setup(client)
    kr = await create(
        client, "/api/v1/key-results", {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 100}
    )
    check_in = await create(client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 40, "confidence": 7})
    return Targets(objective=okr.objective, key_result=kr, check_in=check_in)


async def comment(
    client: httpx.AsyncClient, target_id: str, body: str, target_type: str = "objective", **fields: Any
) -> dict[str, Any]:
    return await create(
        client, "/api/v1/comments", {"target_type": target_type, "target_id": target_id, "body": body, **fields}
    )


async def thread(client: httpx.AsyncClient, target_id: str, target_type: str = "objective") -> list[dict[str, Any]]:
    """Every comment of a target, following the cursor to the end."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"target_type": target_type, "target_id": target_id, "limit": 200}
    while True:
        response = await client.get("/api/v1/comments", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


def mention(name: str, user_id: str) -> str:
    """A mention as the web client's autocomplete writes it."""
    return f"@[{name}](user:{user_id})"
