"""Multi-factor sign-in and sessions people manage.

Revision ID: 0060
Revises: 0053
Create Date: 2026-12-05
"""

from sightline.db.ddl import APP_ROLE, AUTH_ROLE, run, tenant_table

revision = "0060"
down_revision = "0053"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run("""
    -- Idle timeout and recent sign-in: when the session was last used (to the minute) and last proved its
    -- person (sign-in, or POST /auth/reauthenticate).
    ALTER TABLE auth_sessions ADD COLUMN last_seen_at timestamptz, ADD COLUMN reauthenticated_at timestamptz;
    -- A person's sessions are listed and ended together.
    CREATE INDEX auth_sessions_user_idx ON auth_sessions (org_id, user_id);
    ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;

    -- One authenticator app per person. The secrets are sealed with SIGHTLINE_SECRET_KEY (Fernet). A pending
    -- enrolment waits for its first code in pending_secret; enabled_at says TOTP is on. last_step is the last
    -- accepted 30-second step: a code is never accepted twice, nor one of an earlier step.
    CREATE TABLE mfa_totp (
        org_id uuid NOT NULL,
        user_id uuid NOT NULL,
        secret text,
        enabled_at timestamptz,
        last_step bigint,
        pending_secret text,
        pending_at timestamptz,
        PRIMARY KEY (org_id, user_id),
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE,
        CHECK (enabled_at IS NULL OR secret IS NOT NULL)
    );

    -- Single-use recovery codes: SHA-256 of 80 random bits each, never the code.
    CREATE TABLE mfa_recovery_codes (
        org_id uuid NOT NULL,
        user_id uuid NOT NULL,
        code_hash bytea NOT NULL,
        created_at timestamptz NOT NULL,
        used_at timestamptz,
        PRIMARY KEY (org_id, user_id, code_hash),
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
    );
    """)
    for table in ("mfa_totp", "mfa_recovery_codes"):
        run(tenant_table(table))

    # The session resolver also says whether TOTP is on (never the secret: a column grant) and touches
    # last_seen_at, as auth_resolve_api_key touches last_used_at.
    run(f"""
    CREATE POLICY auth_lookup ON mfa_totp FOR SELECT TO {AUTH_ROLE} USING (true);
    GRANT SELECT (org_id, user_id, enabled_at) ON mfa_totp TO {AUTH_ROLE};
    CREATE POLICY auth_touch ON auth_sessions FOR UPDATE TO {AUTH_ROLE} USING (true) WITH CHECK (true);
    GRANT UPDATE (last_seen_at) ON auth_sessions TO {AUTH_ROLE};
    """)

    # The idle timeout lives in the resolver, like the absolute expiry: a session unused for p_idle_seconds is
    # dead. The old one-argument resolver goes, so nothing resolves a session without the idle check.
    run(f"""
    DROP FUNCTION auth_resolve_session(bytea);
    CREATE FUNCTION auth_resolve_session(p_token_hash bytea, p_idle_seconds integer)
        RETURNS TABLE (org_id uuid, user_id uuid, session_id uuid, role text, reauthenticated_at timestamptz,
                       mfa_enrolment_due boolean)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
            hit record;
        BEGIN
            SELECT s.org_id, s.user_id, s.id AS session_id, u.role, s.last_seen_at, s.reauthenticated_at,
                   (u.role IN ('owner', 'admin')
                    AND o.settings -> 'mfa_required_for_admins' = 'true'::jsonb
                    AND NOT EXISTS (SELECT 1 FROM mfa_totp m
                                    WHERE m.org_id = s.org_id AND m.user_id = s.user_id
                                      AND m.enabled_at IS NOT NULL)) AS due
            INTO hit
            FROM auth_sessions s
            JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id
            JOIN orgs o ON o.org_id = s.org_id
            WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
              AND coalesce(s.last_seen_at, s.created_at) > now() - make_interval(secs => p_idle_seconds)
              AND u.deactivated_at IS NULL;
            IF NOT FOUND THEN
                RETURN;
            END IF;
            -- last-seen time to the minute: no write on every request of a busy browser.
            IF hit.last_seen_at IS NULL OR hit.last_seen_at < now() - interval '1 minute' THEN
                UPDATE auth_sessions SET last_seen_at = now()
                WHERE auth_sessions.org_id = hit.org_id AND auth_sessions.id = hit.session_id;
            END IF;
            PERFORM set_config('app.org_id', hit.org_id::text, true);
            RETURN QUERY SELECT hit.org_id, hit.user_id, hit.session_id, hit.role, hit.reauthenticated_at, hit.due;
        END
        $$;
    ALTER FUNCTION auth_resolve_session(bytea, integer) OWNER TO {AUTH_ROLE};
    REVOKE ALL ON FUNCTION auth_resolve_session(bytea, integer) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION auth_resolve_session(bytea, integer) TO {APP_ROLE};
    """)

    # API keys may carry an expiry: an expired key is refused like a revoked one (otherwise as in 0050).
    run(f"""
    CREATE OR REPLACE FUNCTION auth_resolve_api_key(p_key_hash bytea)
        RETURNS TABLE (org_id uuid, key_id uuid, scopes text[], created_by uuid)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
            hit record;
            allowed text[];
        BEGIN
            SELECT k.org_id, k.id, k.scopes, k.created_by, k.last_used_at, u.role INTO hit
            FROM api_keys k JOIN users u ON u.org_id = k.org_id AND u.id = k.created_by
            WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL AND u.deactivated_at IS NULL
              AND (k.expires_at IS NULL OR k.expires_at > now());
            IF NOT FOUND THEN
                RETURN;
            END IF;
            allowed := ARRAY(
                SELECT s FROM unnest(hit.scopes) AS s
                WHERE s = ANY (CASE hit.role
                    WHEN 'viewer' THEN ARRAY['read']
                    WHEN 'member' THEN ARRAY['read', 'write']
                    ELSE ARRAY['read', 'write', 'admin'] END)
                ORDER BY s);
            IF cardinality(allowed) = 0 THEN
                RETURN;
            END IF;
            -- last-used time to the minute: avoids a write on every request of a busy integration.
            IF hit.last_used_at IS NULL OR hit.last_used_at < now() - interval '1 minute' THEN
                UPDATE api_keys SET last_used_at = now()
                WHERE api_keys.org_id = hit.org_id AND api_keys.id = hit.id;
            END IF;
            PERFORM set_config('app.org_id', hit.org_id::text, true);
            RETURN QUERY SELECT hit.org_id, hit.id, allowed, hit.created_by;
        END
        $$;
    ALTER FUNCTION auth_resolve_api_key(bytea) OWNER TO {AUTH_ROLE};
    REVOKE ALL ON FUNCTION auth_resolve_api_key(bytea) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION auth_resolve_api_key(bytea) TO {APP_ROLE};
    """)


