"""Password rules wherever a password is set: sign-up, an admin's initial password, one's own change and the
operator's reset. 12 to 1024 characters after NFC (runs of spaces count once), no common or breached password
(offline list, any case, digits and symbols around it set aside), no repeated pattern, not one's own email, name
or organisation. Each refusal is a 422 on the field with a type naming the rule; sign-in never applies them."""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from tests.support import PASSWORD, SIGHTLINE, Tenant, make_client

from sightline.identity.passwords import broken_rule, common_passwords

SIGNUP: dict[str, str] = {"organisation_name": "Globex Logistics", "name": "Hank Scorpio"}


async def _signup(anon: httpx.AsyncClient, password: str, **fields: str) -> httpx.Response:
    body = {**SIGNUP, "email": f"hank-{uuid.uuid4().hex[:8]}@globex.test", "password": password, **fields}
    return await anon.post("/api/v1/signup", json=body)


def _refused(response: httpx.Response, field: str, rule: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors: list[dict[str, Any]] = response.json()["errors"]
    assert [(e["loc"], e["type"]) for e in errors] == [(["body", field], rule)], errors
    assert errors[0]["message"]  # says which rule, in words


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("eleven char", "password_too_short"),
        ("a" + " " * 10 + "b", "password_too_short"),  # runs of spaces count once
        ("e\u0301" * 6 + "xyzwv", "password_too_short"),  # 17 code points as sent, 11 after NFC
        ("x" + secrets.token_hex(512), "password_too_long"),  # 1025
        ("Password123!", "password_common"),
        ("QWERTYUIOP!!", "password_common"),
        ("  iloveyou  2024  ", "password_common"),
        ("123456789012", "password_common"),
        ("abcabcabcabc", "password_repetitive"),
        ("abcdefghijklm", "password_repetitive"),
        ("zzzzzzzzzzzzzzzz", "password_repetitive"),
        ("Globex Logistics 2026!", "password_personal"),  # the organisation's name
        ("hank scorpio 1!", "password_personal"),  # the person's name
    ],
)
async def test_sign_up_refuses_each_rule_with_a_field_error(anon: httpx.AsyncClient, password: str, rule: str) -> None:
    _refused(await _signup(anon, password), "password", rule)


async def test_the_email_or_its_local_part_is_not_a_password(anon: httpx.AsyncClient) -> None:
    # The local part ends in a letter: "scorpio-12345678!!" would first be refused as common ("scorpio").
    email = f"scorpio-{uuid.uuid4().hex[:8]}x@globex.test"
    _refused(await _signup(anon, email.upper(), email=email), "password", "password_personal")
    _refused(await _signup(anon, email.split("@")[0] + "!!", email=email), "password", "password_personal")


async def test_long_unicode_and_passphrases_are_welcome(anon: httpx.AsyncClient) -> None:
    for password in (
        PASSWORD,  # the suite's own: "correct horse battery staple"
        "e\u0301" * 6 + "xyzwvu",  # 12 after NFC
        "Grüße aus Köln, 東京 und Zürich",
        " ".join(secrets.token_hex(4) for _ in range(120))[:1024],  # exactly 1024
    ):
        response = await _signup(anon, password)
        assert response.status_code == 201, (password[:30], response.text)


