"""Request budgets and the invalid-credential throttle (pure ASGI, in process).

- Each API key and each session has `SIGHTLINE_RATE_LIMIT_PER_MINUTE` requests a minute (fixed windows); API
  requests without a credential have `SIGHTLINE_RATE_LIMIT_ANONYMOUS_PER_MINUTE` per client address. Past it:
  429 with `Retry-After`. Every budgeted response carries the IETF draft fields (draft-ietf-httpapi-ratelimit-
  headers): `RateLimit-Policy: "default";q=600;w=60` and `RateLimit: "default";r=599;t=60`.
- Invalid credentials (a 401 from credential resolution) count against the client address: past
  `SIGHTLINE_INVALID_CREDENTIALS_DELAY_AFTER` each refusal is slowed down, past `…_MAX_PER_ADDRESS` the address
  gets 429 for any credential it has not used successfully in this process (a valid key keeps working).

State lives in this process, O(1) per request, in bounded LRU maps (docs/decisions/abuse-rate-limits-in-process.md).
Only the SHA-256 of a credential is kept. Settings are read per request (tests change them on app.state).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sightline.config import Settings
from sightline.http.client import client_address
from sightline.http.cookies import read_cookie
from sightline.http.deps import SESSION_COOKIE
from sightline.http.problems import problem_response

WINDOW_SECONDS = 60
CREDENTIAL_POLICY, ANONYMOUS_POLICY = "default", "anonymous"
# A 401 on these is a wrong password or code, not a dead credential (their own throttles count it).
_NOT_CREDENTIAL_FAILURES = ("/api/v1/auth/login", "/api/v1/auth/reauthenticate", "/api/v1/auth/sso/")
# Each invalid credential past the threshold waits this much longer, up to the cap.
DELAY_STEP_SECONDS, DELAY_CAP_SECONDS = 0.5, 5.0


@dataclass(slots=True)
class Window:
    start: float
    count: int


class Counters:
    """Fixed-window counters keyed by credential hash or address; the least recently used beyond `max_size`
    are dropped (a dropped key starts a fresh window: memory stays bounded, limits only ever err generous)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._windows: OrderedDict[bytes | str, Window] = OrderedDict()
        self.clock = clock

    def __contains__(self, key: bytes | str) -> bool:
        return key in self._windows

    def current(self, key: bytes | str, seconds: float) -> Window | None:
        window = self._windows.get(key)
        if window is not None and self.clock() - window.start >= seconds:
            del self._windows[key]
            return None
        return window

    def add(self, key: bytes | str, seconds: float, max_size: int) -> Window:
        """Count one event; returns the key's window (with this event in it)."""
        now = self.clock()
        window = self._windows.get(key)
        if window is None or now - window.start >= seconds:
            window = Window(now, 0)
            self._windows[key] = window
            while len(self._windows) > max_size:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(key)
        window.count += 1
        return window

    def forget(self, key: bytes | str) -> None:
        self._windows.pop(key, None)

    def reset_in(self, window: Window, seconds: float) -> int:
        return max(1, math.ceil(window.start + seconds - self.clock()))


def _credential(scope: Scope, settings: Settings) -> bytes | None:
    """The SHA-256 of the request's credential, as credential resolution would pick it: the Authorization
    header if any (even a malformed one, which is refused), else the session cookie."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return hashlib.sha256(b"h:" + value).digest()
    cookie = read_cookie(Request(scope), SESSION_COOKIE, settings=settings)
    return hashlib.sha256(b"c:" + cookie.encode()).digest() if cookie else None


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.budgets = Counters()
        self.invalid = Counters()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        settings: Settings = scope["app"].state.settings
        credential = _credential(scope, settings)
        address = client_address(Request(scope))
        if credential is None:
            await self._anonymous(scope, receive, send, settings, address)
            return
        if credential not in self.budgets and settings.invalid_credentials_max_per_address > 0:
            failures = self.invalid.current(address, settings.invalid_credentials_window_seconds)
            if failures is not None and failures.count >= settings.invalid_credentials_max_per_address:
                retry = self.invalid.reset_in(failures, settings.invalid_credentials_window_seconds)
                await self._refuse(scope, send, retry, "too many invalid credentials from this address", [])
                return
        limit = settings.rate_limit_per_minute
        headers: list[tuple[bytes, bytes]] = []
        # Counted even without a budget: a counted credential is one this address has used successfully.
        window = self.budgets.add(credential, WINDOW_SECONDS, settings.rate_limit_max_tracked)
        if limit > 0:
            headers = self._fields(CREDENTIAL_POLICY, limit, window)
            if window.count > limit:
                retry = self.budgets.reset_in(window, WINDOW_SECONDS)
                await self._refuse(scope, send, retry, "this credential's request budget is used up", headers)
                return
        counts_failures = not scope["path"].startswith(_NOT_CREDENTIAL_FAILURES)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 401 and counts_failures:
                    self.budgets.forget(credential)  # a dead credential keeps no budget (nor "known" status)
                    await self._slow_down(settings, address)
                else:
                    message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _anonymous(self, scope: Scope, receive: Receive, send: Send, settings: Settings, address: str) -> None:
        limit = settings.rate_limit_anonymous_per_minute
        if limit <= 0:
            await self.app(scope, receive, send)
            return
        window = self.budgets.add("addr:" + address, WINDOW_SECONDS, settings.rate_limit_max_tracked)
        headers = self._fields(ANONYMOUS_POLICY, limit, window)
        if window.count > limit:
            retry = self.budgets.reset_in(window, WINDOW_SECONDS)
            await self._refuse(scope, send, retry, "too many requests from this address", headers)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _slow_down(self, settings: Settings, address: str) -> None:
        if settings.invalid_credentials_max_per_address <= 0 and settings.invalid_credentials_delay_after <= 0:
            return
        window = self.invalid.add(address, settings.invalid_credentials_window_seconds, settings.rate_limit_max_tracked)
        excess = window.count - settings.invalid_credentials_delay_after
        if settings.invalid_credentials_delay_after > 0 and excess > 0:
            # Sent after the request's transaction ended: the wait holds no database connection.
            await asyncio.sleep(min(DELAY_STEP_SECONDS * excess, DELAY_CAP_SECONDS))

    def _fields(self, policy: str, limit: int, window: Window) -> list[tuple[bytes, bytes]]:
        remaining = max(0, limit - window.count)
        reset = self.budgets.reset_in(window, WINDOW_SECONDS)
        return [
            (b"ratelimit-policy", f'"{policy}";q={limit};w={WINDOW_SECONDS}'.encode()),
            (b"ratelimit", f'"{policy}";r={remaining};t={reset}'.encode()),
        ]

    @staticmethod
    async def _refuse(
        scope: Scope, send: Send, retry_after: int, detail: str, headers: list[tuple[bytes, bytes]]
    ) -> None:
        response = problem_response(
            Request(scope),
            status=429,
            slug="too-many-requests",
            title="Too many requests",
            detail=f"{detail}; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after), **{k.decode(): v.decode() for k, v in headers}},
        )
        await response(scope, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}
