"""HTTP routes of the organisation: its settings, its members, its API keys."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Query, Response, status

from sightline.auth import PRIVILEGED_ROLES, require_recent_sign_in
from sightline.db.keyset import PageParams
from sightline.errors import NotFound
from sightline.http.deps import Admin, Clock, DbSession, Reader, RecentSignIn
from sightline.http.etag import set_etag
from sightline.http.idempotency import reveals_secret
from sightline.http.pagination import Page, page_params
from sightline.http.params import IfMatchRequired
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.identity import api_keys, members, service
from sightline.identity.routes.common import SettingsDep
from sightline.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    MemberCreate,
    MemberCreated,
    MemberPublic,
    MemberUpdate,
    OrganisationPublic,
    OrganisationUpdate,
    PasswordReset,
    api_key_public,
    member_public,
    organisation_public,
)

router = api_router(authenticated=True)
IfMatch = Annotated[str | None, Header(description="ETag from your last read; stale → 412")]


@router.get("/organisation", tags=["organisation"], summary="The organisation and its settings")
async def get_organisation(principal: Reader, session: DbSession, response: Response) -> OrganisationPublic:
    org = await service.get_org(session, org_id=principal.org_id)
    set_etag(response, org.version)
    return organisation_public(org)


@router.patch(
    "/organisation",
    tags=["organisation"],
    summary="Rename or change settings (If-Match required)",
    responses=problem_responses(412, 428),
)
async def update_organisation(
    body: OrganisationUpdate,
    principal: Admin,
    session: DbSession,
    response: Response,
    settings: SettingsDep,
    now: Clock,
    if_match: IfMatchRequired = None,
) -> OrganisationPublic:
    org = await service.update_org(
        session, principal=principal, body=body, if_match=if_match, now=now, settings=settings
    )
    set_etag(response, org.version)
    return organisation_public(org)


@router.get("/members", tags=["members"], summary="List active members")
async def list_members(
    principal: Reader,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    include_removed: Annotated[bool, Query(description="Removed members too (their `deactivated` is set)")] = False,
) -> Page[MemberPublic]:
    users, cursor = await members.list_members(
        session, principal=principal, params=params, include_removed=include_removed
    )
    return Page(items=[member_public(u) for u in users], next_cursor=cursor)


@router.post(
    "/members",
    tags=["members"],
    status_code=status.HTTP_201_CREATED,
    summary="Add a member (admin)",
    responses=problem_responses(409),
)
@reveals_secret
async def add_member(
    body: MemberCreate, principal: Admin, session: DbSession, response: Response, settings: SettingsDep, now: Clock
) -> MemberCreated:
    if body.role in PRIVILEGED_ROLES:
        require_recent_sign_in(principal, now=now, settings=settings)  # giving admin powers, as a role change does
    user, generated = await members.add_member(session, principal=principal, body=body, now=now)
    set_etag(response, user.version)
    return MemberCreated(**member_public(user).model_dump(), initial_password=generated)


@router.get("/members/{member_id}", tags=["members"], summary="Get a member", responses=problem_responses(404))
async def get_member(
    member_id: UUID,
    principal: Reader,
    session: DbSession,
    response: Response,
    include_removed: Annotated[bool, Query(description="Answer for a removed member too (404 otherwise)")] = False,
) -> MemberPublic:
    user = await service.get_member(session, org_id=principal.org_id, member_id=member_id)
    if user.deactivated_at is not None and not include_removed:
        raise NotFound("member")
    set_etag(response, user.version)
    return member_public(user)


@router.patch(
    "/members/{member_id}",
    tags=["members"],
    summary="Rename or change the role of a member (admin)",
    responses=problem_responses(404, 409, 412),
)
async def update_member(
    member_id: UUID,
    body: MemberUpdate,
    principal: Admin,
    session: DbSession,
    response: Response,
    settings: SettingsDep,
    now: Clock,
    if_match: IfMatch = None,
) -> MemberPublic:
    if body.role is not None:
        require_recent_sign_in(principal, now=now, settings=settings)  # a role is a privilege
    user = await members.update_member(
        session, principal=principal, member_id=member_id, body=body, if_match=if_match, now=now
    )
    set_etag(response, user.version)
    return member_public(user)


@router.delete(
    "/members/{member_id}",
    tags=["members"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member: deactivated, sessions ended, API keys they made revoked (admin)",
    responses=problem_responses(404, 409),
)
async def remove_member(member_id: UUID, principal: Admin, session: DbSession, now: Clock) -> Response:
    await members.remove_member(session, principal=principal, member_id=member_id, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/members/{member_id}/password-reset",
    tags=["members"],
    summary="Give a member a new generated password, shown once; their sessions end (admin; not an owner's)",
    responses=problem_responses(404),
)
@reveals_secret
async def reset_member_password(
    member_id: UUID, principal: Admin, _recent: RecentSignIn, session: DbSession, now: Clock
) -> PasswordReset:
    _, password = await members.reset_password(session, principal=principal, member_id=member_id, now=now)
    return PasswordReset(password=password)


@router.get("/api-keys", tags=["api-keys"], summary="List API keys (admin; secrets are never shown again)")
async def list_api_keys(
    principal: Admin,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    include_revoked: Annotated[bool, Query(description="Revoked keys too (their `revoked_at` is set)")] = False,
) -> Page[ApiKeyPublic]:
    keys, cursor = await api_keys.list_api_keys(
        session, principal=principal, params=params, include_revoked=include_revoked
    )
    return Page(items=keys, next_cursor=cursor)


@router.post(
    "/api-keys",
    tags=["api-keys"],
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key; the secret is in this response only (admin)",
)
@reveals_secret
async def create_api_key(
    body: ApiKeyCreate, principal: Admin, _recent: RecentSignIn, session: DbSession, response: Response, now: Clock
) -> ApiKeyCreated:
    key, creator, secret = await api_keys.create_api_key(session, principal=principal, body=body, now=now)
    set_etag(response, key.version)
    return ApiKeyCreated(**api_key_public(key, creator).model_dump(), secret=secret)


@router.get(
    "/api-keys/{key_id}",
    tags=["api-keys"],
    summary="Get an API key (admin)",
    responses=problem_responses(404),
)
async def get_api_key(
    key_id: UUID,
    principal: Admin,
    session: DbSession,
    response: Response,
    include_revoked: Annotated[bool, Query(description="Answer for a revoked key too (404 otherwise)")] = False,
) -> ApiKeyPublic:
    key = await api_keys.get_api_key(session, principal=principal, key_id=key_id)
    if key.revoked_at is not None and not include_revoked:
        raise NotFound("API key")
    set_etag(response, key.version)
    return await api_keys.api_key_view(session, principal=principal, key=key)


@router.delete(
    "/api-keys/{key_id}",
    tags=["api-keys"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key: refused from the next request on (admin)",
    responses=problem_responses(404),
)
async def revoke_api_key(key_id: UUID, principal: Admin, session: DbSession, now: Clock) -> Response:
    await api_keys.revoke_api_key(session, principal=principal, key_id=key_id, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
