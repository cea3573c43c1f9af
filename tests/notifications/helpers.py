"""Setup shared by the notification tests: a member, something they own, the inbox read through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import create, okr_setup


async def inbox_of(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/me/notifications", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def owned_by(client: httpx.AsyncClient, owner_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """An objective and a key result of it, both owned by `owner_id`, made by the client's member."""
    okr = await okr_setup(client)
    objective = await create(
        client,
        "/api/v1/objectives",
        {"cycle_id": okr.cycle["id"], "title": "Win the market", "level": "company", "owner_id": owner_id},
    )
    kr = await create(
        client,
        "/api/v1/key-results",
        {"objective_id": objective["id"], "title": "Signed deals", "target_value": 100, "owner_id": owner_id},
    )
    return objective, kr


async def prefer(client: httpx.AsyncClient, **channels: str) -> dict[str, Any]:
    response = await client.put("/api/v1/me/notification-preferences", json=channels)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def mention(name: str, user_id: str) -> str:
    return f"@[{name}](user:{user_id})"
