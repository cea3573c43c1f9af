"""MkDocs hook: the tables that must never drift from the code are built from it at every build.

A page asks for a table with a marker line of its own:

* ``<!-- generated: settings -->`` — every field of ``sightline.config.Settings``: environment variable, type,
  default (read from the class) and description (``DESCRIPTIONS`` below, unless the field carries its own);
* ``<!-- generated: events -->`` — the webhook event catalogue (``sightline.webhooks.catalogue.CATALOGUE``): every
  event type, when it is sent, and the object its ``data`` carries;
* ``<!-- generated: decisions -->`` — every decision record in ``docs/decisions/``, grouped by area.

``tests/foundation/test_docs.py`` runs these functions and checks that nothing is left out.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

DOCS_DIR = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^<!-- generated: (\w+) -->$", re.MULTILINE)

# What each setting does, for operators. Name, variable, type, bounds and default come from the class itself; a
# `Field(description=...)` in the class would win over this table. The test fails when a field has no entry here
# or an entry names a field that no longer exists.
DESCRIPTIONS: dict[str, str] = {
    "env": "`production` refuses unsafe settings (cookies that are not Secure, the public development key); "
    "`test` relaxes costs and limits for the test suite.",
    "database_url": "PostgreSQL 15+ URL of the restricted app role (`sightline_app`: no superuser, no `BYPASSRLS`, "
    "owns nothing). Empty: start the embedded PostgreSQL in the data directory, which creates its roles itself.",
    "migration_database_url": "URL of the owner role, used only to run migrations (when `serve`, `worker` and "
    "`migrate` start). Empty while `DATABASE_URL` is set: no migrations run, and the service refuses to start "
    "unless the schema is current.",
    "data_dir": "Where the embedded PostgreSQL keeps its files, and the installation's own secret key "
    "(`secret.key`) when `SIGHTLINE_SECRET_KEY` is unset.",
    "host": "Address `serve` listens on.",
    "port": "Port `serve` listens on.",
    "db_pool_size": "Connections each process keeps open to PostgreSQL (plus a side pool of half this size, at "
    "least 2, for idempotency keys and failed sign-ins).",
    "db_max_overflow": "Extra connections a process may open beyond its pool under load (the side pool gets half).",
    "signup_enabled": "Allow `POST /api/v1/signup` to create organisations.",
    "session_ttl_hours": "Absolute lifetime of a sign-in session (14 days).",
    "session_idle_hours": "A session unused this long ends, whatever its absolute lifetime.",
    "reauth_minutes": "Sensitive actions (API keys, roles, single sign-on, secrets, two-step sign-in) need a "
    "sign-in or re-authentication this recent.",
    "cookie_secure": "`auto`: cookies are `Secure` (and named `__Host-…`) when the request came over HTTPS, as "
    "seen through a trusted proxy; `always`; `never` (refused in production, where cookies are always `Secure`).",
    "max_body_bytes": "Larger request bodies get a 413 problem.",
    "body_timeout_seconds": "A request body that stalls this long gets a 408 problem (slow-loris guard).",
    "max_concurrent_requests": "API requests worked on at once in each process; the others wait their turn in "
    "arrival order (`0`: no limit). See the decision record on admission.",
    "login_max_failures_per_account": "Failed sign-ins per account within the window before 429.",
    "login_max_failures_per_address": "Failed sign-ins per client address within the window before sign-ins from "
    "that address are slowed (never refused).",
    "login_window_seconds": "The sign-in throttle's window.",
    "login_address_delay_seconds": "Past the per-address limit, each sign-in from that address waits this long, "
    "doubled for every further limit's worth of attempts in the window.",
    "login_address_max_delay_seconds": "The longest such wait.",
    "signup_max_per_address": "Sign-ups (new organisations) per client address within the window before 429; "
    "`0`: unlimited (the test environment is unlimited unless this is set).",
    "signup_window_seconds": "The sign-up throttle's window.",
    "signup_verify_email": "A new organisation's owner confirms their email address (a link by mail) before the "
    "organisation can be used. The demo, `sightline admin` and members added by admins start verified.",
    "rate_limit_per_minute": "Requests a minute per API key and per session, per process (429 with `RateLimit` "
    "fields); `0` turns the budget off.",
    "rate_limit_anonymous_per_minute": "Requests a minute per client address for API requests without a "
    "credential (sign-up, sign-in, the docs), per process; `0` turns it off.",
    "invalid_credentials_delay_after": "Invalid API keys or session cookies from one address within the window "
    "before each further refusal is slowed down.",
    "invalid_credentials_max_per_address": "Invalid credentials from one address within the window before it "
    "gets 429 for credentials it has not used successfully.",
    "invalid_credentials_window_seconds": "The invalid-credentials window.",
    "rate_limit_max_tracked": "Memory bound of the request budgets: at most this many credentials and addresses "
    "are tracked per process (the least recent are dropped).",
    "smtp_url": "Outgoing mail: `smtp://user:password@host:587` (STARTTLS required; `?starttls=false` for a local "
    "relay without TLS) or `smtps://…:465`. Empty: messages are written to the log instead.",
    "mail_from": "Sender of outgoing mail.",
    "mail_poll_seconds": "How often the mail outbox is looked at for messages to send.",
    "mail_timeout_seconds": "Timeout of one SMTP attempt.",
    "mail_max_attempts": "Attempts per message before it is marked `failed` (the pause doubles from 30 s, at most "
    "an hour).",
    "trusted_proxies": "Reverse proxies (addresses or CIDRs, comma-separated) whose `X-Forwarded-For` and "
    "`X-Forwarded-Proto` are believed; passed to uvicorn. Empty: no forwarded header is believed.",
    "trust_forwarded_for": "Deprecated: `true` means `SIGHTLINE_TRUSTED_PROXIES=127.0.0.1,::1` when that is unset.",
    "argon2_time_cost": "argon2id time cost of password hashes (the tests lower it).",
    "argon2_memory_kib": "argon2id memory cost of password hashes, in KiB.",
    "workers": "API worker processes of `serve` and `demo` (`--workers`). Unset: one per core the process may run "
    "on. The background jobs still run once: in the one worker's process, or in one job process beside several.",
    "worker_in_process": "Run the background jobs (status recompute, reminders, webhook and mail delivery, "
    "integration pulls, digests, purge) in `serve`, exactly once however many workers; `false` where "
    "`sightline worker` processes run them.",
    "recompute_interval_seconds": "How often statuses are recomputed as time passes, and check-in reminders sent.",
    "purge_interval_seconds": "How often expired sessions, closed throttle windows, old replay records and stale "
    "pending rows are deleted.",
    "client_dir": "The web app's folder (`package.json`, `dist/`); empty: `client/` beside the service package.",
    "build_client": "Build the web app when `serve` starts and `client/dist` is missing and npm is available.",
    "log_level": "Level of the structured logs on stdout.",
    "log_format": "`json` (one object per line) or `console` (for humans).",
    "webhook_allowed_hosts": "Host names and addresses or networks (comma-separated) that webhook deliveries, "
    "HTTP and SQL sources may reach although they are loopback, private, link-local…; e.g. `127.0.0.1,localhost` "
    "for local development.",
    "webhook_allow_http": "Allow plain `http://` URLs for webhook endpoints and HTTP sources.",
    "webhook_timeout_seconds": "Connect and read timeout of a webhook delivery attempt.",
    "webhook_retry_schedule": "Delay in seconds before each delivery attempt (±20 % jitter each).",
    "webhook_disable_after_days": "Disable an endpoint whose attempts have all failed for this long.",
    "webhook_lease_seconds": "How long a dispatcher owns a claimed delivery; after a crash it is sent again once "
    "this has passed.",
    "webhook_poll_seconds": "Polling fallback of the dispatcher when no notification arrives.",
    "webhook_max_in_flight": "Concurrent delivery attempts per dispatcher.",
    "webhook_max_in_flight_per_org": "Attempts one organisation may have in flight at once, across dispatchers.",
    "public_base_url": "Where people reach the web app (`https://okr.example.com`): links in chat messages and "
    "digests, and the single sign-on redirect URI. Empty: `http://HOST:PORT` for links, the request's own address "
    "for the redirect URI.",
    "secret_key": "Keys that encrypt credentials at rest (Fernet; `sightline secret-key` prints one), "
    "comma-separated: the first encrypts, all decrypt (rotate with `sightline rotate-secrets`). Empty: the "
    "installation's own key in the data directory, made at first start.",
    "integration_poll_seconds": "How often the worker looks for integrations due to pull.",
    "integration_timeout_seconds": "Timeout of an HTTP source's request.",
    "integration_max_bytes": "Largest answer read from an HTTP source.",
    "integration_sql_timeout_seconds": "`statement_timeout` of a SQL source's query.",
    "integration_concurrency": "Sources one worker reads at the same time; also the pulls one organisation may have "
    "in flight at once across every process (a manual run beyond it is a 429).",
    "integration_pull_connections": "Connections the HTTP sources' client opens at most, per process (its own "
    "pool, apart from webhooks' and the database's).",
}

# What each area prefix of docs/decisions/ is about.
DECISION_AREAS: dict[str, str] = {
    "abuse": "Request budgets, sign-up verification, mail, security headers",
    "api": "API behaviour",
    "client": "The web app's code",
    "contract": "The OpenAPI contract",
    "accounts": "Roles, credentials and sign-in",
    "audit": "Audit trail, transport, purge, supply chain",
    "docs": "README and the documentation site",
    "fairness": "One organisation cannot slow down the others",
    "integrations": "Pulled key-result values",
    "layers": "The package layers",
    "mfa": "Two-step sign-in and sessions",
    "ops": "Running the service",
    "passwords": "Passwords, cookies, proxies, throttle",
    "redaction": "Secrets in reads, replays, exports",
    "roles": "Database roles",
    "sso": "Single sign-on",
    "tests": "The test loop",
    "trust": "Trust: tenant isolation under attack",
    "webapp": "The web app: accounts",
    "webapp2": "The web app: two-step sign-in and sessions",
    "webhooks": "Webhooks",
}


def _cell(text: str) -> str:
    """Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{value}`" for value in typing.get_args(annotation))
    if origin in (types.UnionType, typing.Union):
        parts = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return " or ".join(_type_name(part) for part in parts) + " (optional)"
    if origin is list:
        return f"list of {_type_name(typing.get_args(annotation)[0])} (comma-separated)"
    names = {str: "text", int: "integer", float: "number", bool: "boolean", Path: "path"}
    if annotation in names:
        return names[annotation]
    return {"SecretStr": "secret text"}.get(getattr(annotation, "__name__", ""), str(annotation))


def _bounds(metadata: list[Any]) -> str:
    signs = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
    found = [f"{sign} {getattr(item, key)}" for item in metadata for key, sign in signs.items() if hasattr(item, key)]
    return f", {', '.join(found)}" if found else ""


def _show(value: Any) -> str:
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if isinstance(value, list):
        return f"`{','.join(_show(item).strip('`') for item in value)}`" if value else "empty"
    if value is None or value == "":
        return "empty"
    return f"`{value}`"


def _default(name: str, field: Any) -> str:
    if name == "data_dir":  # the factory answers for whoever builds the docs
        return "the user's data directory (`~/.local/share/sightline` on Linux)"
    if field.default_factory is not None:
        return _show(field.default_factory())
    return _show(field.default)


def _variables(name: str, field: Any) -> str:
    alias = field.validation_alias
    choices = getattr(alias, "choices", None)
    names = [str(choice) for choice in choices] if choices else [f"SIGHTLINE_{name.upper()}"]
    return " or ".join(f"`{variable}`" for variable in names)


def settings_rows() -> list[dict[str, str]]:
    """One row per Settings field: name, variable, type, default, description."""
    from sightline.config import Settings

    rows = []
    for name, field in Settings.model_fields.items():
        rows.append(
            {
                "name": name,
                "variable": _variables(name, field),
                "type": _type_name(field.annotation) + _bounds(field.metadata),
                "default": _default(name, field),
                "description": field.description or DESCRIPTIONS.get(name, ""),
            }
        )
    return rows


def settings_table() -> str:
    lines = ["| variable | type | default | description |", "|---|---|---|---|"]
    lines += [
        f"| {row['variable']} | {_cell(row['type'])} | {_cell(row['default'])} | {_cell(row['description'])} |"
        for row in settings_rows()
    ]
    return "\n".join(lines)


def events_table() -> str:
    from sightline.webhooks.catalogue import CATALOGUE

    lines = ["| type | sent when | `data` |", "|---|---|---|"]
    for kind in CATALOGUE:
        data = f"[{kind.data.__name__}](#{kind.data.__name__.lower()})"
        if kind.has_previous:
            data += " + `previous`"
        lines.append(f"| `{kind.type}` | {_cell(kind.description)} | {data} |")
    lines += ["", "### The objects in `data`", ""]
    seen: dict[str, list[str]] = {}
    for kind in CATALOGUE:
        seen.setdefault(kind.data.__name__, list(kind.data.model_fields))
    for name, fields in sorted(seen.items()):
        lines += [f"#### {name}", "", ", ".join(f"`{field}`" for field in fields), ""]
    return "\n".join(lines)


def decision_records(docs_dir: Path = DOCS_DIR) -> list[tuple[str, str, str]]:
    """(area, file name, title) of every record in docs/decisions/, by area then name."""
    records = []
    for path in sorted((docs_dir / "decisions").glob("*.md")):
        if path.name == "index.md":
            continue
        first = path.read_text(encoding="utf-8").lstrip().splitlines()[0]
        title = first.removeprefix("#").strip()
        area = path.stem.split("-", 1)[0]
        title = re.sub(rf"^{re.escape(area)}:\s*", "", title, flags=re.IGNORECASE)
        records.append((area, path.name, title))
    return records


def decisions_table(docs_dir: Path = DOCS_DIR) -> str:
    lines: list[str] = []
    current = None
    for area, name, title in decision_records(docs_dir):
        if area != current:
            current = area
            about = DECISION_AREAS.get(area, "")
            lines += ["", f"## {area}" + (f": {about}" if about else ""), ""]
        lines.append(f"* [{title}]({name})")
    return "\n".join(lines).strip() + "\n"


GENERATORS: dict[str, Callable[[], str]] = {
    "settings": settings_table,
    "events": events_table,
    "decisions": decisions_table,
}


def render(markdown: str) -> str:
    """Replace every marker line by its table; an unknown marker fails the build."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            raise ValueError(f"unknown generated table {name!r}; known: {', '.join(GENERATORS)}")
        return GENERATORS[name]()

    return MARKER.sub(replace, markdown)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """MkDocs event: runs on every page's Markdown before it is rendered."""
    return render(markdown)
