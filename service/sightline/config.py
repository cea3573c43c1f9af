"""Settings read from the environment (prefix SIGHTLINE_; DATABASE_URL also accepted bare)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 28 hours.
DEFAULT_RETRY_SCHEDULE = [0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0]
# The development key of earlier versions: public, so never used unless named in SIGHTLINE_SECRET_KEY (to
# rotate credentials it encrypted, see docs/decisions/redaction-secret-key.md), and refused in production.
DEV_SECRET_KEY = "c2lnaHRsaW5lLWRldmVsb3BtZW50LWtleS1VTlNBRkU="
# Without SIGHTLINE_SECRET_KEY: the installation's own key, made at first start in the data directory.
SECRET_KEY_FILE = "secret.key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIGHTLINE_", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    # The restricted app role's login (`sightline_app`: no superuser, no BYPASSRLS, owns nothing). Empty means:
    # start the embedded PostgreSQL in data_dir, which creates its roles itself.
    database_url: str = Field(default="", validation_alias=AliasChoices("SIGHTLINE_DATABASE_URL", "DATABASE_URL"))
    # The owner role's login, used only to run migrations (at `serve`, `worker` and `migrate` start). Empty with
    # DATABASE_URL set: no migrations run, and the service refuses to start unless the schema is current.
    migration_database_url: str = ""
    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("sightline")))
    host: str = "127.0.0.1"
    port: int = 8000
    db_pool_size: int = 10
    db_max_overflow: int = 10
    signup_enabled: bool = True
    session_ttl_hours: int = 24 * 14
    # A session unused for this long ends (besides the absolute session_ttl_hours); checked at every request.
    session_idle_hours: float = Field(12, gt=0)
    # Sensitive actions (API keys, roles, SSO, MFA...) need a sign-in or re-authentication this recent.
    reauth_minutes: int = Field(10, ge=1)
    # "auto" marks cookies Secure (and names them __Host-…) when the request arrived over HTTPS, as seen through a
    # trusted proxy; SIGHTLINE_ENV=production always does, and refuses "never".
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    max_body_bytes: int = 1_048_576
    # API requests worked on at once per process; the rest wait in arrival order (http/admission.py); 0: no limit.
    max_concurrent_requests: int = Field(16, ge=0)
    body_timeout_seconds: float = 30.0
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 30
    login_window_seconds: int = 900
    # Past the per-address limit, sign-ins from that address are slowed, never refused (a right password for an
    # account under its own limit still gets in): this delay, doubled for every further limit's worth of
    # attempts in the window, at most the max. Only the per-account limit answers 429.
    login_address_delay_seconds: float = Field(1.0, ge=0)
    login_address_max_delay_seconds: float = Field(10.0, ge=0)
    # Sign-ups (new organisations) per client address and window; 0: unlimited. In the test environment it is
    # unlimited unless set (a test run signs up hundreds of organisations from one address).
    signup_max_per_address: int = Field(10, ge=0)
    signup_window_seconds: int = Field(3600, ge=1)
    # A new organisation's owner proves their email address before the organisation can be used (a link by
    # mail; see docs/security/abuse.md). The demo loader, `sightline admin` and admins' new members are verified.
    signup_verify_email: bool = True
    # Request budgets, per process (docs/decisions/abuse-rate-limits-in-process.md); 0 turns one off.
    # Per API key and per session, a minute:
    rate_limit_per_minute: int = Field(600, ge=0)
    # Per client address for API requests that carry no credential (sign-up, sign-in, the docs…), a minute:
    rate_limit_anonymous_per_minute: int = Field(300, ge=0)
    # Invalid API keys or session cookies from one address within the window: past `delay_after` each refusal
    # is slowed down, past `max` the address gets 429 for credentials it has not used successfully.
    invalid_credentials_delay_after: int = Field(10, ge=0)
    invalid_credentials_max_per_address: int = Field(50, ge=0)
    invalid_credentials_window_seconds: int = Field(900, ge=1)
    # Memory bound of the budgets: at most this many credentials and addresses are tracked (least recent dropped).
    rate_limit_max_tracked: int = Field(100_000, ge=100)
    # Outgoing mail (sign-up verification, later notifications). smtp://user:password@host:587 (STARTTLS required;
    # `?starttls=false` for a local relay without TLS) or smtps://…:465 (TLS from the start). Empty: messages are
    # marked `logged` and written to the log instead (the delivery log), so an operator can still act on them.
    smtp_url: SecretStr = SecretStr("")
    mail_from: str = "Sightline <no-reply@localhost>"
    mail_poll_seconds: float = Field(5.0, gt=0)
    mail_timeout_seconds: float = Field(30.0, gt=0)
    # Attempts per message before it is marked `failed` (backoff doubles from 30 s, at most an hour).
    mail_max_attempts: int = Field(10, ge=1)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses or CIDRs, comma-separated
    # (e.g. "10.0.0.5,172.18.0.0/16"). Empty: no forwarded header is believed. Passed to uvicorn.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Deprecated: true means SIGHTLINE_TRUSTED_PROXIES=127.0.0.1,::1 (a proxy on the same host) when that is unset.
    trust_forwarded_for: bool = False
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65_536
    # API worker processes of `serve` and `demo` (`--workers`); unset: one per core this process may run on.
    workers: int | None = Field(default=None, ge=1)
    # Background jobs (status recompute, check-in reminders, webhook delivery) run by `serve`, exactly once: in its
    # process with one worker, in one job process beside several; off when `sightline worker` processes run them.
    worker_in_process: bool = True
    recompute_interval_seconds: float = 300.0
    # How often expired sessions, closed throttle windows, old replay records and stale pending rows are purged.
    purge_interval_seconds: float = Field(3600.0, gt=0)
    # The web app's folder (package.json, dist/); empty means client/ beside the service package.
    client_dir: Path | None = None
    # Build the web app at `serve` start when client/dist is missing and npm is available.
    build_client: bool = True
    log_level: str = "INFO"

    log_format: Literal["json", "console"] = "json"

    # Webhooks. Hosts (names) or networks (addresses, CIDRs) that deliveries may reach although they are
    # loopback/private/link-local…, comma-separated: e.g. "127.0.0.1,localhost" for local development.
    webhook_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    webhook_allow_http: bool = False
    webhook_timeout_seconds: float = 15.0
    # Delay before each attempt (the first is normally 0); ±20 % jitter is added to each.
    webhook_retry_schedule: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE)
    )
    webhook_disable_after_days: float = 5.0
    # How long a claimed delivery belongs to its dispatcher; after that another one may send it again.
    webhook_lease_seconds: float = 60.0
    webhook_poll_seconds: float = 5.0
    webhook_max_in_flight: int = 32
    # Deliveries one organisation may have in flight at once (across dispatchers): its hanging endpoint
    # holds at most this many of the slots, and every other organisation's deliveries go out meanwhile.
    webhook_max_in_flight_per_org: int = Field(default=4, ge=1)

    # Where people reach the web app (https://okr.example.com): links in chat messages and digests, and the
    # OIDC redirect URI. Empty: the address the service listens on (`serve --host/--port`, else HOST:PORT) for
    # links, the request's own address for the redirect URI. SIGHTLINE_PUBLIC_URL is accepted as another name.
    public_base_url: str = Field(
        default="",
        validation_alias=AliasChoices("SIGHTLINE_PUBLIC_BASE_URL", "SIGHTLINE_PUBLIC_URL", "public_base_url"),
    )
    # Fernet keys (url-safe base64 of 32 bytes; `sightline secret-key` makes one), comma-separated: the first
    # encrypts, all decrypt. Rotate: put a new key first, run `sightline rotate-secrets`, then drop the old.
    # Empty: the key in <data_dir>/secret.key, made (mode 0600) at first start; tests: a key per process
    # (see encryption_keys).
    secret_key: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Pulled key-result values (HTTP and SQL sources). The URL rules are the webhooks' (allowed hosts, http).
    integration_poll_seconds: float = 60.0
    integration_timeout_seconds: float = 20.0
    integration_max_bytes: int = 5_000_000
    integration_sql_timeout_seconds: float = 10.0
    integration_concurrency: int = 4
    # Connections the pull client keeps open at once (every organisation's HTTP sources, in this process).
    integration_pull_connections: int = Field(default=10, ge=1)

    @field_validator("webhook_allowed_hosts", "trusted_proxies", "secret_key", mode="before")
    @classmethod
    def _split_lists(cls, value: object) -> object:
        """Comma- or space-separated lists from the environment."""
        if isinstance(value, str):
            return [part for part in value.replace(" ", ",").split(",") if part]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:  # uvicorn would silently compare a typo as text: refuse it here
                raise ValueError(f"{entry!r} is neither an IP address nor a CIDR such as 10.0.0.0/8") from exc
        return value

    @model_validator(mode="after")
    def _proxies_and_cookies(self) -> Settings:
        if self.trust_forwarded_for and not self.trusted_proxies:
            self.trusted_proxies = ["127.0.0.1", "::1"]  # what the old switch meant: uvicorn's default
        if self.env == "production" and self.cookie_secure == "never":
            raise ValueError("SIGHTLINE_COOKIE_SECURE=never is refused in production: cookies there are always Secure")
        return self

    @field_validator("secret_key")
    @classmethod
    def _keys_are_fernet_keys(cls, value: list[str]) -> list[str]:
        from cryptography.fernet import Fernet

        for key in value:
            try:
                Fernet(key)
            except ValueError as exc:
                raise ValueError("each key is url-safe base64 of 32 bytes (`sightline secret-key` prints one)") from exc
        return value

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("give the web app's address with its scheme, e.g. https://okr.example.com")
        return value.rstrip("/")

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if url and not url.startswith(("smtp://", "smtps://")):
            raise ValueError("give an smtp:// or smtps:// URL, e.g. smtp://user:password@mail.example.com:587")
        return value

    @model_validator(mode="after")
    def _no_development_key_in_production(self) -> Settings:
        if self.env == "production" and DEV_SECRET_KEY in self.secret_key:
            raise ValueError(
                "SIGHTLINE_SECRET_KEY holds the public development key; in production set your own "
                "(`sightline secret-key` prints a new one), or leave it unset to use the installation's own"
            )
        return self

    def encryption_keys(self) -> list[str]:
        """The keys of SIGHTLINE_SECRET_KEY; unset: the installation's own (its file is made at the first call,
        when the service starts, not when settings are merely read), or a key of this process in tests."""
        if self.secret_key:
            return self.secret_key
        return [_process_key() if self.env == "test" else installation_key(self.data_dir)]

    def link_base_url(self) -> str:
        """The web app's address for links sent outside a request (chat messages, digests): the public URL, else
        the address the service listens on (`sightline serve` puts its --host and --port in these settings);
        bound to every interface, this machine's name for it (localhost)."""
        if self.public_base_url:
            return self.public_base_url
        host = "localhost" if self.host in ("", "0.0.0.0", "::") else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _split_schedule(cls, value: object) -> object:
        if isinstance(value, str):
            return [float(part) for part in value.replace(" ", ",").split(",") if part]
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule_not_empty(cls, value: list[float]) -> list[float]:
        if not value or any(delay < 0 for delay in value):
            raise ValueError("give at least one delay, none negative")
        return value