async def test_a_lone_surrogate_is_a_422_not_a_500(anon: httpx.AsyncClient) -> None:
    body = '{"organisation_name": "X", "name": "Y", "email": "s-%s@x.test", "password": "\\ud800abcdefghijklmn"}'
    response = await anon.post(
        "/api/v1/signup", content=body % uuid.uuid4().hex[:6], headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    login = await anon.post(
        "/api/v1/auth/login",
        content='{"email": "a@b.cd", "password": "\\udfffxyz"}',
        headers={"content-type": "application/json"},
    )
    assert login.status_code == 422


async def test_admin_given_initial_password_follows_the_rules(tenant: Tenant) -> None:
    async def add(password: str | None, name: str = "Mia Member") -> httpx.Response:
        body = {"email": f"mia-{uuid.uuid4().hex[:6]}@example.test", "name": name, "role": "member"}
        return await tenant.client.post("/api/v1/members", json={**body, "password": password} if password else body)

    _refused(await add("too short"), "password", "password_too_short")
    _refused(await add("Summer2024!!!"), "password", "password_common")
    _refused(await add("Mia Member 2026"), "password", "password_personal")
    _refused(await add("Acme Marketing!!"), "password", "password_personal")  # the organisation, known only there
    assert (await add("maple syrup on snow")).status_code == 201
    generated = await add(None)
    assert generated.status_code == 201
    assert broken_rule(generated.json()["initial_password"]) is None  # generated passwords comply


async def test_own_password_change_follows_the_rules(app: FastAPI, tenant: Tenant) -> None:
    async def change(new: str) -> httpx.Response:
        return await tenant.client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": new})

    _refused(await change("short one"), "new_password", "password_too_short")
    _refused(await change("PASSWORD1234"), "new_password", "password_common")
    _refused(await change(tenant.email), "new_password", "password_personal")
    _refused(await change("Olive Owner 1990"), "new_password", "password_personal")
    _refused(await change("acme marketing 2026"), "new_password", "password_personal")
    assert (await change("violet kettle on the stairs")).status_code == 204
    async with make_client(app) as other:
        signed_in = await other.post(
            "/api/v1/auth/login", json={"email": tenant.email, "password": "violet kettle on the stairs"}
        )
        assert signed_in.status_code == 200


async def test_admin_reset_gives_a_password_that_complies(tenant: Tenant) -> None:
    created = await tenant.client.post(
        "/api/v1/members", json={"email": f"r-{uuid.uuid4().hex[:6]}@example.test", "name": "Rae", "role": "member"}
    )
    reset = await tenant.client.post(f"/api/v1/members/{created.json()['id']}/password-reset")
    assert reset.status_code == 200
    assert broken_rule(reset.json()["password"]) is None


async def test_passwords_set_under_earlier_rules_keep_working(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8192).hash("hunter2")  # 7 characters, and common
    await owner_connection.execute("UPDATE users SET password_hash = $1 WHERE id = $2", old, uuid.UUID(tenant.owner_id))
    async with make_client(app) as client:
        signed_in = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": "hunter2"})
        assert signed_in.status_code == 200
        # A long password (up to 4096 characters) is simply wrong at sign-in, never a 422.
        wrong = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": "x" * 2000})
        assert wrong.status_code == 401


def test_the_bundled_list_is_there_offline_and_lower_case() -> None:
    common = common_passwords()
    assert len(common) > 40_000
    assert {"password", "123456", "qwertyuiop", "iloveyou"} <= common
    assert all(entry == entry.casefold() for entry in list(common)[:1000])


async def _cli(database_url: str, *args: str, stdin: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SIGHTLINE_MIGRATION_DATABASE_URL"}
    env.update(DATABASE_URL=database_url, SIGHTLINE_DATABASE_URL=database_url, SIGHTLINE_LOG_LEVEL="WARNING")
    process = await asyncio.create_subprocess_exec(
        SIGHTLINE,
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.slow
async def test_operator_reset_from_stdin_follows_the_rules(app: FastAPI, tenant: Tenant, database_url: str) -> None:
    reset = ("admin", "reset-password", tenant.email, "--password-stdin")
    code, _, err = await _cli(database_url, *reset, stdin="Password123!\n")
    assert code == 2 and "commonest or breached" in err
    code, _, err = await _cli(database_url, *reset, stdin="Acme Marketing 2026\n")  # the organisation's name
    assert code == 2 and "organisation's name" in err
    code, _, err = await _cli(database_url, *reset, stdin="lantern over the quiet harbour\n")
    assert code == 0, err
    async with make_client(app) as client:
        signed_in = await client.post(
            "/api/v1/auth/login", json={"email": tenant.email, "password": "lantern over the quiet harbour"}
        )
        assert signed_in.status_code == 200
