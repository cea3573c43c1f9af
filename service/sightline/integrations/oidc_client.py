"""The HTTP side of OpenID Connect: discovery, key sets, the code exchange and UserInfo, through the URL guard.

Discovery documents and key sets are cached for 10 minutes. Every failure is a 401 naming what the identity
provider did wrong; the sign-in flow itself is `sightline.integrations.oidc`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_token_request
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from sightline.errors import Unauthorized
from sightline.url_guard import GuardedTransport, UrlPolicy, UrlRefused

CACHE_SECONDS = 600  # discovery documents and key sets


@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    auth_methods: tuple[str, ...]
    userinfo_endpoint: str | None = None


class OidcClient:
    """HTTP to identity providers through the URL guard, with discovery and key sets cached for 10 minutes."""

    def __init__(self, policy: UrlPolicy, *, timeout: float = 10.0) -> None:
        self.policy = policy
        self.timeout = timeout
        self._cache: dict[str, tuple[float, Any]] = {}

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=GuardedTransport(self.policy), timeout=self.timeout, follow_redirects=False, trust_env=False
        )

    async def _get_json(self, url: str, *, fresh: bool = False) -> Any:
        cached = self._cache.get(url)
        if cached is not None and not fresh and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            async with self.http() as client:
                response = await client.get(url, headers={"accept": "application/json"})
        except UrlRefused as exc:
            raise Unauthorized(f"the identity provider's address is refused: {exc.reason}") from exc
        except httpx.HTTPError as exc:
            raise Unauthorized(f"the identity provider did not answer ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise Unauthorized(f"the identity provider answered {response.status_code} for {url}")
        try:
            document = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise Unauthorized(f"the identity provider's {url} is not JSON") from exc
        self._cache[url] = (time.monotonic(), document)
        return document

    async def discover(self, issuer: str) -> Discovery:
        document = await self._get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        try:
            found = Discovery(
                issuer=str(document["issuer"]),
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                jwks_uri=str(document["jwks_uri"]),
                auth_methods=tuple(document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]),
                userinfo_endpoint=str(document["userinfo_endpoint"]) if document.get("userinfo_endpoint") else None,
            )
        except (KeyError, TypeError) as exc:
            raise Unauthorized(f"the identity provider's discovery document lacks {exc}") from exc
        if found.issuer != issuer:  # OpenID Connect Discovery 1.0, section 4.3
            raise Unauthorized(f"the provider calls itself {found.issuer!r}, not the configured {issuer!r}")
        return found

    async def key_set(self, jwks_uri: str, *, fresh: bool = False) -> KeySet:
        document = await self._get_json(jwks_uri, fresh=fresh)
        try:
            return KeySet.import_key_set(document)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise Unauthorized("the identity provider's key set cannot be read") from exc

    async def exchange_code(
        self, discovery: Discovery, *, client_id: str, secret: str, code: str, verifier: str, redirect: str
    ) -> dict[str, Any]:
        """The token response for an authorization code (RFC 6749 4.1.3, with the PKCE verifier)."""
        method = "client_secret_basic" if "client_secret_basic" in discovery.auth_methods else "client_secret_post"
        body = prepare_token_request("authorization_code", code=code, redirect_uri=redirect, code_verifier=verifier)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        uri, headers, body = ClientAuth(client_id, secret, method).prepare(
            "POST", discovery.token_endpoint, headers, body
        )
        try:
            async with self.http() as client:
                response = await client.post(uri, headers=headers, content=body)
        except UrlRefused as exc:
            raise Unauthorized(f"the identity provider's address is refused: {exc.reason}") from exc
        except httpx.HTTPError as exc:
            raise Unauthorized(f"the identity provider did not answer ({type(exc).__name__})") from exc
        try:
            token = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            token = {}
        if response.status_code != 200 or not isinstance(token, dict) or "error" in token:
            reason = token.get("error", "") if isinstance(token, dict) else ""
            detail = token.get("error_description", "") if isinstance(token, dict) else ""
            raise Unauthorized(f"the identity provider refused the code ({response.status_code} {reason} {detail})")
        return token

    async def user_info(self, discovery: Discovery, access_token: str) -> dict[str, Any]:
        """The UserInfo claims for an access token (OpenID Connect Core 5.3), as plain JSON."""
        if discovery.userinfo_endpoint is None:
            raise Unauthorized(
                "the ID token carries no email and the identity provider has no UserInfo endpoint "
                "(is the email scope allowed?)"
            )
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        try:
            async with self.http() as client:
                response = await client.get(discovery.userinfo_endpoint, headers=headers)
        except UrlRefused as exc:
            raise Unauthorized(f"the identity provider's address is refused: {exc.reason}") from exc
        except httpx.HTTPError as exc:
            raise Unauthorized(f"the identity provider did not answer ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise Unauthorized(f"the identity provider's UserInfo endpoint answered {response.status_code}")
        if response.headers.get("content-type", "").split(";")[0].strip() == "application/jwt":
            raise Unauthorized("signed UserInfo responses are not supported; ask the provider for plain JSON")
        try:
            claims = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise Unauthorized("the identity provider's UserInfo answer is not JSON") from exc
        if not isinstance(claims, dict):
            raise Unauthorized("the identity provider's UserInfo answer is not a JSON object")
        return claims