def downgrade() -> None:
    # Back to 0053 (tests migrate down and up again): the resolvers of 0001 and 0050, no second factors.
    run(f"""
    DROP FUNCTION auth_resolve_session(bytea, integer);
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
    ALTER FUNCTION auth_resolve_session(bytea) OWNER TO {AUTH_ROLE};
    REVOKE ALL ON FUNCTION auth_resolve_session(bytea) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION auth_resolve_session(bytea) TO {APP_ROLE};

    CREATE OR REPLACE FUNCTION auth_resolve_api_key(p_key_hash bytea)
        RETURNS TABLE (org_id uuid, key_id uuid, scopes text[], created_by uuid)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
            hit record;
            allowed text[];
        BEGIN
            SELECT k.org_id, k.id, k.scopes, k.created_by, k.last_used_at, u.role INTO hit
            FROM api_keys k JOIN users u ON u.org_id = k.org_id AND u.id = k.created_by
            WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL AND u.deactivated_at IS NULL;
            IF NOT FOUND THEN
                RETURN;
            END IF;
            allowed := ARRAY(
                SELECT s FROM unnest(hit.scopes) AS s
                WHERE s = ANY (CASE hit.role
                    WHEN 'viewer' THEN ARRAY['read']
                    WHEN 'member' THEN ARRAY['read', 'write']
                    ELSE ARRAY['read', 'write', 'admin'] END)
                ORDER BY s);
            IF cardinality(allowed) = 0 THEN
                RETURN;
            END IF;
            IF hit.last_used_at IS NULL OR hit.last_used_at < now() - interval '1 minute' THEN
                UPDATE api_keys SET last_used_at = now()
                WHERE api_keys.org_id = hit.org_id AND api_keys.id = hit.id;
            END IF;
            PERFORM set_config('app.org_id', hit.org_id::text, true);
            RETURN QUERY SELECT hit.org_id, hit.id, allowed, hit.created_by;
        END
        $$;

    DROP POLICY auth_touch ON auth_sessions;
    REVOKE UPDATE (last_seen_at) ON auth_sessions FROM {AUTH_ROLE};
    DROP TABLE mfa_recovery_codes;
    DROP TABLE mfa_totp;
    DROP INDEX auth_sessions_user_idx;
    ALTER TABLE auth_sessions DROP COLUMN last_seen_at, DROP COLUMN reauthenticated_at;
    ALTER TABLE api_keys DROP COLUMN expires_at;
    """)
