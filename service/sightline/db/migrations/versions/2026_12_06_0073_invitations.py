"""Invitations and password resets by email: single-use links whose tokens are kept as SHA-256 only.

Revision ID: 0073
Revises: 0072
Create Date: 2026-12-06
"""

from sightline.db.ddl import APP_ROLE, AUTH_ROLE, run, tenant_table

revision = "0073"
down_revision = "0072"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run("""
    -- An admin's invitation: who (email), as what (role, team), by whom; open until accepted, revoked, replaced
    -- (revoked too) or expired. A resend replaces token_hash and expires_at: the earlier link is dead.
    CREATE TABLE invitations (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
        team_id uuid,
        invited_by uuid NOT NULL,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL,
        sent_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        accepted_at timestamptz,
        accepted_by uuid,
        revoked_at timestamptz,
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) ON DELETE SET NULL (team_id),
        FOREIGN KEY (org_id, invited_by) REFERENCES users (org_id, id) ON DELETE CASCADE,
        FOREIGN KEY (org_id, accepted_by) REFERENCES users (org_id, id) ON DELETE SET NULL (accepted_by)
    );
    CREATE UNIQUE INDEX invitations_token_key ON invitations (token_hash);
    CREATE INDEX invitations_open_idx ON invitations (org_id, created_at, id)
        WHERE accepted_at IS NULL AND revoked_at IS NULL;
    CREATE INDEX invitations_email_idx ON invitations (org_id, email);

    -- A "forgot password" link of one member; a newer link, or using one, spends the others.
    CREATE TABLE password_resets (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        user_id uuid NOT NULL,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
    );
    CREATE UNIQUE INDEX password_resets_token_key ON password_resets (token_hash);
    CREATE INDEX password_resets_user_idx ON password_resets (org_id, user_id, created_at);
    """)
    for table in ("invitations", "password_resets"):
        run(tenant_table(table))

    # The doors across tenants, as for sign-up links (0062): a link's token finds its organisation before
    # anyone is signed in. Only open links are found (the caller's clock decides expiry: the service's clock is
    # the one its tests pin); only ids come out, and the caller's transaction is scoped to that organisation.
    run(f"""
    CREATE POLICY auth_lookup ON invitations FOR SELECT TO {AUTH_ROLE} USING (true);
    GRANT SELECT (org_id, id, token_hash, expires_at, accepted_at, revoked_at) ON invitations TO {AUTH_ROLE};
    CREATE POLICY auth_lookup ON password_resets FOR SELECT TO {AUTH_ROLE} USING (true);
    GRANT SELECT (org_id, id, user_id, token_hash, expires_at, used_at) ON password_resets TO {AUTH_ROLE};

    CREATE FUNCTION auth_invitation(p_token_hash bytea, p_now timestamptz)
        RETURNS TABLE (org_id uuid, invitation_id uuid)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
            hit record;
        BEGIN
            SELECT i.org_id, i.id INTO hit FROM invitations i
            WHERE i.token_hash = p_token_hash AND i.accepted_at IS NULL AND i.revoked_at IS NULL
              AND i.expires_at > p_now;
            IF NOT FOUND THEN
                RETURN;
            END IF;
            PERFORM set_config('app.org_id', hit.org_id::text, true);
            RETURN QUERY SELECT hit.org_id, hit.id;
        END
        $$;

    CREATE FUNCTION auth_password_reset(p_token_hash bytea, p_now timestamptz)
        RETURNS TABLE (org_id uuid, reset_id uuid, user_id uuid)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
            hit record;
        BEGIN
            SELECT r.org_id, r.id, r.user_id INTO hit FROM password_resets r
            WHERE r.token_hash = p_token_hash AND r.used_at IS NULL AND r.expires_at > p_now;
            IF NOT FOUND THEN
                RETURN;
            END IF;
            PERFORM set_config('app.org_id', hit.org_id::text, true);
            RETURN QUERY SELECT hit.org_id, hit.id, hit.user_id;
        END
        $$;
    """)
    for signature in ("auth_invitation(bytea, timestamptz)", "auth_password_reset(bytea, timestamptz)"):
        run(f"""
        ALTER FUNCTION {signature} OWNER TO {AUTH_ROLE};
        REVOKE ALL ON FUNCTION {signature} FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE};
        """)


def downgrade() -> None:
    # Back to 0072: open invitations and reset links are dropped (their links stop working).
    run("""
    DROP FUNCTION auth_password_reset(bytea, timestamptz);
    DROP FUNCTION auth_invitation(bytea, timestamptz);
    DROP TABLE password_resets;
    DROP TABLE invitations;
    """)
