"""Fetching an HTTP source through the webhooks' URL guard: every hop checked, bounded in time and size.

Redirects are followed by hand (at most 5), each one through the guard, and the source's secret headers go
only to the origin (scheme, host, port) the integration names: a redirect elsewhere (a published
spreadsheet's CDN) gets none of them. No proxy from the environment, so the guard sees the destination.

What the remote sent (a body, a protocol error quoting its bytes) never appears in the failure shown to the
organisation; it goes to the operator's log (`SourceError.detail`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from sightline.config import Settings
from sightline.integrations.sources import SourceError
from sightline.url_guard import GuardedTransport, Resolver, UrlPolicy, UrlRefused, system_resolver

USER_AGENT = "Sightline-Integrations/1.0"
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes
    url: str  # after redirects


class HttpFetcher:
    def __init__(
        self,
        policy: UrlPolicy,
        *,
        timeout: float = 20.0,
        max_bytes: int = 5_000_000,
        connections: int = 10,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.policy = policy
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._client = httpx.AsyncClient(
            # A small pool of its own (the limits belong on the transport that opens the sockets): many slow
            # sources wait for one of these connections rather than opening more.
            transport=GuardedTransport(
                policy,
                resolver=resolver,
                inner=httpx.AsyncHTTPTransport(
                    retries=0, limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
                ),
            ),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
            trust_env=False,
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, policy: UrlPolicy | None = None) -> HttpFetcher:
        return cls(
            policy or UrlPolicy.from_settings(settings),
            timeout=settings.integration_timeout_seconds,
            max_bytes=settings.integration_max_bytes,
            connections=settings.integration_pull_connections,
        )

    async def get(self, url: str, *, accept: str, headers: Mapping[str, str]) -> bytes:
        """The body of a 2xx answer; SourceError (with the reason) for anything else."""
        try:
            async with asyncio.timeout(self.deadline):
                fetched = await self._follow(url, accept=accept, headers=headers)
        except UrlRefused as exc:
            raise SourceError(f"refused: {exc.reason}") from exc
        except TimeoutError as exc:
            raise SourceError(f"no complete answer within {self.deadline:g} s") from exc
        except httpx.TimeoutException as exc:
            raise SourceError(f"timed out ({type(exc).__name__})") from exc
        except httpx.InvalidURL as exc:
            raise SourceError("invalid URL", detail=f"invalid URL: {exc}") from exc
        except httpx.ConnectError as exc:
            raise SourceError("could not connect (ConnectError)", detail=f"ConnectError: {exc}"[:1000]) from exc
        except httpx.HTTPError as exc:
            name = type(exc).__name__
            raise SourceError(f"the request failed ({name})", detail=f"{name}: {exc}"[:1000]) from exc
        if not 200 <= fetched.status < 300:
            excerpt = fetched.body[:200].decode("utf-8", errors="replace").replace("\x00", "").strip()
            reason = f"the source answered HTTP {fetched.status}"
            raise SourceError(reason, detail=f"{reason}: {excerpt}" if excerpt else reason)
        return fetched.body

    async def _follow(self, url: str, *, accept: str, headers: Mapping[str, str]) -> Fetched:
        origin = _origin(httpx.URL(url))
        current = httpx.URL(url)
        for _ in range(MAX_REDIRECTS + 1):
            sent = {"accept": accept, **(dict(headers) if _origin(current) == origin else {})}
            async with self._client.stream("GET", current, headers=sent) as response:
                if response.status_code in REDIRECTS and "location" in response.headers:
                    current = current.join(response.headers["location"])
                    continue
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise SourceError(f"the answer is larger than {self.max_bytes:,} bytes")
                return Fetched(status=response.status_code, body=body, url=str(current))
        raise SourceError(f"more than {MAX_REDIRECTS} redirects")

    @property
    def deadline(self) -> float:
        """The longest one pull can take, in seconds."""
        return 2 * self.timeout

    async def aclose(self) -> None:
        await self._client.aclose()
