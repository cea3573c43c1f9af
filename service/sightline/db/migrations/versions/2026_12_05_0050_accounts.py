"""Accounts: API keys' creators, password changes and resets, sign-up throttle.

Revision ID: 0050
Revises: 0040
Create Date: 2026-12-05
"""

from sightline.db.ddl import APP_ROLE, AUTH_ROLE, run

revision = "0050"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A removed member keeps their row (history points at it); their email may join again as a new member.
    run("""
    ALTER TABLE users DROP CONSTRAINT users_org_id_email_key;
    CREATE UNIQUE INDEX users_active_email_key ON users (org_id, email) WHERE deactivated_at IS NULL;
    -- Removing or demoting a member finds the keys they created.
    CREATE INDEX api_keys_created_by_idx ON api_keys (org_id, created_by);
    """)

    # Credentials follow their person: a key works only while its creator is an active member, and never
    # with more than the creator's role allows now (the same map as ROLE_SCOPES in http/deps.py).
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

    # Keys stored before this version: revoke those of removed (or unknown) creators, cap the others to their
    # creator's role, so the key list tells the truth. Row-level security applies to the migration's role too,
    # so each organisation is visited in turn.
    run("""
    DO $$
    DECLARE
        org uuid;
    BEGIN
        FOR org IN SELECT * FROM worker_org_ids() LOOP
            PERFORM set_config('app.org_id', org::text, true);
            UPDATE api_keys k SET revoked_at = now(), version = k.version + 1
            WHERE k.org_id = org AND k.revoked_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM users u
                              WHERE u.org_id = k.org_id AND u.id = k.created_by AND u.deactivated_at IS NULL);
            UPDATE api_keys k SET scopes = capped.scopes, version = k.version + 1
            FROM (
                SELECT k2.org_id, k2.id, ARRAY(
                    SELECT s FROM unnest(k2.scopes) AS s
                    WHERE s = ANY (CASE u.role WHEN 'viewer' THEN ARRAY['read']
                                               WHEN 'member' THEN ARRAY['read', 'write']
                                               ELSE ARRAY['read', 'write', 'admin'] END)
                    ORDER BY s) AS scopes
                FROM api_keys k2 JOIN users u ON u.org_id = k2.org_id AND u.id = k2.created_by
                WHERE k2.org_id = org AND k2.revoked_at IS NULL
            ) AS capped
            WHERE k.org_id = capped.org_id AND k.id = capped.id AND k.scopes <> capped.scopes
              AND cardinality(capped.scopes) > 0;
            UPDATE api_keys k SET revoked_at = now(), version = k.version + 1
            FROM users u
            WHERE k.org_id = org AND u.org_id = k.org_id AND u.id = k.created_by AND k.revoked_at IS NULL
              AND u.role = 'viewer' AND NOT ('read' = ANY (k.scopes));
        END LOOP;
        PERFORM set_config('app.org_id', '', true);
    END
    $$;
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
