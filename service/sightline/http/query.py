"""Query strings are checked like bodies: a parameter a read operation does not declare is a 422.

A misspelt filter (`?stauts=at_risk`) used to be ignored, so the client got unfiltered data and took it for
the filtered answer. One dependency, installed on the whole application, compares the request's query
parameters with those its operation declares (its own, its dependencies', a query model's fields).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from sightline.errors import FieldError, Invalid

CHECKED_METHODS = frozenset({"GET"})
_OPEN_QUERY = "__sightline_open_query__"
_declared: dict[int, frozenset[str]] = {}
F = TypeVar("F", bound=Callable[..., Any])


def open_query(endpoint: F) -> F:
    """Mark an operation whose query string is written by someone else (an identity provider's redirect adds
    its own parameters): unknown parameters are ignored there."""
    setattr(endpoint, _OPEN_QUERY, True)
    return endpoint


def _query_names(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    for field in dependant.query_params:
        annotation = getattr(field.field_info, "annotation", None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):  # a query model: its fields
            names |= {info.alias or name for name, info in annotation.model_fields.items()}
        names.add(field.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def declared_query_parameters(route: APIRoute) -> frozenset[str]:
    """The query parameters the operation declares (computed once per route)."""
    names = _declared.get(id(route))
    if names is None:
        names = _declared[id(route)] = frozenset(_query_names(route.dependant))
    return names


async def reject_unknown_query_parameters(request: Request) -> None:
    """The application-wide dependency: refuse what the matched read operation does not declare."""
    if request.method not in CHECKED_METHODS or not request.query_params:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or getattr(route.endpoint, _OPEN_QUERY, False):
        return
    declared = declared_query_parameters(route)
    unknown = sorted({name for name in request.query_params if name not in declared})
    if not unknown:
        return
    accepted = ", ".join(sorted(declared)) or "none"
    raise Invalid(
        errors=[
            FieldError(
                ("query", name), f"unknown query parameter; this operation accepts: {accepted}", "extra_forbidden"
            )
            for name in unknown
        ]
    )
