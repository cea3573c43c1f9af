"""A small but real OpenID Connect provider for the tests, on 127.0.0.1: authlib's authorization server
(authorization code grant + OpenID Connect + PKCE) in Flask, served by werkzeug in a thread, ID tokens signed
with an RSA key published as JWKS, and a UserInfo endpoint (authlib's, behind a bearer-token resource
protector). The signed-in person is whoever the test puts in `user`; `audience` (when set) replaces the ID
token's audience, for the wrong-audience case. With `email_in_id_token` off the ID token carries only `sub`
and the profile (as node's oidc-provider does by default) and the email is only in UserInfo; `userinfo`
(when set) replaces what UserInfo answers, for the mismatched-subject case.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Error, TokenMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin, OpenIDCode, UserInfo, UserInfoEndpoint
from fastapi import FastAPI
from flask import Flask, jsonify, request
from joserfc.jwk import RSAKey
from tests.integrations.conftest import LOCAL
from tests.support import PASSWORD, Tenant
from werkzeug.serving import make_server

from sightline.integrations.oidc_client import OidcClient

CLIENT_ID, CLIENT_SECRET = "sightline-test", "provider-s3cret"
REDIRECT_URI = "http://testserver/api/v1/auth/sso/callback"


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    client_metadata: dict[str, Any] = field(default_factory=dict)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    user: dict[str, Any]
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


@dataclass
class AccessToken(TokenMixin):  # type: ignore[misc]
    client: Client
    user: dict[str, Any]
    scope: str
    expires_at: float

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int(self.expires_at - time.time())

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return False

    def get_client(self) -> Client:
        return self.client

    def get_user(self) -> dict[str, Any]:
        return self.user


ID_TOKEN_LEAVES_OUT = ("email", "email_verified")


class TestProvider:
    __test__ = False

    def __init__(self, *, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self.user: dict[str, Any] = {}
        self.audience: str | None = None
        self.email_in_id_token = True
        self.userinfo: dict[str, Any] | None = None
        self.userinfo_requests: list[dict[str, str]] = []
        self.access_tokens: dict[str, AccessToken] = {}
        self.codes: dict[str, Code] = {}
        self.token_requests: list[dict[str, str]] = []
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.clients = {client_id: Client(client_id, client_secret, [redirect_uri])}
        self.app = Flask("test-oidc-provider")
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._routes()

    def _routes(self) -> None:
        provider = self

        class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
            def save_authorization_code(self, code: str, req: Any) -> None:
                data = req.payload.data
                provider.codes[code] = Code(
                    code=code,
                    client_id=req.client.client_id,
                    redirect_uri=data.get("redirect_uri", ""),
                    scope=req.payload.scope,
                    nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                    user=dict(req.user),
                )

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                found = provider.codes.get(code)
                return found if found is not None and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> dict[str, Any]:
                return authorization_code.user

        class OpenIdExtension(OpenIDCode):  # type: ignore[misc]
            def exists_nonce(self, nonce: str, req: Any) -> bool:
                return False

            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return provider.key

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                return {"iss": provider.issuer, "aud": [provider.audience or client.client_id]}

            def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
                if provider.email_in_id_token:
                    return UserInfo(**user)
                return UserInfo(**{k: v for k, v in user.items() if k not in ID_TOKEN_LEAVES_OUT})

        class UserInfoAnswer(UserInfoEndpoint):  # type: ignore[misc]
            def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
                return UserInfo(**(user if provider.userinfo is None else provider.userinfo))

        class Bearer(BearerTokenValidator):  # type: ignore[misc]
            def authenticate_token(self, token_string: str) -> AccessToken | None:
                return provider.access_tokens.get(token_string)

        def save_token(token: dict[str, Any], req: Any) -> None:
            provider.access_tokens[token["access_token"]] = AccessToken(
                client=req.client, user=dict(req.user), scope=token["scope"], expires_at=time.time() + 3600
            )

        server = AuthorizationServer(self.app, query_client=self.clients.get, save_token=save_token)
        server.register_grant(CodeGrant, [OpenIdExtension(require_nonce=True), CodeChallenge(required=True)])
        protector = ResourceProtector()
        protector.register_token_validator(Bearer())
        server.register_endpoint(UserInfoAnswer(resource_protector=protector))

        @self.app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            return jsonify(
                issuer=provider.issuer,
                authorization_endpoint=f"{provider.issuer}/authorize",
                token_endpoint=f"{provider.issuer}/token",
                jwks_uri=f"{provider.issuer}/jwks",
                userinfo_endpoint=f"{provider.issuer}/userinfo",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
                code_challenge_methods_supported=["S256"],
            )

        @self.app.get("/jwks")
        def jwks() -> Any:
            return jsonify(keys=[provider.key.as_dict(private=False)])

        @self.app.get("/authorize")
        def authorize() -> Any:
            # The person "signs in" and consents at once: whoever the test chose.
            user = dict(provider.user)
            try:
                grant = server.get_consent_grant(end_user=user)
            except OAuth2Error as error:
                return jsonify(error=error.error, error_description=error.description), 400
            return server.create_authorization_response(grant_user=user, grant=grant)

        @self.app.post("/token")
        def token() -> Any:
            provider.token_requests.append(dict(request.form))
            return server.create_token_response()

        @self.app.get("/userinfo")
        def userinfo() -> Any:
            provider.userinfo_requests.append(dict(request.headers))
            return server.create_endpoint_response("userinfo")

    def start(self) -> TestProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


# The tests' side: the provider as a fixture, the organisation's configuration, the browser's round trip ----
@pytest.fixture(scope="module")
def provider() -> Iterator[TestProvider]:
    running = TestProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI).start()
    yield running
    running.stop()


@pytest.fixture
def local_idp(app: FastAPI, provider: TestProvider) -> Iterator[TestProvider]:
    """The operator allows the provider's loopback address; the provider starts each test afresh."""
    saved = app.state.webhook_policy, app.state.oidc_client
    app.state.webhook_policy, app.state.oidc_client = LOCAL, OidcClient(LOCAL)
    provider.audience, provider.user, provider.email_in_id_token, provider.userinfo = None, {}, True, None
    yield provider
    app.state.webhook_policy, app.state.oidc_client = saved


