"""TLS for a SQL source's connection: what `sslmode` means, as explicit attempts, with the host's name kept.

The driver is handed the checked address (see `sightline.integrations.sql_source`); the context sends and,
when verifying, checks the host's name. Certificates are verified against the system's trust store only
(certificate files named in a URL are never read).
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sightline.integrations.sql_source import ConnectionTarget


class _NamedContext(ssl.SSLContext):
    """Sends (and, when verifying, checks) the host's name while the socket goes to its checked address.

    The driver passes the address it was given as server_hostname; this puts the name back.
    """

    server_name: str | None = None

    def wrap_bio(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if self.server_name is not None:
            kwargs["server_hostname"] = self.server_name
        return super().wrap_bio(*args, **kwargs)


def _context(target: ConnectionTarget) -> ssl.SSLContext:
    """TLS for `sslmode`: verify-* against the system's trust store (certificate files are never read)."""
    context = _NamedContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    named = not _is_literal(target.host)
    context.server_name = target.host.rstrip(".") if named else None
    if target.sslmode in ("verify-ca", "verify-full"):
        context.load_default_certs()
        context.check_hostname = target.sslmode == "verify-full"
        context.verify_mode = ssl.CERT_REQUIRED
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def ssl_attempts(target: ConnectionTarget) -> Iterator[ssl.SSLContext | bool]:
    """What `sslmode` means, as explicit attempts: prefer is TLS first, then plain (libpq's order)."""
    if target.sslmode != "disable":
        yield _context(target)
    if target.sslmode in ("disable", "prefer"):
        yield False
