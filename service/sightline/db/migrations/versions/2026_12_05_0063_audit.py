"""Security events and purging expired rows; SQL connections verify TLS unless told otherwise.

Revision ID: 0063
Revises: 0062
Create Date: 2026-12-05
"""

from sightline.db.ddl import APP_ROLE, AUTH_ROLE, run

revision = "0063"
down_revision = "0062"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQL connections: the TLS mode their string names (NULL for strings saved before: only the application
    # can open them) and whether a weaker mode than verify-full is accepted.
    run("""
    ALTER TABLE sql_connections
        ADD COLUMN sslmode text CHECK (sslmode IN ('disable', 'prefer', 'require', 'verify-ca', 'verify-full')),
        ADD COLUMN allow_weak_tls boolean NOT NULL DEFAULT false;
    """)

    # Expired credentials and pending things do not stay for ever: the purge job deletes them across every
    # organisation through one narrow function owned by the auth role, which may delete (never read beyond
    # the columns it needs) in these tables only.
    run(f"""
    CREATE INDEX auth_sessions_expiry_idx ON auth_sessions (expires_at);
    CREATE INDEX auth_throttle_window_idx ON auth_throttle (window_start);
    CREATE INDEX email_verifications_expiry_idx ON email_verifications (expires_at);

    CREATE POLICY auth_purge ON auth_sessions FOR DELETE TO {AUTH_ROLE} USING (true);
    GRANT DELETE ON auth_sessions TO {AUTH_ROLE};

    CREATE POLICY auth_purge_read ON idempotency_keys FOR SELECT TO {AUTH_ROLE} USING (true);
    CREATE POLICY auth_purge ON idempotency_keys FOR DELETE TO {AUTH_ROLE} USING (true);
    GRANT SELECT (org_id, key, expires_at), DELETE ON idempotency_keys TO {AUTH_ROLE};

    GRANT SELECT (key, window_start), DELETE ON auth_throttle TO {AUTH_ROLE};

    GRANT SELECT (created_at), DELETE ON email_verifications TO {AUTH_ROLE};
    CREATE POLICY auth_purge ON email_verifications FOR DELETE TO {AUTH_ROLE} USING (true);

    -- (mfa_totp's SELECT policy for the auth role exists since 0060; still never the secrets' columns.)
    CREATE POLICY auth_purge ON mfa_totp FOR UPDATE TO {AUTH_ROLE} USING (true) WITH CHECK (true);
    CREATE POLICY auth_purge_delete ON mfa_totp FOR DELETE TO {AUTH_ROLE} USING (true);
    GRANT SELECT (pending_at), UPDATE (pending_secret, pending_at), DELETE ON mfa_totp TO {AUTH_ROLE};

    GRANT SELECT (sent_at, created_at), DELETE ON mail_outbox TO {AUTH_ROLE};
    CREATE POLICY auth_purge ON mail_outbox FOR DELETE TO {AUTH_ROLE} USING (true);
    """)

    # Each kind at most p_limit rows a call (the job calls again while a kind is full), so a first purge of a
    # large backlog never holds long locks. Counts only: nothing of a row leaves the function.
    run(f"""
    CREATE FUNCTION purge_expired(
        p_now timestamptz, p_idle_seconds integer, p_throttle_before timestamptz, p_mail_before timestamptz,
        p_limit integer
    )
        RETURNS TABLE (kind text, purged bigint)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        DECLARE
            n bigint;
        BEGIN
            -- Sessions past their absolute expiry, revoked, or idle longer than the idle timeout.
            DELETE FROM auth_sessions s USING (
                SELECT x.org_id, x.id FROM auth_sessions x
                WHERE x.expires_at <= p_now OR x.revoked_at IS NOT NULL
                   OR coalesce(x.last_seen_at, x.created_at) <= p_now - make_interval(secs => p_idle_seconds)
                LIMIT p_limit) d
            WHERE s.org_id = d.org_id AND s.id = d.id;
            GET DIAGNOSTICS n = ROW_COUNT;
            kind := 'sessions'; purged := n; RETURN NEXT;

            -- Throttle counters whose window has closed: they would start afresh at the next attempt anyway.
            DELETE FROM auth_throttle t USING (
                SELECT x.key FROM auth_throttle x WHERE x.window_start <= p_throttle_before LIMIT p_limit) d
            WHERE t.key = d.key;
            GET DIAGNOSTICS n = ROW_COUNT;
            kind := 'throttle'; purged := n; RETURN NEXT;

            -- Replay records past their time.
            DELETE FROM idempotency_keys k USING (
                SELECT x.org_id, x.key FROM idempotency_keys x WHERE x.expires_at <= p_now LIMIT p_limit) d
            WHERE k.org_id = d.org_id AND k.key = d.key;
            GET DIAGNOSTICS n = ROW_COUNT;
            kind := 'idempotency_keys'; purged := n; RETURN NEXT;

            -- Sign-up links expired or used, once out of the resend counting (a day) too.
            DELETE FROM email_verifications v USING (
                SELECT x.org_id, x.id FROM email_verifications x
                WHERE (x.expires_at <= p_now OR x.used_at IS NOT NULL) AND x.created_at <= p_now - interval '2 days'
                LIMIT p_limit) d
            WHERE v.org_id = d.org_id AND v.id = d.id;
            GET DIAGNOSTICS n = ROW_COUNT;
            kind := 'email_verifications'; purged := n; RETURN NEXT;

            -- Authenticator enrolments never confirmed (confirmation takes 15 minutes at most; kept a day).
            DELETE FROM mfa_totp m USING (
                SELECT x.org_id, x.user_id FROM mfa_totp x
                WHERE x.enabled_at IS NULL AND x.pending_at <= p_now - interval '1 day' LIMIT p_limit) d
            WHERE m.org_id = d.org_id AND m.user_id = d.user_id;
            GET DIAGNOSTICS n = ROW_COUNT;
            UPDATE mfa_totp m SET pending_secret = NULL, pending_at = NULL FROM (
                SELECT x.org_id, x.user_id FROM mfa_totp x
                WHERE x.enabled_at IS NOT NULL AND x.pending_at <= p_now - interval '1 day' LIMIT p_limit) d
            WHERE m.org_id = d.org_id AND m.user_id = d.user_id;
            GET DIAGNOSTICS purged = ROW_COUNT;
            kind := 'mfa_enrolments'; purged := purged + n; RETURN NEXT;

            -- Mail already handed over (or given up): its text may hold a link, kept no longer than needed.
            DELETE FROM mail_outbox o USING (
                SELECT x.org_id, x.id FROM mail_outbox x
                WHERE x.status <> 'pending' AND coalesce(x.sent_at, x.created_at) <= p_mail_before
                LIMIT p_limit) d
            WHERE o.org_id = d.org_id AND o.id = d.id;
            GET DIAGNOSTICS n = ROW_COUNT;
            kind := 'mail'; purged := n; RETURN NEXT;
        END
        $$;
    ALTER FUNCTION purge_expired(timestamptz, integer, timestamptz, timestamptz, integer) OWNER TO {AUTH_ROLE};
    REVOKE ALL ON FUNCTION purge_expired(timestamptz, integer, timestamptz, timestamptz, integer) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION purge_expired(timestamptz, integer, timestamptz, timestamptz, integer) TO {APP_ROLE};
    """)


def downgrade() -> None:
    # Reversible (tests step back across it): the function, its rights, the indexes and the columns go.
    run(f"""
    DROP FUNCTION purge_expired(timestamptz, integer, timestamptz, timestamptz, integer);
    DROP POLICY auth_purge ON auth_sessions;
    REVOKE DELETE ON auth_sessions FROM {AUTH_ROLE};
    DROP POLICY auth_purge_read ON idempotency_keys;
    DROP POLICY auth_purge ON idempotency_keys;
    REVOKE SELECT (org_id, key, expires_at), DELETE ON idempotency_keys FROM {AUTH_ROLE};
    REVOKE SELECT (key, window_start), DELETE ON auth_throttle FROM {AUTH_ROLE};
    DROP POLICY auth_purge ON email_verifications;
    REVOKE SELECT (created_at), DELETE ON email_verifications FROM {AUTH_ROLE};
    DROP POLICY auth_purge ON mfa_totp;
    DROP POLICY auth_purge_delete ON mfa_totp;
    REVOKE SELECT (pending_at), UPDATE (pending_secret, pending_at), DELETE ON mfa_totp FROM {AUTH_ROLE};
    DROP POLICY auth_purge ON mail_outbox;
    REVOKE SELECT (sent_at, created_at), DELETE ON mail_outbox FROM {AUTH_ROLE};
    DROP INDEX auth_sessions_expiry_idx;
    DROP INDEX auth_throttle_window_idx;
    DROP INDEX email_verifications_expiry_idx;
    ALTER TABLE sql_connections DROP COLUMN sslmode, DROP COLUMN allow_weak_tls;
    """)
