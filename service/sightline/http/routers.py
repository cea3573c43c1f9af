"""Every router of the API is made here, and says whether its operations need a credential.

`api_router(authenticated=True)`: the principal (session cookie or API key) is resolved before anything else
of the operation — 401 without a credential, whatever the route declares — and its POSTs take an
`Idempotency-Key`. `api_router(authenticated=False)`: anyone may call it (sign-up, sign-in, SSO callbacks),
and no idempotency key applies. Nothing is authenticated by accident of another dependency
(tests/foundation/test_routers.py walks the routes).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from fastapi import APIRouter, Depends
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from sightline.http.deps import current_principal
from sightline.http.idempotency import IdempotentRoute
from sightline.http.problems import problem_responses

API_PREFIX = "/api/v1"
AUTHENTICATED_PROBLEMS = (400, 401, 403, 413, 415, 422)
PUBLIC_PROBLEMS = (400, 413, 415, 422)


def api_router(
    *,
    authenticated: bool,
    idempotent: bool = True,
    tags: list[str] | None = None,
    problems: Sequence[int] | None = None,
) -> APIRouter:
    """A router under /api/v1; `problems` are the problem responses every operation of it documents.

    `idempotent=False` (authenticated routers only): its POSTs take no Idempotency-Key, for bodies that must
    not be kept at rest, even hashed (a password being confirmed or changed).
    """
    if authenticated:
        return APIRouter(
            prefix=API_PREFIX,
            tags=list(tags or []),
            responses=problem_responses(*(problems or AUTHENTICATED_PROBLEMS)),
            dependencies=[Depends(current_principal)],
            route_class=IdempotentRoute if idempotent else APIRoute,
        )
    if not idempotent:
        raise ValueError("public routers take no Idempotency-Key anyway: leave idempotent at its default")
    return APIRouter(
        prefix=API_PREFIX, tags=list(tags or []), responses=problem_responses(*(problems or PUBLIC_PROBLEMS))
    )


def all_dependencies(dependant: Dependant) -> Iterator[Dependant]:
    """Every dependency of an operation, nested ones included (the contract and the pre-router reads read them)."""
    for sub in dependant.dependencies:
        yield sub
        yield from all_dependencies(sub)
