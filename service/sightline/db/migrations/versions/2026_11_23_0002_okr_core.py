"""OKR core: teams, cycles, objectives, key results, check-ins; the event log; idempotency keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from sightline.db.ddl import run, tenant_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run("""
    CREATE TABLE teams (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        name text NOT NULL,
        parent_id uuid,
        lead_id uuid,
        archived_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, parent_id) REFERENCES teams (org_id, id),
        FOREIGN KEY (org_id, lead_id) REFERENCES users (org_id, id),
        CHECK (parent_id IS NULL OR parent_id <> id)
    );
    CREATE INDEX teams_parent_idx ON teams (org_id, parent_id);

    CREATE TABLE team_members (
        org_id uuid NOT NULL,
        team_id uuid NOT NULL,
        user_id uuid NOT NULL,
        PRIMARY KEY (org_id, team_id, user_id),
        FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) ON DELETE CASCADE,
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
    );
    CREATE INDEX team_members_user_idx ON team_members (org_id, user_id);

    CREATE TABLE cycles (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        name text NOT NULL,
        start_date date NOT NULL,
        end_date date NOT NULL,
        parent_id uuid,
        state text NOT NULL DEFAULT 'planning' CHECK (state IN ('planning', 'active', 'closed')),
        closed_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, id),
        UNIQUE (org_id, name),
        FOREIGN KEY (org_id, parent_id) REFERENCES cycles (org_id, id),
        CHECK (end_date > start_date)
    );

    CREATE TABLE objectives (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        cycle_id uuid NOT NULL,
        title text NOT NULL,
        description text NOT NULL DEFAULT '',
        level text NOT NULL CHECK (level IN ('company', 'team', 'individual')),
        team_id uuid,
        owner_id uuid NOT NULL,
        kind text NOT NULL DEFAULT 'committed' CHECK (kind IN ('committed', 'aspirational')),
        state text NOT NULL DEFAULT 'active' CHECK (state IN ('draft', 'active', 'closed', 'archived')),
        progress_from text NOT NULL DEFAULT 'key_results'
            CHECK (progress_from IN ('key_results', 'children', 'both')),
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, cycle_id) REFERENCES cycles (org_id, id),
        FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id),
        FOREIGN KEY (org_id, owner_id) REFERENCES users (org_id, id),
        CHECK (level = 'company' OR team_id IS NOT NULL)
    );
    CREATE INDEX objectives_list_idx ON objectives (org_id, created_at, id);
    CREATE INDEX objectives_cycle_idx ON objectives (org_id, cycle_id);
    CREATE INDEX objectives_team_idx ON objectives (org_id, team_id);
    CREATE INDEX objectives_owner_idx ON objectives (org_id, owner_id);

    CREATE TABLE key_results (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        objective_id uuid NOT NULL,
        title text NOT NULL,
        owner_id uuid NOT NULL,
        metric text NOT NULL CHECK (metric IN ('number', 'percent', 'currency', 'milestone')),
        unit text NOT NULL DEFAULT '',
        direction text NOT NULL CHECK (direction IN ('increase', 'decrease', 'at_least', 'at_most')),
        start_value double precision NOT NULL,
        target_value double precision NOT NULL,
        stretch_value double precision,
        previous_value double precision,
        weight double precision NOT NULL DEFAULT 1 CHECK (weight > 0),
        cadence text NOT NULL CHECK (cadence IN ('weekly', 'biweekly', 'monthly', 'quarterly')),
        milestone_plan jsonb NOT NULL DEFAULT '[]'::jsonb,
        data_source text NOT NULL DEFAULT 'manual',
        external_key text,
        archived_at timestamptz,
        -- Derived, kept in the same transaction as each check-in (and by the scheduled recompute).
        current_value double precision NOT NULL,
        progress double precision NOT NULL DEFAULT 0,
        score double precision NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'on_track'
            CHECK (status IN ('done', 'on_track', 'at_risk', 'off_track', 'no_data')),
        latest_confidence smallint,
        last_check_in_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, id),
        UNIQUE (org_id, external_key),
        FOREIGN KEY (org_id, objective_id) REFERENCES objectives (org_id, id),
        FOREIGN KEY (org_id, owner_id) REFERENCES users (org_id, id)
    );
    CREATE INDEX key_results_objective_idx ON key_results (org_id, objective_id);
    CREATE INDEX key_results_owner_idx ON key_results (org_id, owner_id);
    CREATE INDEX key_results_list_idx ON key_results (org_id, created_at, id);

    CREATE TABLE check_ins (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        key_result_id uuid NOT NULL,
        value double precision NOT NULL,
        confidence smallint CHECK (confidence BETWEEN 0 AND 10),
        note text NOT NULL DEFAULT '',
        author_id uuid,
        actor text NOT NULL,
        source text NOT NULL DEFAULT 'manual',
        checked_in_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- Recording order: breaks ties between check-ins reported for the same moment.
        seq bigint GENERATED BY DEFAULT AS IDENTITY,
        backdated boolean NOT NULL DEFAULT false,
        corrects uuid,
        reason text,
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, key_result_id) REFERENCES key_results (org_id, id),
        FOREIGN KEY (org_id, corrects) REFERENCES check_ins (org_id, id),
        -- A check-in is corrected at most once (correct the correction to change it again).
        UNIQUE (org_id, corrects),
        CHECK (corrects IS NULL OR (reason IS NOT NULL AND length(reason) > 0))
    );
    CREATE INDEX check_ins_history_idx ON check_ins (org_id, key_result_id, checked_in_at, seq);
    CREATE INDEX check_ins_recorded_idx ON check_ins (org_id, created_at, seq);


    -- Append-only at the database too: the app role may insert and read check-ins, never change them.
    CREATE TABLE events (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        type text NOT NULL,
        actor text NOT NULL,
        object_type text NOT NULL,
        object_id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        seq bigint GENERATED BY DEFAULT AS IDENTITY,  -- order of writing, also inside one transaction
        before jsonb,
        after jsonb,
        PRIMARY KEY (org_id, id)
    );
    CREATE INDEX events_list_idx ON events (org_id, occurred_at, seq);

    CREATE INDEX events_object_idx ON events (org_id, object_id, occurred_at);

    CREATE TABLE idempotency_keys (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        key text NOT NULL,
        request_hash bytea NOT NULL,
        state text NOT NULL CHECK (state IN ('in_flight', 'committed', 'done')),
        response_status integer,
        response_headers jsonb,
        response_body bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, key)
    );
    CREATE INDEX idempotency_expiry_idx ON idempotency_keys (expires_at);
    """)
    for table in (
        "teams",
        "team_members",
        "cycles",
        "objectives",
        "key_results",
        "check_ins",
        "events",
        "idempotency_keys",
    ):
        run(tenant_table(table))
    # Check-ins and events are immutable history: take back the rights to change or remove them.
    run("REVOKE UPDATE, DELETE ON check_ins, events FROM sightline_app;")
    # Background jobs (status recompute, reminders) visit each organisation in turn; this is the only
    # cross-tenant read they get: the list of organisation ids, nothing else.
    run("""
    CREATE FUNCTION
 worker_org_ids() RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$ SELECT org_id FROM orgs ORDER BY org_id $$;
    ALTER FUNCTION worker_org_ids() OWNER TO sightline_auth;
    REVOKE ALL ON FUNCTION worker_org_ids() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION worker_org_ids() TO sightline_app;
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
