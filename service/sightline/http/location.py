"""`Location` on the 201 of a create whose resource has its own URL: the collection's path plus the new id."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sightline.http.contract import api_routes
from sightline.http.contract_links import item_path


class LocationMiddleware:
    """`Location` on the 201 of a create whose resource has its own URL: the collection's path plus the new id."""

    def __init__(self, app: ASGIApp, *, collections: Callable[[], list[re.Pattern[str]]]) -> None:
        self.app = app
        self._collections = collections
        self._patterns: list[re.Pattern[str]] | None = None

    def _creates_located(self, path: str) -> bool:
        if self._patterns is None:
            self._patterns = self._collections()
        return any(pattern.fullmatch(path) for pattern in self._patterns)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not self._creates_located(scope["path"]):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []  # a 201's start and body, until the body is complete

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 201:
                held.append(message)
                return
            if not held:
                await send(message)
                return
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                start, chunks = held[0], held[1:]
                body = b"".join(chunk.get("body", b"") for chunk in chunks)
                location = _location(scope, body)
                if location is not None:
                    start = {**start, "headers": [*start["headers"], (b"location", location.encode())]}
                await send(start)
                await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_wrapper)


def _location(scope: Scope, body: bytes) -> str | None:
    try:
        created = json.loads(body)
    except ValueError:
        return None
    if not isinstance(created, dict) or not isinstance(created.get("id"), str):
        return None
    return f"{scope.get('root_path', '')}{scope['path']}/{created['id']}"


def located_collections(app: FastAPI) -> list[re.Pattern[str]]:
    """Paths (as patterns) of the POST operations whose 201 creates a resource with its own URL."""
    paths: dict[str, dict[str, Any]] = {}
    for route in api_routes(app):
        for method in route.methods:
            paths.setdefault(route.path_format, {})[method.lower()] = route
    patterns = []
    for path, item in paths.items():
        create = item.get("post")
        if create is not None and create.status_code == 201 and item_path(path, paths):
            patterns.append(re.compile("[^/]+".join(re.escape(part) for part in re.split(r"\{[a-z_]+\}", path))))
    return patterns
