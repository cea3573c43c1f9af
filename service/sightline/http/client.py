"""Who is calling: the client's address as the service sees it (throttles, rate limits, audit events)."""

from __future__ import annotations

from starlette.requests import Request


def client_address(request: Request) -> str:
    """The peer's address, or what a trusted proxy (SIGHTLINE_TRUSTED_PROXIES) forwarded, as uvicorn resolved it
    before the app; never a forwarded header from anyone else."""
    return request.client.host if request.client else "unknown"
