"""The links the demo server mails, read where it keeps its mail: the `mail_outbox` table of its embedded
PostgreSQL (the browser-test server has no SMTP server, and its sender job does not run in the process). The table is
read as the embedded server's superuser: the service's own role sees only one organisation at a time."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import psutil


def _socket(base_url: str) -> tuple[str, int]:
    """The demo server's PostgreSQL socket: its data directory is in the environment of the `sightline demo` child
    that conftest.py started on this port, the socket in that directory's postmaster.pid."""
    port = str(urlsplit(base_url).port)
    data_dir = next(
        Path(child.environ()["SIGHTLINE_DATA_DIR"])
        for child in psutil.Process().children(recursive=True)
        if child.environ().get("SIGHTLINE_PORT") == port and "SIGHTLINE_DATA_DIR" in child.environ()
    )
    lines = (data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()
    return lines[4].strip(), int(lines[3].strip())


def superuser_fetch(base_url: str, sql: str, *args: object) -> list[dict[str, object]]:
    """Run one statement on the demo server's database as its superuser; the rows it returns."""
    host, port = _socket(base_url)

    async def run() -> list[dict[str, object]]:
        conn = await asyncpg.connect(host=host, port=port, user="postgres", database="sightline")
        try:
            return [dict(row) for row in await conn.fetch(sql, *args)]
        finally:
            await conn.close()

    # Playwright's sync API keeps an event loop running in this thread: run the query on another one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=30)


def mails_to(base_url: str, email: str) -> list[str]:
    """The bodies of every message queued to `email`, newest first."""
    rows = superuser_fetch(
        base_url,
        "SELECT body_text FROM mail_outbox WHERE lower(to_address) = lower($1) ORDER BY created_at DESC",
        email,
    )
    return [str(row["body_text"]) for row in rows]


def latest_link(base_url: str, email: str, web_path: str) -> str:
    """The path and query (`/reset-password?token=…`) of the newest link to `web_path` mailed to `email`."""
    for body in mails_to(base_url, email):
        found = re.search(rf"https?://[^\s/]+({re.escape(web_path)}\?token=[A-Za-z0-9_\-]+)", body)
        if found:
            return found.group(1)
    raise AssertionError(f"no {web_path} link was mailed to {email}")
