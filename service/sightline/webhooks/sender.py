"""One HTTP attempt: POST the signed bytes through the URL guard; keep the status, latency and 1 KiB of answer.

No redirect is followed (a 3xx is a failure: point the endpoint at the final URL), connect and read time
out after 15 s each, and the attempt as a whole is cut off before the dispatcher's lease ends.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from sightline.config import Settings
from sightline.url_guard import GuardedTransport, Resolver, UrlPolicy, UrlRefused, system_resolver

EXCERPT_BYTES = 1024
USER_AGENT = "Sightline-Webhooks/1.0"


@dataclass(frozen=True)
class AttemptResult:
    status: int | None  # None: no HTTP answer (refused, network error, timeout)
    latency_ms: int
    excerpt: str | None = None
    error: str | None = None
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _excerpt(raw: bytes) -> str:
    # PostgreSQL text cannot hold NUL; a cut multi-byte character becomes U+FFFD.
    return raw[:EXCERPT_BYTES].decode("utf-8", errors="replace").replace("\x00", "")


class WebhookSender:
    def __init__(
        self,
        policy: UrlPolicy,
        *,
        timeout: float = 15.0,
        deadline: float = 30.0,
        max_connections: int = 100,
        resolver: Resolver = system_resolver,
        verify: ssl.SSLContext | bool = True,  # tests trust their own certificate authority here
    ) -> None:
        self.policy = policy
        self.deadline = deadline
        inner = httpx.AsyncHTTPTransport(retries=0, verify=verify)
        self._client = httpx.AsyncClient(
            transport=GuardedTransport(policy, resolver=resolver, inner=inner),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"user-agent": USER_AGENT},
            trust_env=False,  # never through a proxy from the environment: the guard must see the destination
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, resolver: Resolver = system_resolver) -> WebhookSender:
        # Cut the whole attempt before the lease runs out, so a slow receiver is not sent to twice.
        deadline = min(2 * settings.webhook_timeout_seconds, 0.8 * settings.webhook_lease_seconds)
        return cls(
            UrlPolicy.from_settings(settings),
            timeout=settings.webhook_timeout_seconds,
            deadline=deadline,
            max_connections=max(settings.webhook_max_in_flight, 10),
            resolver=resolver,
        )

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> AttemptResult:
        started = time.perf_counter()

        def elapsed() -> int:
            return round((time.perf_counter() - started) * 1000)

        try:
            async with asyncio.timeout(self.deadline):
                async with self._client.stream("POST", url, content=body, headers=dict(headers)) as response:
                    raw = b""
                    async for chunk in response.aiter_bytes():
                        raw += chunk
                        if len(raw) >= EXCERPT_BYTES:
                            break
                    return AttemptResult(
                        status=response.status_code,
                        latency_ms=elapsed(),
                        excerpt=_excerpt(raw),
                        retry_after=response.headers.get("retry-after"),
                    )
        except UrlRefused as exc:
            return AttemptResult(status=None, latency_ms=elapsed(), error=f"refused: {exc.reason}")
        except TimeoutError:
            return AttemptResult(status=None, latency_ms=elapsed(), error=f"no answer within {self.deadline:g} s")
        except httpx.TimeoutException as exc:
            return AttemptResult(status=None, latency_ms=elapsed(), error=f"timed out: {type(exc).__name__}")
        except httpx.InvalidURL as exc:
            return AttemptResult(status=None, latency_ms=elapsed(), error=f"invalid URL: {exc}")
        except httpx.HTTPError as exc:
            return AttemptResult(status=None, latency_ms=elapsed(), error=f"{type(exc).__name__}: {exc}"[:500])

    async def aclose(self) -> None:
        await self._client.aclose()
