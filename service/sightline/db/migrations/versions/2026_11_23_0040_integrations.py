"""Integrations: pulled key-result values (HTTP and SQL sources, run log), chat formats, team digests, OIDC.

Revision ID: 0040
Revises: 0020
Create Date: 2026-11-23
"""

from sightline.db.ddl import APP_ROLE, AUTH_ROLE, run, tenant_table

revision = "0040"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run("""
    -- PostgreSQL databases an admin registered for SQL sources. The connection string (with its password) is
    -- kept only encrypted (Fernet, SIGHTLINE_SECRET_KEY); host, port, database and user are kept to show.
    CREATE TABLE sql_connections (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        description text NOT NULL DEFAULT '',
        dsn_encrypted text NOT NULL,
        host text NOT NULL,
        port integer,
        database text NOT NULL,
        username text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, id),
        UNIQUE (org_id, name)
    );

    -- One source per key result; its name is the `source` of the check-ins it writes.
    CREATE TABLE integrations (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_.:-]*$' AND length(name) <= 100),
        key_result_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('http', 'sql')),
        schedule text NOT NULL CHECK (schedule IN ('hourly', 'daily', 'weekly')),
        enabled boolean NOT NULL DEFAULT true,
        config jsonb NOT NULL,            -- url, format and selector (http), or the query (sql)
        headers_encrypted text,           -- http: the JSON object of request headers, encrypted
        header_names text[] NOT NULL DEFAULT '{}',
        connection_id uuid,               -- sql
        -- When the scheduler runs it next; while a worker holds it, the end of that worker's lease.
        next_run_at timestamptz,
        last_run_at timestamptz,
        last_success_at timestamptz,
        last_value double precision,
        last_error text,
        failing_since timestamptz,
        consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, id),
        UNIQUE (org_id, name),
        UNIQUE (org_id, key_result_id),
        FOREIGN KEY (org_id, key_result_id) REFERENCES key_results (org_id, id) ON DELETE CASCADE,
        FOREIGN KEY (org_id, connection_id) REFERENCES sql_connections (org_id, id),
        CHECK ((kind = 'sql') = (connection_id IS NOT NULL)),
        CHECK (NOT enabled OR next_run_at IS NOT NULL)
    );
    -- The scheduler's queue across organisations: enabled integrations by due time.
    CREATE INDEX integrations_due_idx ON integrations (next_run_at) WHERE enabled;
    CREATE INDEX integrations_list_idx ON integrations (org_id, created_at, id);
    CREATE INDEX integrations_connection_idx ON integrations (org_id, connection_id) WHERE connection_id IS NOT NULL;

    CREATE TABLE integration_runs (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        integration_id uuid NOT NULL,
        trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
        triggered_by text NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('recorded', 'unchanged', 'failed', 'skipped')),
        value double precision,
        check_in_id uuid,
        error text,
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, integration_id) REFERENCES integrations (org_id, id) ON DELETE CASCADE,
        FOREIGN KEY (org_id, check_in_id) REFERENCES check_ins (org_id, id),
        CHECK (outcome <> 'failed' OR error IS NOT NULL),
        CHECK ((outcome = 'recorded') = (check_in_id IS NOT NULL))
    );
    CREATE INDEX integration_runs_log_idx ON integration_runs (org_id, integration_id, started_at, id);

    -- A team's weekly digest, sent to one webhook endpoint on a weekday and hour of the organisation's zone.
    CREATE TABLE team_digests (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        team_id uuid NOT NULL,
        endpoint_id uuid NOT NULL,
        weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),  -- ISO: 1 = Monday
        hour smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
        last_sent_at timestamptz,
        last_sent_week date,  -- Monday of the week the schedule last sent it (manual sends do not count)
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, id),
        UNIQUE (org_id, team_id, endpoint_id),
        FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) ON DELETE CASCADE,
        FOREIGN KEY (org_id, endpoint_id) REFERENCES webhook_endpoints (org_id, id) ON DELETE CASCADE
    );

    -- OpenID Connect single sign-on, at most one provider per organisation.
    CREATE TABLE sso_configs (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        issuer text NOT NULL,
        client_id text NOT NULL,
        client_secret_encrypted text NOT NULL,
        allowed_domains text[] NOT NULL DEFAULT '{}',
        default_role text NOT NULL DEFAULT 'member' CHECK (default_role IN ('viewer', 'member')),
        auto_create_members boolean NOT NULL DEFAULT false,
        sso_required boolean NOT NULL DEFAULT false,
        enabled boolean NOT NULL DEFAULT true,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (org_id)
    );

    -- Chat-ready bodies for an endpoint: the same events rendered as Slack or Teams messages.
    ALTER TABLE webhook_endpoints
        ADD COLUMN format text NOT NULL DEFAULT 'standard' CHECK (format IN ('standard', 'slack', 'teams'));

    -- The health of a key result's pulled values, shown on the key result itself.
    ALTER TABLE key_results
        ADD COLUMN data_source_status text CHECK (data_source_status IN ('pending', 'ok', 'failing')),
        ADD COLUMN data_source_error text,
        ADD COLUMN data_source_checked_at timestamptz;
    """)
    for table in ("sql_connections", "integrations", "integration_runs", "team_digests", "sso_configs"):
        run(tenant_table(table))
    # The run log is history: appended, never edited (it goes with its integration).
    run(f"REVOKE UPDATE ON integration_runs FROM {APP_ROLE};")

    # Schedulers serve every organisation from one queue, like the webhook dispatcher (revision 0010): a
    # narrow SECURITY DEFINER function, owned by the auth role, that sees only the queue columns, leases due
    # integrations to one worker (their due time moves to the end of the lease, so a crashed worker's work
    # comes back) and returns nothing but (org_id, integration_id). The rest happens under row-level security.
    run(f"""
    CREATE POLICY scheduler_queue ON integrations FOR SELECT TO {AUTH_ROLE} USING (true);
    CREATE POLICY scheduler_claim ON integrations FOR UPDATE TO {AUTH_ROLE} USING (true) WITH CHECK (true);
    GRANT SELECT (org_id, id, enabled, next_run_at) ON integrations TO {AUTH_ROLE};
    GRANT UPDATE (next_run_at) ON integrations TO {AUTH_ROLE};

    CREATE FUNCTION integration_claim_due(p_now timestamptz, p_lease_until timestamptz, p_limit integer)
        RETURNS TABLE (org_id uuid, integration_id uuid)
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
            UPDATE integrations AS i
            SET next_run_at = p_lease_until
            FROM (
                SELECT q.org_id, q.id FROM integrations AS q
                WHERE q.enabled AND q.next_run_at <= p_now
                ORDER BY q.next_run_at
                LIMIT p_limit
                FOR UPDATE SKIP LOCKED
            ) AS due
            WHERE i.org_id = due.org_id AND i.id = due.id
            RETURNING i.org_id, i.id
        $$;
    ALTER FUNCTION integration_claim_due(timestamptz, timestamptz, integer) OWNER TO {AUTH_ROLE};
    REVOKE ALL ON FUNCTION integration_claim_due(timestamptz, timestamptz, integer) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION integration_claim_due(timestamptz, timestamptz, integer) TO {APP_ROLE};
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
