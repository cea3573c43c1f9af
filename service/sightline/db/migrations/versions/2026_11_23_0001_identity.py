"""Roles, tenant function, organisations, users, sessions, API keys, login throttle.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from sightline.db.ddl import APP_ROLE, AUTH_ROLE, run, tenant_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Roles are cluster-wide; several databases (tests) may share them, so create them idempotently.
    run(f"""
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
        END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{AUTH_ROLE}') THEN
            CREATE ROLE {AUTH_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
        END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;  -- a concurrent migration of another database created it first
    END
    $$;
    """)
    # The connecting user must be able to SET ROLE to the app role and to hand functions to the auth role.
    run(f"""
    DO $$
    BEGIN
        IF NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER') THEN
            EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
        END IF;
        IF NOT pg_has_role(current_user, '{AUTH_ROLE}', 'MEMBER') THEN
            EXECUTE format('GRANT {AUTH_ROLE} TO %I', current_user);
        END IF;
    END
    $$;
    GRANT USAGE ON SCHEMA public TO {APP_ROLE}, {AUTH_ROLE};
    GRANT SELECT ON alembic_version TO {APP_ROLE};

    CREATE FUNCTION app_current_org() RETURNS uuid
        LANGUAGE sql STABLE PARALLEL SAFE
        AS $$ SELECT NULLIF(current_setting('app.org_id', true), '')::uuid $$;
    """)

    run("""
    CREATE TABLE orgs (
        org_id uuid PRIMARY KEY,
        name text NOT NULL,
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE users (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        email text NOT NULL CHECK (email = lower(email)),
        name text NOT NULL,
        password_hash text,
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
        deactivated_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, id),
        UNIQUE (org_id, email)
    );
    -- Sign-in looks a person up by email before the organisation is known.
    CREATE INDEX users_email_idx ON users (email);

    CREATE TABLE auth_sessions (
        org_id uuid NOT NULL,
        id uuid NOT NULL,
        user_id uuid NOT NULL,
        token_hash bytea NOT NULL,
        user_agent text,
        client_address text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
    );
    CREATE INDEX auth_sessions_token_idx ON auth_sessions (token_hash);

    CREATE TABLE api_keys (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        name text NOT NULL,
        prefix text NOT NULL,
        key_hash bytea NOT NULL,
        scopes text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'write', 'admin'] AND cardinality(scopes) > 0),
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        PRIMARY KEY (org_id, id)
    );
    CREATE INDEX api_keys_hash_idx ON api_keys (key_hash);

    -- Not tenant data: failed sign-in counters by hashed account or by client address.
    CREATE TABLE auth_throttle (
        key text PRIMARY KEY,
        window_start timestamptz NOT NULL,
        failures integer NOT NULL
    );
    """)
    run(f"GRANT SELECT, INSERT, UPDATE, DELETE ON auth_throttle TO {APP_ROLE};")
    for table in ("orgs", "users", "auth_sessions", "api_keys"):
        run(tenant_table(table))

    # The only doors across tenants: narrow SECURITY DEFINER functions owned by the auth role,
    # which sees these tables through its own policies. Each resolves a credential and scopes
    # the caller's transaction to the credential's organisation.
    run(f"""
    CREATE POLICY auth_lookup ON orgs FOR SELECT TO {AUTH_ROLE} USING (true);
    CREATE POLICY auth_lookup ON users FOR SELECT TO {AUTH_ROLE} USING (true);
    CREATE POLICY auth_lookup ON auth_sessions FOR SELECT TO {AUTH_ROLE} USING (true);
    CREATE POLICY auth_lookup ON api_keys FOR SELECT TO {AUTH_ROLE} USING (true);
    CREATE POLICY auth_touch ON api_keys FOR UPDATE TO {AUTH_ROLE} USING (true) WITH CHECK (true);
    GRANT SELECT ON orgs, users, auth_sessions, api_keys TO {AUTH_ROLE};
    GRANT UPDATE (last_used_at) ON api_keys TO {AUTH_ROLE};

    CREATE FUNCTION auth_login_candidates(p_email text)
        RETURNS TABLE (org_id uuid, user_id uuid, password_hash text, org_name text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
            SELECT u.org_id, u.id, u.password_hash, o.name
            FROM users u JOIN orgs o ON o.org_id = u.org_id
            WHERE u.email = lower(p_email) AND u.deactivated_at IS NULL
        $$;

    CREATE FUNCTION auth_resolve_session(p_token_hash bytea)
        RETURNS TABLE (org_id uuid, user_id uuid, session_id uuid, role text)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
            hit record;
        BEGIN
            SELECT s.org_id, s.user_id, s.id AS session_id, u.role INTO hit
            FROM auth_sessions s JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id
            WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
              AND u.deactivated_at IS NULL;
            IF NOT FOUND THEN
                RETURN;
            END IF;
            PERFORM set_config('app.org_id', hit.org_id::text, true);
            RETURN QUERY SELECT hit.org_id, hit.user_id, hit.session_id, hit.role;
        END
        $$;

    CREATE FUNCTION auth_resolve_api_key(p_key_hash bytea)
        RETURNS TABLE (org_id uuid, key_id uuid, scopes text[], created_by uuid)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
            hit record;
        BEGIN
            SELECT k.org_id, k.id, k.scopes, k.created_by, k.last_used_at INTO hit
            FROM api_keys k WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL;
            IF NOT FOUND THEN
                RETURN;
            END IF;
            -- last-used time to the minute: avoids a write on every request of a busy integration.
            IF hit.last_used_at IS NULL OR hit.last_used_at < now() - interval '1 minute' THEN
                UPDATE api_keys SET last_used_at = now()
                WHERE api_keys.org_id = hit.org_id AND api_keys.id = hit.id;
            END IF;
            PERFORM set_config('app.org_id', hit.org_id::text, true);
            RETURN QUERY SELECT hit.org_id, hit.id, hit.scopes, hit.created_by;
        END
        $$;
    """)
    for signature in (
        "auth_login_candidates(text)",
        "auth_resolve_session(bytea)",
        "auth_resolve_api_key(bytea)",
    ):
        run(f"""
        ALTER FUNCTION {signature} OWNER TO {AUTH_ROLE};
        REVOKE ALL ON FUNCTION {signature} FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE};
        """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
