"""SSRF protection: which webhook URLs may be reached, checked on the address actually connected to.

The host is resolved at delivery time; every resolved address must be globally routable (or allowed by
the operator), and the connection goes to the checked address itself, so a second lookup can never be
rebound to an internal one (the original name still travels in the Host header and TLS SNI).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from sightline.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Names that always mean this machine (RFC 6761), refused already when an endpoint is saved.
_LOOPBACK_NAMES = ("localhost", ".localhost")


class UrlRefused(Exception):
    """Delivery to this URL is not allowed; `reason` says why in words an operator understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HostUnresolvable(UrlRefused):
    """The host has no address now (a refusal too, told apart for those who report it as a class)."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, 6to4, Teredo or NAT64 IPv6 address, if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def classify(address: IPAddress) -> str | None:
    """Why this address is not a public destination (None when it is one)."""
    if isinstance(address, ipaddress.IPv6Address) and (inner := _embedded_ipv4(address)) is not None:
        reason = classify(inner)
        return f"{reason} (an IPv4 address inside IPv6)" if reason else None
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "carrier-grade NAT"
    if isinstance(address, ipaddress.IPv6Address) and address in ipaddress.ip_network("fc00::/7"):
        return "unique-local"
    if address.is_private:
        return "private"
    if address.is_reserved or not address.is_global:
        return "reserved"
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address when `host` is one, including IPv4 shorthand a resolver would accept (2130706433)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


@dataclass(frozen=True)
class UrlPolicy:
    """The operator's rules: plain http or not, and the hosts or networks allowed despite the checks."""

    allow_http: bool = False
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, entries: Iterable[str], *, allow_http: bool = False) -> UrlPolicy:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in (e.strip().lower() for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(allow_http=allow_http, allowed_hosts=frozenset(hosts), allowed_networks=tuple(networks))

    @classmethod
    def from_settings(cls, settings: Settings) -> UrlPolicy:
        return cls.of(settings.webhook_allowed_hosts, allow_http=settings.webhook_allow_http)

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.allowed_hosts

    def address_refusal(self, address: IPAddress, *, host: str) -> str | None:
        """Why delivery to `address` (resolved from `host`) is refused, or None."""
        if self.host_allowed(host) or any(address in network for network in self.allowed_networks):
            return None
        # Networks of the other family match the embedded IPv4 of a mapped address too.
        inner = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
        if inner is not None and any(inner in network for network in self.allowed_networks):
            return None
        reason = classify(address)
        if reason is None:
            return None
        if literal_address(host) is not None:
            return f"{host} is not a public address ({reason})"
        return f"{host} resolves to {address}, which is not a public address ({reason})"

    def scheme_refusal(self, scheme: str) -> str | None:
        if scheme == "https" or (scheme == "http" and self.allow_http):
            return None
        if scheme == "http":
            return "plain http is not allowed on this server; use https"
        return "use an https:// URL"

    def check_url(self, url: str) -> None:
        """Refuse what is wrong without resolving anything: the scheme, literal internal addresses."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise UrlRefused(f"not a valid URL: {exc}") from exc
        if reason := self.scheme_refusal(parts.scheme.lower()):
            raise UrlRefused(reason)
        host = (parts.hostname or "").lower()
        if not host:
            raise UrlRefused("the URL has no host")
        if parts.fragment:
            raise UrlRefused("a URL fragment (#…) is never sent; remove it")
        if port == 0:
            raise UrlRefused("port 0 is not a destination")
        self.check_host(host)

    def check_host(self, host: str) -> None:
        """Refuse a host without resolving it: names that always mean this machine, internal literal addresses."""
        host = host.lower()
        if self.host_allowed(host):
            return
        if host.rstrip(".").endswith(_LOOPBACK_NAMES) or host.rstrip(".") in _LOOPBACK_NAMES:
            raise UrlRefused(f"{host} always means this server (loopback)")
        address = literal_address(host)
        if address is not None and (reason := self.address_refusal(address, host=host)):
            raise UrlRefused(reason)


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def checked_addresses(
    policy: UrlPolicy, host: str, port: int, *, resolver: Resolver = system_resolver
) -> list[IPAddress]:
    """Resolve `host` now and check every address; connect only to what this returns (no second lookup).

    Shared by webhooks, HTTP sources and SQL sources: UrlRefused when any address is refused,
    HostUnresolvable when there is none.
    """
    literal = literal_address(host)
    if literal is not None:
        found: list[IPAddress] = [literal]
    else:
        try:
            found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in await resolver(host, port)]
        except (OSError, UnicodeError) as exc:
            raise HostUnresolvable(f"{host} could not be resolved ({exc})") from exc
        if not found:
            raise HostUnresolvable(f"{host} has no address")
    for address in found:  # any bad address refuses the host: the resolver's order is not ours to trust
        if reason := policy.address_refusal(address, host=host):
            raise UrlRefused(reason)
    return found


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that resolves, checks every address, then connects to a checked address."""

    def __init__(
        self, policy: UrlPolicy, *, resolver: Resolver = system_resolver, inner: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.policy = policy
        self._resolve = resolver
        self._inner = inner or httpx.AsyncHTTPTransport(retries=0)

    async def addresses(self, host: str, port: int) -> Sequence[IPAddress]:
        return await checked_addresses(self.policy, host, port, resolver=self._resolve)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if reason := self.policy.scheme_refusal(url.scheme):
            raise UrlRefused(reason)
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        last_error: Exception | None = None
        for address in await self.addresses(host, port):
            # The Host header was set from the original URL when the request was built; SNI and
            # certificate checks use the name too, while the socket goes to the checked address.
            request.url = url.copy_with(host=str(address))
            extensions: dict[str, Any] = dict(request.extensions)
            if literal_address(host) is None:
                extensions["sni_hostname"] = host
            request.extensions = extensions
            try:
                return await self._inner.handle_async_request(request)
            except httpx.ConnectError as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def aclose(self) -> None:
        await self._inner.aclose()