@lru_cache
def _process_key() -> str:
    """Tests: a fresh key per process, never written anywhere (and never the public development key)."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def installation_key(data_dir: Path) -> str:
    """The key in <data_dir>/secret.key; made on the first call. Several processes starting together on one
    data directory (serve and worker) end up with the same key: the first file written wins."""
    from cryptography.fernet import Fernet

    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        draft = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(Fernet.generate_key().decode() + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(draft, path)  # atomic, and never replaces a key another process wrote first
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    if path.stat().st_mode & 0o077:  # readable by others (copied around, restored from a backup): tighten
        path.chmod(0o600)
    key = path.read_text().strip()
    try:
        Fernet(key)
    except ValueError as exc:
        raise ValueError(
            f"{path} does not hold a key (url-safe base64 of 32 bytes); restore it from a backup, or set "
            "SIGHTLINE_SECRET_KEY"
        ) from exc
    return key


# Where a request's session carries its application's settings (`session.info`), for work done inside the
# transaction that needs them (a queued email's links); http/deps.py `get_db` writes it.
SESSION_SETTINGS = "settings"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def session_settings(info: Mapping[str, object]) -> Settings:
    """The settings of a session's work, from its `info` (a request's session carries its application's, set in
    `get_db`); outside a request (the worker), the process's own. For code that runs with only a session, such as
    the hooks at the end of `events.emit`."""
    settings = info.get(SESSION_SETTINGS)
    return settings if isinstance(settings, Settings) else get_settings()
