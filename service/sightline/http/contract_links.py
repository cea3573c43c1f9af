"""OpenAPI links from each create to what uses the created id (path, query or body), with the ETag as If-Match,
so generated clients and the stateful fuzzer chain cycle → objective → key result → check-in."""

from __future__ import annotations

import re
from typing import Any


def item_path(collection: str, paths: dict[str, Any]) -> str | None:
    """The URL template of one member of `collection` (`/objectives` → `/objectives/{objective_id}`)."""
    for candidate, item in paths.items():
        rest = candidate.removeprefix(collection + "/")
        if rest != candidate and re.fullmatch(r"\{[a-z_]+\}", rest) and "get" in item:
            return candidate
    return None


def add_links(schema: dict[str, Any]) -> None:
    """OpenAPI links from each create to the operations that take the created id: in their path, their query or
    their request body (`cycle_id`, `objective_id`, `key_result_id`, …), and the ETag as If-Match."""
    paths = schema["paths"]
    bodies = schema["components"]["schemas"]
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        member = item_path(path, paths)
        if created is None or member is None:
            continue
        name = member.rsplit("{", 1)[1].rstrip("}")
        etag = "ETag" in created.get("headers", {})
        links: dict[str, Any] = {}
        for target, target_item in paths.items():
            for method, operation in target_item.items():
                link = _link(name, target, method, operation, bodies, etag)
                if link is not None:
                    links[operation["operationId"]] = {"operationId": operation["operationId"], **link}
        if links:
            created["links"] = links


def _link(
    name: str, target: str, method: str, operation: dict[str, Any], bodies: dict[str, Any], etag: bool
) -> dict[str, Any] | None:
    parameters = {(p["in"], p["name"]): p for p in operation.get("parameters", [])}
    if ("path", name) in parameters:
        link: dict[str, Any] = {"parameters": {name: "$response.body#/id"}}
        if etag and ("header", "If-Match") in parameters and target.endswith("}") and method in ("patch", "delete"):
            link["parameters"]["header.If-Match"] = "$response.header.ETag"
        return link
    if ("query", name) in parameters:
        return {"parameters": {f"query.{name}": "$response.body#/id"}}
    if method == "post":
        content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        reference = content.get("schema", {}).get("$ref", "")
        body = bodies.get(reference.rsplit("/", 1)[-1], {})
        if name in body.get("required", []):
            return {"requestBody": {name: "$response.body#/id"}}
    return None
