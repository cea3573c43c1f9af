"""Webhooks: endpoints, the delivery outbox, the dispatcher's cross-tenant claim; check-in reminders.

Revision ID: 0010
Revises: 0030
Create Date: 2026-11-23
"""

from sightline.db.ddl import APP_ROLE, AUTH_ROLE, run, tenant_table

revision = "0010"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run("""
    CREATE TABLE webhook_endpoints (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        url text NOT NULL CHECK (length(url) <= 2048),
        description text NOT NULL DEFAULT '',
        event_types text[],  -- NULL: every event type; otherwise exact types or families ("objective.*")
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        disabled_at timestamptz,
        -- Signing secrets must be usable for HMAC, so they are kept as issued (never shown to non-admins).
        secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        -- Start of the current run of failed attempts; cleared by any success. Drives auto-disabling.
        failing_since timestamptz,
        last_success_at timestamptz,
        last_failure_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, id),
        CHECK (enabled OR disabled_at IS NOT NULL)
    );
    CREATE INDEX webhook_endpoints_list_idx ON webhook_endpoints (org_id, created_at, id);

    -- The outbox: one row per (event, endpoint), written in the transaction of the event.
    CREATE TABLE webhook_deliveries (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        endpoint_id uuid NOT NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paused', 'succeeded', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        -- While pending: when the next attempt is due; while a dispatcher holds it: the end of its lease.
        next_attempt_at timestamptz,
        lease_token uuid,  -- set by the claim, cleared when the attempt's result is recorded
        last_attempt_at timestamptz,
        response_status integer,
        response_excerpt text,
        latency_ms integer,
        error text,
        delivered_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, id),
        UNIQUE (org_id, event_id, endpoint_id),
        FOREIGN KEY (org_id, endpoint_id) REFERENCES webhook_endpoints (org_id, id) ON DELETE CASCADE,
        FOREIGN KEY (org_id, event_id) REFERENCES events (org_id, id),
        CHECK (status <> 'pending' OR next_attempt_at IS NOT NULL)
    );
    -- The work queue across organisations (the dispatcher serves them all): due pending rows only.
    CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (org_id, endpoint_id, created_at, id);
    CREATE INDEX webhook_deliveries_state_idx ON webhook_deliveries (org_id, endpoint_id, status);

    -- Check-in reminders already announced: the missed deadline's reference and how many periods.
    CREATE TABLE checkin_reminders (
        org_id uuid NOT NULL,
        key_result_id uuid NOT NULL,
        reference_at timestamptz NOT NULL,  -- last check-in, or the cycle start when there was none
        periods integer NOT NULL CHECK (periods > 0),
        notified_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, key_result_id),
        FOREIGN KEY (org_id, key_result_id) REFERENCES key_results (org_id, id) ON DELETE CASCADE
    );
    """)
    for table in ("webhook_endpoints", "webhook_deliveries", "checkin_reminders"):
        run(tenant_table(table))

    # Dispatchers serve every organisation from one queue. Looping over worker_org_ids() and polling each
    # organisation would cost a statement per organisation per poll and make the LISTEN/NOTIFY wake-up
    # guess which one to look at; instead, two narrow SECURITY DEFINER functions (owned by the auth role,
    # like those of 0001) touch only the queue columns of webhook_deliveries: one claims due rows and
    # returns nothing but (org_id, delivery_id), the other tells when the next row falls due. Everything
    # else the dispatcher reads or writes (endpoint, secret, event, the result) goes through tenant-scoped
    # transactions under row-level security.
    run(f"""
    CREATE POLICY dispatch_queue ON webhook_deliveries FOR SELECT TO {AUTH_ROLE} USING (true);
    CREATE POLICY dispatch_claim ON webhook_deliveries FOR UPDATE TO {AUTH_ROLE} USING (true) WITH CHECK (true);
    GRANT SELECT (org_id, id, status, next_attempt_at, attempts) ON webhook_deliveries TO {AUTH_ROLE};
    GRANT UPDATE (attempts, next_attempt_at, lease_token) ON webhook_deliveries TO {AUTH_ROLE};

    CREATE FUNCTION webhook_claim_due(p_now timestamptz, p_lease_until timestamptz, p_lease uuid, p_limit integer)
        RETURNS TABLE (org_id uuid, delivery_id uuid)
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
            UPDATE webhook_deliveries AS d
            SET attempts = d.attempts + 1, next_attempt_at = p_lease_until, lease_token = p_lease
            FROM (
                SELECT q.org_id, q.id FROM webhook_deliveries AS q
                WHERE q.status = 'pending' AND q.next_attempt_at <= p_now
                ORDER BY q.next_attempt_at
                LIMIT p_limit
                FOR UPDATE SKIP LOCKED
            ) AS due
            WHERE d.org_id = due.org_id AND d.id = due.id
            RETURNING d.org_id, d.id
        $$;

    CREATE FUNCTION webhook_next_due() RETURNS timestamptz
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$ SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending' $$;
    """)
    for signature in ("webhook_claim_due(timestamptz, timestamptz, uuid, integer)", "webhook_next_due()"):
        run(f"""
        ALTER FUNCTION {signature} OWNER TO {AUTH_ROLE};
        REVOKE ALL ON FUNCTION {signature} FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE};
        """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
