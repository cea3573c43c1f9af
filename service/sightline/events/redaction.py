"""Credentials out of everything the audit log keeps and shows: one function, used where events are written
(so the stored snapshot never holds a secret), where they are read (rows older than this code) and by the
migration that cleaned the rows stored before.

What counts as a credential: the user-info, query values and fragment of any URL or DSN (also inside free
text such as an error message), the whole path of well-known capability URLs (Slack, Teams, Discord,
Zapier), every header value, fields named like a secret, `password=…`-style pairs and bearer tokens. What
stays: scheme, host, port, path, parameter and header names, which is what an audit needs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

REDACTED = "REDACTED"

# Fields whose whole value is a credential (compared lower-case, "-" read as "_").
_SECRET_FIELDS = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "previous_secret",
        "client_secret",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "api_key",
        "apikey",
        "api_token",
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "dsn",
        "private_key",
    }
)
_SECRET_SUFFIXES = ("_secret", "_password", "_token")
# Fields holding headers: names stay, every value goes.
_HEADER_FIELDS = frozenset({"headers", "request_headers", "response_headers"})
# Capability URLs: the path itself is the credential.
_CAPABILITY_HOSTS = ("hooks.slack.com", "hooks.zapier.com", "discord.com", "discordapp.com", "outlook.office.com")
_CAPABILITY_SUFFIXES = (".webhook.office.com",)

_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,30}://[^\s\"'<>`]+")
_PAIR = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|client_secret|token|access_token|api_key|apikey|api_token)=(?!REDACTED\b)[^\s&;,]+"
)
_BEARER = re.compile(r"\b(Bearer|Basic|Token)\s+(?!REDACTED\b)[A-Za-z0-9\-._~+/]{6,}=*")
# Cheap pre-check: most strings (titles, notes, ids, dates) can hold none of the above.
_MAYBE = re.compile(r"://|=|Bearer|Basic|Token")


def redact(value: Any) -> Any:
    """A copy of a JSON value (an event's `before`/`after`) with every credential replaced by REDACTED."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: _redact_field(str(key), item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _redact_field(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    kind = _field_kind(key)
    if kind == _SECRET:
        return REDACTED
    if kind == _HEADERS and isinstance(value, dict):
        return {header: None if item is None else REDACTED for header, item in value.items()}
    return value if isinstance(value, int | float) else redact(value)


_PLAIN, _SECRET, _HEADERS = 0, 1, 2


@lru_cache(maxsize=4096)  # a few hundred field names in all snapshots; batches of events repeat them
def _field_kind(key: str) -> int:
    name = key.lower().replace("-", "_")
    if name in _HEADER_FIELDS:
        return _HEADERS
    return _SECRET if name in _SECRET_FIELDS or name.endswith(_SECRET_SUFFIXES) else _PLAIN


def redact_text(text: str) -> str:
    """Free text (a URL, a DSN, an error message) with the credentials in it replaced."""
    if not _MAYBE.search(text):
        return text
    text = _URL.sub(lambda match: redact_url(match.group(0)), text)
    text = _PAIR.sub(lambda match: f"{match.group(1)}={REDACTED}", text)
    return _BEARER.sub(lambda match: f"{match.group(1)} {REDACTED}", text)


def redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # not parseable (e.g. a broken IPv6 literal): keep only the scheme
        return f"{url.partition('://')[0]}://{REDACTED}"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    path = parts.path
    if path not in ("", "/") and _is_capability_host(host):
        path = f"/{REDACTED}"
    query = "&".join(_redact_parameter(pair) for pair in parts.query.split("&")) if parts.query else ""
    fragment = REDACTED if parts.fragment else ""
    return urlunsplit(SplitResult(parts.scheme, netloc, path, query, fragment))


def _redact_parameter(pair: str) -> str:
    name, equals, _ = pair.partition("=")
    if not equals:  # a bare value (`?abc123`) may be a token itself
        return pair and REDACTED
    return f"{name}={REDACTED}"


def _is_capability_host(host: str) -> bool:
    return host in _CAPABILITY_HOSTS or host.endswith(_CAPABILITY_SUFFIXES)
