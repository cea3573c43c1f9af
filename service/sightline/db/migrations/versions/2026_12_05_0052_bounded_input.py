"""Bounded input and fair scheduling: webhook claims cap each organisation's deliveries in flight.

Dispatchers serve every organisation from one queue. Claimed oldest-due first, one organisation's backlog
to an endpoint that hangs filled every slot, and every other organisation's deliveries waited for its
timeouts. Now a claim takes at most `p_per_org` deliveries in flight per organisation (across every
dispatcher: leased and not yet recorded) and leaves the rest of its slots to the others.

(The input bounds themselves are checked by the API; rows stored before them are read as they are.)

Revision ID: 0052
Revises: 0051
Create Date: 2026-12-05
"""

from sightline.db.ddl import APP_ROLE, AUTH_ROLE, run

revision = "0052"
down_revision = "0051"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run(f"""
    -- Per organisation: its pending deliveries in due order, and the few it has leased (in flight).
    CREATE INDEX webhook_deliveries_org_due_idx ON webhook_deliveries (org_id, next_attempt_at)
        WHERE status = 'pending';
    CREATE INDEX webhook_deliveries_leased_idx ON webhook_deliveries (org_id, next_attempt_at)
        WHERE status = 'pending' AND lease_token IS NOT NULL;
    GRANT SELECT (lease_token) ON webhook_deliveries TO {AUTH_ROLE};

    DROP FUNCTION webhook_claim_due(timestamptz, timestamptz, uuid, integer);
    DROP FUNCTION webhook_next_due();

    -- Each organisation with pending deliveries (one index probe per organisation: a loose index scan,
    -- however long its queue) and how many more it may have in flight now. A lease past its end no longer
    -- counts: that delivery is due again.
    CREATE FUNCTION webhook_org_slots(p_now timestamptz, p_per_org integer)
        RETURNS TABLE (org_id uuid, free bigint)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
            WITH RECURSIVE queued (org_id) AS (
                (SELECT q.org_id FROM webhook_deliveries AS q WHERE q.status = 'pending' ORDER BY q.org_id LIMIT 1)
                UNION ALL
                SELECT (
                    SELECT q.org_id FROM webhook_deliveries AS q
                    WHERE q.status = 'pending' AND q.org_id > queued.org_id
                    ORDER BY q.org_id LIMIT 1
                )
                FROM queued WHERE queued.org_id IS NOT NULL
            )
            SELECT queued.org_id, p_per_org - (
                SELECT count(*) FROM webhook_deliveries AS b
                WHERE b.org_id = queued.org_id AND b.status = 'pending' AND b.lease_token IS NOT NULL
                  AND b.next_attempt_at > p_now
            )
            FROM queued WHERE queued.org_id IS NOT NULL
        $$;

    -- Oldest due first, but no organisation beyond its free slots: the others' deliveries go out meanwhile.
    -- Concurrent claims each see the other's leases only once committed, so for that instant an
    -- organisation may briefly hold up to p_per_org per dispatcher.
    CREATE FUNCTION webhook_claim_due(
        p_now timestamptz, p_lease_until timestamptz, p_lease uuid, p_limit integer, p_per_org integer
    )
        RETURNS TABLE (org_id uuid, delivery_id uuid)
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
            WITH candidates AS (
                SELECT c.org_id, c.id
                FROM webhook_org_slots(p_now, p_per_org) AS s
                CROSS JOIN LATERAL (
                    SELECT q.org_id, q.id, q.next_attempt_at FROM webhook_deliveries AS q
                    WHERE q.org_id = s.org_id AND q.status = 'pending' AND q.next_attempt_at <= p_now
                    ORDER BY q.next_attempt_at
                    LIMIT greatest(s.free, 0)
                ) AS c
                ORDER BY c.next_attempt_at
                LIMIT p_limit
            )
            UPDATE webhook_deliveries AS d
            SET attempts = d.attempts + 1, next_attempt_at = p_lease_until, lease_token = p_lease
            FROM (
                SELECT q.org_id, q.id FROM webhook_deliveries AS q
                JOIN candidates AS c ON c.org_id = q.org_id AND c.id = q.id
                WHERE q.status = 'pending' AND q.next_attempt_at <= p_now
                FOR UPDATE OF q SKIP LOCKED
            ) AS due
            WHERE d.org_id = due.org_id AND d.id = due.id
            RETURNING d.org_id, d.id
        $$;

    -- When a claim can next find work: the next due delivery of an organisation below its cap, or, for
    -- one at its cap, the end of its first lease (a recorded result wakes its own dispatcher sooner).
    CREATE FUNCTION webhook_next_due(p_now timestamptz, p_per_org integer) RETURNS timestamptz
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
            SELECT min((
                SELECT min(q.next_attempt_at) FROM webhook_deliveries AS q
                WHERE q.org_id = s.org_id AND q.status = 'pending' AND (s.free > 0 OR q.lease_token IS NOT NULL)
            ))
            FROM webhook_org_slots(p_now, p_per_org) AS s
        $$;
    """)
    for signature in (
        "webhook_org_slots(timestamptz, integer)",
        "webhook_claim_due(timestamptz, timestamptz, uuid, integer, integer)",
        "webhook_next_due(timestamptz, integer)",
    ):
        run(f"""
        ALTER FUNCTION {signature} OWNER TO {AUTH_ROLE};
        REVOKE ALL ON FUNCTION {signature} FROM PUBLIC;
        """)
    for signature in (
        "webhook_claim_due(timestamptz, timestamptz, uuid, integer, integer)",
        "webhook_next_due(timestamptz, integer)",
    ):
        run(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE};")


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
