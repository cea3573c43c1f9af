"""Comment events reach a subscribed webhook endpoint, signed and shaped like the catalogue says."""

from __future__ import annotations

import json

from sightline.comments.schemas import CommentPublic
from sightline.webhooks.dispatcher import Dispatcher
from tests.comments.helpers import comment, targets
from tests.support import FixedClock, Tenant
from tests.webhook_receiver import LocalReceiver
from tests.webhooks.conftest import _isolated_queue, dispatcher, local_hooks, receiver  # noqa: F401
from tests.webhooks.support import endpoint_at


async def test_comment_events_are_delivered_to_a_subscribed_endpoint(
    tenant: Tenant,
    receiver: LocalReceiver,  # noqa: F811
    clock: FixedClock,
    dispatcher: Dispatcher,  # noqa: F811
) -> None:
    made = await targets(tenant.client)
    await endpoint_at(tenant.client, receiver.url, event_types=["comment.*"])
    written = await comment(tenant.client, made.objective["id"], "Webhooks, *too*")
    url = f"/api/v1/comments/{written['id']}"
    edited = (await tenant.client.patch(url, json={"body": "Edited"}, headers={"If-Match": '"1"'})).json()
    assert (await tenant.client.delete(url, headers={"If-Match": '"2"'})).status_code == 204
    assert await dispatcher.drain() == 3
    # Sent in parallel: by type.
    bodies = {body["type"]: body for body in (json.loads(request.body) for request in receiver.received)}
    assert set(bodies) == {"comment.created", "comment.updated", "comment.deleted"}
    assert bodies["comment.created"]["data"] == written
    CommentPublic.model_validate(bodies["comment.created"]["data"])
    assert bodies["comment.updated"]["data"]["body"] == edited["body"]
    assert bodies["comment.updated"]["data"]["previous"]["body"] == "Webhooks, *too*"
    assert bodies["comment.deleted"]["data"]["id"] == written["id"]
