"""Rate limits, sign-up email verification, the mail outbox.

Revision ID: 0062
Revises: 0061
Create Date: 2026-12-05
"""

from sightline.db.ddl import APP_ROLE, AUTH_ROLE, run, tenant_table

revision = "0062"
down_revision = "0061"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Everyone here before is verified (the column's default fills the existing rows with the migration's
    # time). The default stays: only a public sign-up starts unverified, and it says so explicitly
    # (docs/decisions/abuse-verified-by-default.md).
    run("""
    ALTER TABLE users ADD COLUMN email_verified_at timestamptz DEFAULT now();

    -- A sign-up's single-use link: only the SHA-256 of its token is kept.
    CREATE TABLE email_verifications (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        user_id uuid NOT NULL,
        email text NOT NULL,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
    );
    CREATE UNIQUE INDEX email_verifications_token_key ON email_verifications (token_hash);
    CREATE INDEX email_verifications_user_idx ON email_verifications (org_id, user_id, created_at);

    -- Outgoing mail, written in the transaction of the request that sends it: acknowledged means kept.
    CREATE TABLE mail_outbox (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        kind text NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
        to_address text NOT NULL CHECK (length(to_address) BETWEEN 3 AND 320),
        subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
        body_text text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'logged', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        -- Due time; while a sender holds the message, the end of its lease (a dead sender's lease runs out).
        next_attempt_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        sent_at timestamptz,
        last_error text,
        PRIMARY KEY (org_id, id)
    );
    CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE status = 'pending';
    """)
    for table in ("email_verifications", "mail_outbox"):
        run(tenant_table(table))

    # The doors across tenants: a link's token finds its organisation (before anyone is signed in), and the
    # sender claims due messages of every organisation. Each returns ids only and scopes nothing wider.
    run(f"""
    CREATE POLICY auth_lookup ON email_verifications FOR SELECT TO {AUTH_ROLE} USING (true);
    GRANT SELECT (org_id, id, user_id, token_hash, expires_at, used_at) ON email_verifications TO {AUTH_ROLE};
    CREATE POLICY mail_queue ON mail_outbox FOR SELECT TO {AUTH_ROLE} USING (true);
    CREATE POLICY mail_claim ON mail_outbox FOR UPDATE TO {AUTH_ROLE} USING (true) WITH CHECK (true);
    GRANT SELECT (org_id, id, status, next_attempt_at, attempts) ON mail_outbox TO {AUTH_ROLE};
    GRANT UPDATE (attempts, next_attempt_at) ON mail_outbox TO {AUTH_ROLE};

    -- An unused, unexpired link: its ids, and the caller's transaction scoped to its organisation.
    CREATE FUNCTION auth_email_verification(p_token_hash bytea)
        RETURNS TABLE (org_id uuid, verification_id uuid, user_id uuid)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
            hit record;
        BEGIN
            SELECT v.org_id, v.id, v.user_id INTO hit FROM email_verifications v
            WHERE v.token_hash = p_token_hash AND v.used_at IS NULL AND v.expires_at > now();
            IF NOT FOUND THEN
                RETURN;
            END IF;
            PERFORM set_config('app.org_id', hit.org_id::text, true);
            RETURN QUERY SELECT hit.org_id, hit.id, hit.user_id;
        END
        $$;

    -- Oldest due first; a claimed message is due again at p_lease_until unless its result is recorded.
    CREATE FUNCTION mail_claim_due(p_now timestamptz, p_lease_until timestamptz, p_limit integer)
        RETURNS TABLE (org_id uuid, mail_id uuid)
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
            UPDATE mail_outbox AS m
            SET attempts = m.attempts + 1, next_attempt_at = p_lease_until
            FROM (
                SELECT q.org_id, q.id FROM mail_outbox AS q
                WHERE q.status = 'pending' AND q.next_attempt_at <= p_now
                ORDER BY q.next_attempt_at
                LIMIT p_limit
                FOR UPDATE OF q SKIP LOCKED
            ) AS due
            WHERE m.org_id = due.org_id AND m.id = due.id
            RETURNING m.org_id, m.id
        $$;
    """)
    for signature in (
        "auth_email_verification(bytea)",
        "mail_claim_due(timestamptz, timestamptz, integer)",
    ):
        run(f"""
        ALTER FUNCTION {signature} OWNER TO {AUTH_ROLE};
        REVOKE ALL ON FUNCTION {signature} FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE};
        """)


def downgrade() -> None:
    # Back to 0061 (tests migrate down and up again): queued mail and open links are dropped, everyone verified.
    run("""
    DROP FUNCTION mail_claim_due(timestamptz, timestamptz, integer);
    DROP FUNCTION auth_email_verification(bytea);
    DROP TABLE mail_outbox;
    DROP TABLE email_verifications;
    ALTER TABLE users DROP COLUMN email_verified_at;
    """)
