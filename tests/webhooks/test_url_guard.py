"""SSRF: internal destinations are refused when an endpoint is saved and again, after resolving, at delivery.

No test here ever connects anywhere but 127.0.0.1: private and link-local addresses are only ever refused,
or judged allowed by the policy without sending anything.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import uuid

import asyncpg
import pytest
import trustme
from fastapi import FastAPI
from tests.support import FixedClock, Tenant
from tests.webhook_receiver import LocalReceiver
from tests.webhooks.conftest import CONFIG
from tests.webhooks.support import check_in, deliveries, endpoint_at, key_result

from sightline.url_guard import UrlPolicy, UrlRefused
from sightline.webhooks.dispatcher import Dispatcher
from sightline.webhooks.sender import WebhookSender

# The issue's list: each with what the refusal must say.
INTERNAL = [
    pytest.param("127.0.0.1", "loopback", id="127.0.0.1"),
    pytest.param("10.0.0.1", "private", id="10.0.0.1"),
    pytest.param("169.254.169.254", "link-local", id="169.254.169.254-cloud-metadata"),
    pytest.param("[::1]", "loopback", id="[::1]"),
    pytest.param("[::ffff:127.0.0.1]", "loopback (an IPv4 address inside IPv6)", id="[::ffff:127.0.0.1]"),
    pytest.param("0.0.0.0", "unspecified", id="0.0.0.0"),
    pytest.param("100.64.0.1", "carrier-grade NAT", id="100.64.0.1-cgnat"),
    pytest.param("[fd12::1]", "unique-local", id="[fd12::1]"),
    pytest.param("224.0.0.1", "multicast", id="224.0.0.1"),
    pytest.param("2130706433", "loopback", id="2130706433-decimal-ipv4"),
]


@pytest.mark.parametrize(("host", "reason"), INTERNAL)
async def test_an_endpoint_at_an_internal_address_is_a_422(
    tenant: Tenant, strict_api: None, host: str, reason: str
) -> None:
    response = await tenant.client.post("/api/v1/webhook-endpoints", json={"url": f"https://{host}/hooks"})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "url"]
    assert f"({reason})" in error["message"]


async def test_names_that_always_mean_this_machine_are_refused_when_saved(tenant: Tenant, strict_api: None) -> None:
    for url in ("https://localhost/hooks", "https://api.localhost:8443/hooks", "https://LOCALHOST./hooks"):
        response = await tenant.client.post("/api/v1/webhook-endpoints", json={"url": url})
        assert response.status_code == 422, url
        assert "loopback" in response.json()["errors"][0]["message"]


async def test_plain_http_and_other_schemes_need_the_operator(tenant: Tenant, strict_api: None) -> None:
    http = await tenant.client.post("/api/v1/webhook-endpoints", json={"url": "http://hooks.example.com/x"})
    assert http.status_code == 422 and "https" in http.json()["errors"][0]["message"]
    ftp = await tenant.client.post("/api/v1/webhook-endpoints", json={"url": "ftp://hooks.example.com/x"})
    assert ftp.status_code == 422
    ok = await tenant.client.post("/api/v1/webhook-endpoints", json={"url": "https://hooks.example.com/x"})
    assert ok.status_code == 201


@pytest.mark.parametrize(("host", "reason"), INTERNAL[:6])
async def test_the_operator_allow_list_lets_named_hosts_and_networks_through(
    app: FastAPI, tenant: Tenant, host: str, reason: str
) -> None:
    allowing = UrlPolicy.of(["127.0.0.1", "10.0.0.0/8", "169.254.169.254", "::1", "0.0.0.0", "localhost"])
    app.state.webhook_policy = allowing  # restored by the local_hooks fixture
    for url in (f"https://{host}/hooks", "https://localhost/hooks"):
        response = await tenant.client.post("/api/v1/webhook-endpoints", json={"url": url})
        assert response.status_code == 201, response.text
    # Judged only: nothing is ever sent to a private or link-local address from a test.
    address = ipaddress.ip_address(socket.inet_aton(host) if "." in host and ":" not in host else host.strip("[]"))
    assert allowing.address_refusal(address, host=host) is None
    assert UrlPolicy().address_refusal(address, host=host) == f"{host} is not a public address ({reason})"
    with pytest.raises(UrlRefused, match="not a public address"):
        UrlPolicy().check_url(f"https://{host}/hooks")


@pytest.mark.parametrize(("host", "reason"), INTERNAL)
async def test_delivery_to_an_internal_address_is_refused_before_connecting(
    receiver: LocalReceiver, host: str, reason: str
) -> None:
    sender = WebhookSender(UrlPolicy(allow_http=True))
    port = receiver.port if host in ("127.0.0.1", "2130706433", "[::ffff:127.0.0.1]") else 9
    try:
        result = await sender.post(f"http://{host}:{port}/hooks", b"{}", {})
    finally:
        await sender.aclose()
    assert result.status is None
    assert result.error is not None and result.error.startswith("refused: ")
    assert f"({reason})" in result.error
    assert receiver.received == []


async def test_a_host_name_resolving_to_loopback_is_refused_at_delivery(receiver: LocalReceiver) -> None:
    refusing = WebhookSender(UrlPolicy(allow_http=True))
    allowing = WebhookSender(UrlPolicy.of(["localhost"], allow_http=True))
    try:
        refused = await refusing.post(f"http://localhost:{receiver.port}/hooks", b"{}", {})
        assert refused.error is not None
        assert "localhost resolves to" in refused.error and "(loopback)" in refused.error
        assert receiver.received == []
        # Named by the operator: delivered (to whichever loopback address answers).
        delivered = await allowing.post(f"http://localhost:{receiver.port}/hooks", b"{}", {})
        assert delivered.status == 200
        assert len(receiver.received) == 1
    finally:
        await refusing.aclose()
        await allowing.aclose()


async def test_any_bad_address_among_several_refuses_the_host() -> None:
    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.1.2.3"]  # a public address first, then an internal one

    sender = WebhookSender(UrlPolicy(), resolver=mixed)
    try:
        result = await sender.post("https://hooks.example.test/x", b"{}", {})
    finally:
        await sender.aclose()
    assert result.error is not None and "resolves to 10.1.2.3" in result.error and "(private)" in result.error


async def test_a_name_that_does_not_resolve_is_refused_with_the_reason() -> None:
    async def nowhere(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    sender = WebhookSender(UrlPolicy(), resolver=nowhere)
    try:
        result = await sender.post("https://hooks.example.test/x", b"{}", {})
    finally:
        await sender.aclose()
    assert result.error is not None and result.error.startswith("refused: hooks.example.test could not be resolved")


async def test_the_connection_goes_to_the_checked_address_with_the_name_in_the_host_header(
    receiver: LocalReceiver,
) -> None:
    lookups: list[str] = []

    async def once(host: str, port: int) -> list[str]:
        lookups.append(host)
        # A rebinding resolver would answer differently the second time; there is no second time.
        return ["127.0.0.1"] if len(lookups) == 1 else ["10.0.0.1"]

    sender = WebhookSender(UrlPolicy.of(["127.0.0.0/8"], allow_http=True), resolver=once)
    try:
        result = await sender.post(f"http://hooks.example.test:{receiver.port}/path?q=1", b'{"a":1}', {})
    finally:
        await sender.aclose()
    assert result.status == 200
    assert lookups == ["hooks.example.test"]
    [request] = receiver.received
    assert request.headers["host"] == f"hooks.example.test:{receiver.port}"
    assert request.path == "/path?q=1" and request.body == b'{"a":1}'


async def test_a_refused_delivery_is_recorded_as_a_failed_attempt_with_the_reason(
    app: FastAPI,
    tenant: Tenant,
    receiver: LocalReceiver,
    clock: FixedClock,
    owner_connection: asyncpg.Connection,
) -> None:
    async def rebound(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]  # the name looked public when saved; it now points inside

    endpoint = await endpoint_at(
        tenant.client, f"http://rebound.example.test:{receiver.port}/hooks", event_types=["check_in.created"]
    )
    sender = WebhookSender(UrlPolicy(allow_http=True), resolver=rebound)
    dispatcher = Dispatcher(app.state.session_factory, sender, CONFIG, clock=lambda: clock.now)
    try:
        await check_in(tenant.client, await key_result(tenant.client))
        assert await dispatcher.drain() == 1
    finally:
        await sender.aclose()
    [row] = await deliveries(owner_connection, endpoint["id"])
    assert (row["status"], row["attempts"], row["response_status"]) == ("pending", 1, None)
    assert row["error"] == (
        "refused: rebound.example.test resolves to 127.0.0.1, which is not a public address (loopback)"
    )
    assert receiver.received == []
    log = await tenant.client.get(
        f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", params={"status": "pending"}
    )
    assert [d["error"] for d in log.json()["items"]] == [row["error"]]
    assert uuid.UUID(log.json()["items"][0]["id"]) == row["id"]


async def test_https_goes_to_the_checked_address_and_verifies_the_certificate_against_the_name() -> None:
    authority = trustme.CA()
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)

    async def to_loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    for certificate_name, succeeds in (("hooks.example.test", True), ("someone-else.example.test", False)):
        serving = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert(certificate_name).configure_cert(serving)
        receiver = await LocalReceiver().start(tls=serving)
        sender = WebhookSender(UrlPolicy.of(["127.0.0.1"]), resolver=to_loopback, verify=trusting)
        try:
            result = await sender.post(f"https://hooks.example.test:{receiver.port}/hooks", b"{}", {})
        finally:
            await sender.aclose()
            await receiver.stop()
        if succeeds:
            assert result.status == 200
            assert receiver.received[0].headers["host"] == f"hooks.example.test:{receiver.port}"
        else:  # a certificate for another name is refused, although the address is the same
            assert result.status is None and result.error is not None and "CERTIFICATE_VERIFY_FAILED" in result.error
            assert receiver.received == []
