"""HTTP routes of notifications: the signed-in member's own inbox and preferences; one-click unsubscribe; the
organisation's mail delivery log for admins."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Request, Response, status

from sightline.auth import Principal
from sightline.errors import Forbidden
from sightline.http.deps import Admin, Clock, DbSession, Reader
from sightline.http.params import Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.mail import log as mail_log
from sightline.notifications import producer, service
from sightline.notifications.schemas import (
    NotificationPage,
    NotificationPublic,
    Preferences,
    PreferencesUpdate,
    UnreadCount,
)

router = api_router(authenticated=True, tags=["notifications"])
public_router = api_router(authenticated=False, tags=["notifications"], problems=(404, 422))
producer.register()


def _member(principal: Principal) -> UUID:
    if principal.user_id is None:
        raise Forbidden("notifications belong to members; this API key has no member who made it")
    return principal.user_id


@router.get("/me/notifications", summary="Your notifications, newest first, with your unread count")
async def list_notifications(
    principal: Reader,
    session: DbSession,
    paging: Paging,
    unread_only: Annotated[bool, Query(description="Only the ones not read yet")] = False,
) -> NotificationPage:
    user_id = _member(principal)
    items, cursor = await service.list_notifications(
        session, org_id=principal.org_id, user_id=user_id, params=paging, unread_only=unread_only
    )
    count = await service.unread_count(session, principal.org_id, user_id)
    return NotificationPage(items=items, next_cursor=cursor, unread_count=count)


@router.get("/me/notifications/unread-count", summary="How many of your notifications are unread")
async def unread_count(principal: Reader, session: DbSession) -> UnreadCount:
    return UnreadCount(unread_count=await service.unread_count(session, principal.org_id, _member(principal)))


@router.post(
    "/me/notifications/{notification_id}/read",
    summary="Mark one of your notifications read",
    responses=problem_responses(404),
)
async def mark_read(notification_id: UUID, principal: Reader, session: DbSession, now: Clock) -> NotificationPublic:
    return await service.mark_read(
        session, org_id=principal.org_id, user_id=_member(principal), notification_id=notification_id, now=now
    )


@router.post("/me/notifications/read-all", summary="Mark all your notifications read")
async def mark_all_read(principal: Reader, session: DbSession, now: Clock) -> UnreadCount:
    await service.mark_all_read(session, org_id=principal.org_id, user_id=_member(principal), now=now)
    return UnreadCount(unread_count=0)


@router.get("/me/notification-preferences", summary="Your channel per kind of notification")
async def get_preferences(principal: Reader, session: DbSession) -> Preferences:
    return await service.preferences(session, org_id=principal.org_id, user_id=_member(principal))


@router.put("/me/notification-preferences", summary="Set your channel for some or all kinds of notification")
async def put_preferences(body: PreferencesUpdate, principal: Reader, session: DbSession, now: Clock) -> Preferences:
    return await service.update_preferences(
        session, org_id=principal.org_id, user_id=_member(principal), body=body, now=now
    )


@public_router.post(
    "/notifications/unsubscribe",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="One-click unsubscribe (RFC 8058): turns off the kind the signed token names, for its member",
)
async def unsubscribe(
    request: Request,
    session: DbSession,
    now: Clock,
    token: Annotated[str, Query(max_length=300, description="The token of the List-Unsubscribe link")],
) -> Response:
    await service.unsubscribe(session, settings=request.app.state.settings, token=token, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/mail/messages",
    summary="The organisation's mail delivery log, newest first (admins)",
)
async def list_mail(
    principal: Admin,
    session: DbSession,
    paging: Paging,
    state: Annotated[
        mail_log.MailStatus | None, Query(alias="status", description="Only the messages in this state")
    ] = None,
) -> mail_log.MailMessagePage:
    """Every message the service queued for this organisation (verification, invitations, password resets,
    notifications) and how its delivery went. Without SMTP settings messages are `logged` here instead of sent;
    only a logged message shows its text, so an admin can pass its link on."""
    items, cursor = await mail_log.list_messages(session, org_id=principal.org_id, params=paging, status=state)
    return mail_log.MailMessagePage(items=items, next_cursor=cursor)
