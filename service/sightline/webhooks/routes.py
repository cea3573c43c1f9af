"""HTTP routes of the webhooks domain: endpoints (admin), their delivery log and controls, the event catalogue."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Query, Request, Response, status

from sightline.http.admission import leave_queue
from sightline.http.deps import Admin, Clock, DbSession, Reader, RecentSignIn, UrlRules
from sightline.http.etag import set_etag
from sightline.http.idempotency import reveals_secret
from sightline.http.pagination import Page
from sightline.http.params import IfMatch, Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.webhooks import catalogue, service
from sightline.webhooks.schemas import (
    EVENT_TYPE_PATTERN,
    DeliveryPublic,
    DeliveryStatus,
    EndpointCreate,
    EndpointCreated,
    EndpointPublic,
    EndpointSecret,
    EndpointUpdate,
    EventTypeList,
    RecoverRequest,
    RecoverResult,
)
from sightline.webhooks.sender import WebhookSender

router = api_router(authenticated=True, tags=["webhooks"])
ONE = problem_responses(404)
WRITE_ONE = problem_responses(404, 409, 412)
ACCEPTED = status.HTTP_202_ACCEPTED


def _sender(request: Request) -> WebhookSender:
    leave_queue(request)  # the ping waits on the endpoint's server
    sender: WebhookSender = request.app.state.webhook_sender
    return sender


Sender = Annotated[WebhookSender, Depends(_sender)]


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


@router.get("/event-types", summary="The event types endpoints can subscribe to, each with its payload's JSON Schema")
async def list_event_types(principal: Reader) -> EventTypeList:
    return EventTypeList(items=list(catalogue.event_types()))


@router.get("/webhook-endpoints", summary="List webhook endpoints (admin)")
async def list_endpoints(
    principal: Admin, session: DbSession, paging: Paging, enabled: bool | None = None
) -> Page[EndpointPublic]:
    rows, cursor = await service.list_endpoints(session, org_id=principal.org_id, params=paging, enabled=enabled)
    return Page(items=[service.endpoint_public(e) for e in rows], next_cursor=cursor)


@router.post(
    "/webhook-endpoints",
    status_code=status.HTTP_201_CREATED,
    summary="Create a webhook endpoint; the response holds its signing secret (admin)",
    responses=problem_responses(409),
)
@reveals_secret
async def create_endpoint(
    body: EndpointCreate, principal: Admin, session: DbSession, response: Response, policy: UrlRules, now: Clock
) -> EndpointCreated:
    endpoint, secret = await service.create_endpoint(session, principal=principal, body=body, policy=policy, now=now)
    set_etag(response, endpoint.version)
    _no_store(response)
    return EndpointCreated(**service.endpoint_public(endpoint).model_dump(), secret=secret)


@router.get("/webhook-endpoints/{endpoint_id}", summary="Get a webhook endpoint (admin)", responses=ONE)
async def get_endpoint(endpoint_id: UUID, principal: Admin, session: DbSession, response: Response) -> EndpointPublic:
    endpoint = await service.get_endpoint(session, org_id=principal.org_id, endpoint_id=endpoint_id)
    set_etag(response, endpoint.version)
    return service.endpoint_public(endpoint)


@router.patch(
    "/webhook-endpoints/{endpoint_id}",
    summary="Edit, disable or re-enable a webhook endpoint (admin)",
    responses=WRITE_ONE,
)
async def update_endpoint(
    endpoint_id: UUID,
    body: EndpointUpdate,
    principal: Admin,
    session: DbSession,
    response: Response,
    policy: UrlRules,
    now: Clock,
    if_match: IfMatch = None,
) -> EndpointPublic:
    endpoint = await service.update_endpoint(
        session, principal=principal, endpoint_id=endpoint_id, body=body, policy=policy, if_match=if_match, now=now
    )
    set_etag(response, endpoint.version)
    return service.endpoint_public(endpoint)


@router.delete(
    "/webhook-endpoints/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a webhook endpoint and its delivery log (admin)",
    responses=WRITE_ONE,
)
async def delete_endpoint(
    endpoint_id: UUID, principal: Admin, session: DbSession, now: Clock, if_match: IfMatch = None
) -> Response:
    await service.delete_endpoint(session, principal=principal, endpoint_id=endpoint_id, if_match=if_match, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    summary="Issue a new signing secret; the old one keeps signing alongside it for 24 h (admin)",
    responses=ONE,
)
@reveals_secret
async def rotate_secret(
    endpoint_id: UUID, principal: Admin, _recent: RecentSignIn, session: DbSession, response: Response, now: Clock
) -> EndpointSecret:
    endpoint = await service.rotate_secret(session, principal=principal, endpoint_id=endpoint_id, now=now)
    set_etag(response, endpoint.version)
    _no_store(response)
    return service.endpoint_secret(endpoint, now=now)


@router.get(
    "/webhook-endpoints/{endpoint_id}/secret",
    summary="Reveal the signing secret (and the previous one while it still signs) (admin)",
    responses=ONE,
)
async def reveal_secret(
    endpoint_id: UUID, principal: Admin, _recent: RecentSignIn, session: DbSession, response: Response, now: Clock
) -> EndpointSecret:
    endpoint = await service.reveal_secret(session, principal=principal, endpoint_id=endpoint_id, now=now)
    _no_store(response)
    return service.endpoint_secret(endpoint, now=now)


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    summary="The endpoint's delivery log, newest first (admin)",
    responses=ONE,
)
async def list_deliveries(
    endpoint_id: UUID,
    principal: Admin,
    session: DbSession,
    paging: Paging,
    status: DeliveryStatus | None = None,
    event_type: Annotated[
        str | None,
        Query(max_length=100, pattern=EVENT_TYPE_PATTERN, description="A type (check_in.created) or objective.*"),
    ] = None,
) -> Page[DeliveryPublic]:
    rows, cursor = await service.list_deliveries(
        session, org_id=principal.org_id, endpoint_id=endpoint_id, params=paging, status=status, event_type=event_type
    )
    return Page(items=[service.delivery_public(d) for d in rows], next_cursor=cursor)


@router.post(
    "/webhook-endpoints/{endpoint_id}/ping",
    summary="Send a webhook.ping event to the endpoint now; the attempt's result is the response (admin)",
    responses=ONE,
)
async def ping_endpoint(
    endpoint_id: UUID, principal: Admin, session: DbSession, sender: Sender, now: Clock, request: Request
) -> DeliveryPublic:
    delivery = await service.ping(
        session,
        principal=principal,
        endpoint_id=endpoint_id,
        sender=sender,
        now=now,
        link_base_url=request.app.state.settings.link_base_url(),
    )
    return service.delivery_public(delivery)


@router.post(
    "/webhook-endpoints/{endpoint_id}/recover",
    status_code=ACCEPTED,
    summary="Redeliver everything that failed for good since a given time (admin)",
    responses=problem_responses(404, 409),
)
async def recover_endpoint(
    endpoint_id: UUID, body: RecoverRequest, principal: Admin, session: DbSession, now: Clock
) -> RecoverResult:
    count = await service.recover(session, principal=principal, endpoint_id=endpoint_id, since=body.since, now=now)
    return RecoverResult(redelivered=count)


@router.get("/deliveries/{delivery_id}", summary="Get one delivery of the log (admin)", responses=ONE)
async def get_delivery(delivery_id: UUID, principal: Admin, session: DbSession, response: Response) -> DeliveryPublic:
    delivery = await service.get_delivery(session, org_id=principal.org_id, delivery_id=delivery_id)
    set_etag(response, delivery.version)
    return service.delivery_public(delivery)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    status_code=ACCEPTED,
    summary="Send a delivery again now, with a fresh retry schedule (admin)",
    responses=problem_responses(404, 409),
)
async def redeliver(delivery_id: UUID, principal: Admin, session: DbSession, now: Clock) -> DeliveryPublic:
    delivery = await service.redeliver(session, principal=principal, delivery_id=delivery_id, now=now)
    return service.delivery_public(delivery)
