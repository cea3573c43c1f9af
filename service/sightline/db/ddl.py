"""SQL snippets the migrations share. Frozen once used: change behaviour with a new function instead."""

from __future__ import annotations

from typing import Any

from alembic import op

APP_ROLE = "sightline_app"
AUTH_ROLE = "sightline_auth"


def tenant_table(table: str) -> str:
    """Row-level security for a tenant table: forced, scoped to `app.org_id`, granted to the app role."""
    return f"""
    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON {table}
        USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());
    GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE};
    """


def run(script: str) -> None:
    """Execute a multi-statement SQL script (asyncpg's simple protocol; prepared statements allow one)."""
    dbapi_connection: Any = op.get_bind().connection.dbapi_connection
    dbapi_connection.run_async(lambda connection: connection.execute(script))
