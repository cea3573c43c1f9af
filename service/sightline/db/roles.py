"""The database roles Sightline logs in as, and the check that the service never runs with more rights.

Three roles, none a superuser, none BYPASSRLS:
- the owner (e.g. `sightline_owner`): owns the database, its `public` schema and every table; only migrations
  log in as it;
- `sightline_app`: what `serve`, `worker` and the CLI's data commands log in as; row-level security applies;
- `sightline_auth` (no login): owns the few SECURITY DEFINER functions that look across tenants.

The login names come from the two URLs (DATABASE_URL for the app, SIGHTLINE_MIGRATION_DATABASE_URL for the
owner); a login other than `sightline_app` becomes a member of it. `create_roles` makes those URLs work on a
server where you hold an administrator's URL: the embedded server does this on every start, docker-compose
in its one-shot `setup` service, and `sightline create-roles` on an existing PostgreSQL.
"""

from __future__ import annotations

import contextlib

import asyncpg
from sqlalchemy.engine import make_url

from sightline.db.ddl import APP_ROLE, AUTH_ROLE
from sightline.db.urls import asyncpg_dsn, with_database

OWNER_ROLE = "sightline_owner"  # the owner's login on the embedded server and in docker-compose


class UnsafeDatabaseRole(RuntimeError):
    """The service's database login could bypass row-level security."""


def login_of(url: str) -> tuple[str, str | None]:
    parsed = make_url(url)
    if not parsed.username:
        raise ValueError(f"the database URL names no user: {parsed.render_as_string(hide_password=True)}")
    return parsed.username, parsed.password


def database_of(url: str) -> str:
    name = make_url(url).database
    if not name:
        raise ValueError("the database URL names no database")
    return name


def as_login(url: str, user: str, password: str | None = None) -> str:
    """`url` with another login (same server and database)."""
    return make_url(url).set(username=user, password=password).render_as_string(hide_password=False)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _login_role_sql(name: str, password: str | None) -> str:
    """Create or align a login role: never superuser, never BYPASSRLS, whatever it was before."""
    attributes = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION"
    if password is not None:
        attributes += f" PASSWORD {_literal(password)}"
    # Altered only when needed (or to set a password): concurrent ALTER ROLEs of one role can collide.
    aligned = "rolcanlogin AND NOT rolsuper AND NOT rolbypassrls AND NOT rolcreatedb AND NOT rolcreaterole"
    needs_alter = (
        "TRUE"
        if password is not None
        else f"NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(name)} AND {aligned})"
    )
    return f"""
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(name)}) THEN
            CREATE ROLE {_ident(name)} {attributes};
        ELSIF {needs_alter} THEN
            ALTER ROLE {_ident(name)} {attributes};
        END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        ALTER ROLE {_ident(name)} {attributes};  -- another database's setup created it first
    END
    $$;
    """


def _group_role_sql(name: str) -> str:
    return f"""
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(name)}) THEN
            CREATE ROLE {_ident(name)} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
        END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
    END
    $$;
    """


def cluster_sql(app_url: str, owner_url: str) -> str:
    """Roles and memberships (cluster-wide; idempotent)."""
    app_login, app_password = login_of(app_url)
    owner_login, owner_password = login_of(owner_url)
    if app_login == owner_login:
        raise ValueError("the app and the migrations must log in as two different roles")
    parts = [_group_role_sql(AUTH_ROLE)]
    if app_login == APP_ROLE:
        parts.append(_login_role_sql(APP_ROLE, app_password))
    else:
        parts += [_group_role_sql(APP_ROLE), _login_role_sql(app_login, app_password)]
        parts.append(f"GRANT {APP_ROLE} TO {_ident(app_login)};")
    parts.append(_login_role_sql(owner_login, owner_password))
    # Migrations grant to the app role and hand SECURITY DEFINER functions to the auth role.
    parts.append(f"GRANT {APP_ROLE}, {AUTH_ROLE} TO {_ident(owner_login)};")
    return "\n".join(parts)


def database_sql(owner_url: str) -> str:
    """Run inside the target database: the owner owns it, its public schema and what earlier versions made.

    Sightline before version 1.1 migrated as whatever DATABASE_URL named (often a superuser); its tables move to
    the owner so later migrations, run as the owner, can alter them.
    """
    owner_login, _ = login_of(owner_url)
    owner = _ident(owner_login)
    return f"""
    ALTER DATABASE {_ident(database_of(owner_url))} OWNER TO {owner};
    ALTER SCHEMA public OWNER TO {owner};
    GRANT USAGE, CREATE ON SCHEMA public TO {AUTH_ROLE};
    DO $$
    DECLARE
        item record;
    BEGIN
        FOR item IN
            SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
              AND pg_get_userbyid(c.relowner) NOT IN ({_literal(owner_login)}, {_literal(AUTH_ROLE)})
              AND NOT (c.relkind = 'S' AND EXISTS (
                  SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
        LOOP
            EXECUTE format(
                'ALTER %s %I OWNER TO %I',
                CASE item.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                  WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                item.relname, {_literal(owner_login)});
        END LOOP;
        FOR item IN
            SELECT p.oid::regprocedure AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public'
              AND pg_get_userbyid(p.proowner) NOT IN ({_literal(owner_login)}, {_literal(AUTH_ROLE)})
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
        LOOP
            EXECUTE format('ALTER FUNCTION %s OWNER TO %I', item.signature, {_literal(owner_login)});
        END LOOP;
    END
    $$;
    """


async def create_roles(admin_url: str, app_url: str, owner_url: str) -> None:
    """Make `app_url` and `owner_url` work: roles, memberships, the database and its ownership.

    `admin_url` logs in as a superuser (or a role with CREATEROLE and CREATEDB) of the same server.
    """
    name = database_of(owner_url)
    if database_of(app_url) != name:
        raise ValueError("DATABASE_URL and SIGHTLINE_MIGRATION_DATABASE_URL name different databases")
    admin = await asyncpg.connect(asyncpg_dsn(with_database(admin_url, "postgres")))
    try:
        await admin.execute(cluster_sql(app_url, owner_url))
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):  # another process won the race
                await admin.execute(f"CREATE DATABASE {_ident(name)} OWNER {_ident(login_of(owner_url)[0])}")
    finally:
        await admin.close()
    inside = await asyncpg.connect(asyncpg_dsn(with_database(admin_url, name)))
    try:
        await inside.execute(database_sql(owner_url))
    finally:
        await inside.close()


RESTRICTION_QUERY = """
SELECT r.rolname, r.rolsuper, r.rolbypassrls,
       EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND pg_has_role(session_user, c.relowner, 'USAGE')) AS owns_tables
FROM pg_roles r WHERE r.rolname = session_user
"""


def check_restricted(login: str, superuser: bool, bypass_rls: bool, owns_tables: bool) -> None:
    """Refuse to serve with a login that row-level security would not hold."""
    reasons = [
        reason
        for reason, flag in (
            ("is a superuser", superuser),
            ("has BYPASSRLS", bypass_rls),
            ("owns Sightline's tables (the migrations' role)", owns_tables),
        )
        if flag
    ]
    if reasons:
        raise UnsafeDatabaseRole(
            f"DATABASE_URL logs in as {login!r}, which {' and '.join(reasons)}: tenants would not be isolated. "
            f"Log in as {APP_ROLE} and migrate with SIGHTLINE_MIGRATION_DATABASE_URL (see `sightline create-roles`)."
        )