async def configure(tenant: Tenant, provider: TestProvider, **fields: Any) -> dict[str, Any]:
    """The owner configures the provider (allowing acme.test); the public configuration."""
    body = {
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "allowed_domains": ["acme.test"],
        **fields,
    }
    response = await tenant.client.put("/api/v1/organisation/sso", json=body)
    assert response.status_code == 200, response.text
    config: dict[str, Any] = response.json()
    return config


def email_at(name: str = "maria", domain: str = "acme.test") -> str:
    return f"{name}.{uuid.uuid4().hex[:8]}@{domain}"


async def add_member(tenant: Tenant, email: str, role: str = "member") -> dict[str, Any]:
    created = await tenant.client.post(
        "/api/v1/members", json={"email": email, "name": "Maria Member", "role": role, "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    member: dict[str, Any] = created.json()
    return member


async def to_provider_and_back(browser: httpx.AsyncClient, org_id: str) -> tuple[str, dict[str, list[str]]]:
    """Start in the app, follow the redirect to the provider for real; the callback URL it sends back."""
    started = await browser.get(
        "/api/v1/auth/sso/start", params={"organisation_id": org_id, "return_to": "/scoreboard"}
    )
    assert started.status_code == 302, started.text
    authorize = started.headers["location"]
    async with httpx.AsyncClient() as network:
        answer = await network.get(authorize)
    assert answer.status_code == 302, answer.text
    callback = answer.headers["location"]
    assert callback.startswith(REDIRECT_URI)
    return callback, parse_qs(urlsplit(authorize).query)
