"""One round trip per single read: the credential and the document in one statement.

`read_credential` resolves an API key or a session with the existing resolvers (which set the tenant for
row-level security) and adds the person's email-verification flag; `read_objective`, `read_key_result` and
`read_cycle` return its columns plus the document as json, read as the app role under row-level security.
No row: the credential is refused. A NULL `doc`: no such document in the credential's organisation.
The functions run with TimeZone UTC (timestamps in the json are UTC whatever the connection says).

Revision ID: 0069
Revises: 0068
Create Date: 2026-12-05
"""

from sightline.db.ddl import APP_ROLE, run

revision = "0069"
down_revision = "0068"
branch_labels = None
depends_on = None

PRINCIPAL = """org_id uuid, user_id uuid, session_id uuid, key_id uuid, role text, scopes text[],
        reauthenticated_at timestamptz, mfa_enrolment_due boolean, email_verified boolean"""
ARGS = "p_key_hash bytea, p_session_hash bytea, p_idle_seconds integer"
SIGNATURES = (
    "read_credential(bytea, bytea, integer)",
    "read_objective(bytea, bytea, integer, uuid)",
    "read_key_result(bytea, bytea, integer, uuid)",
    "read_cycle(bytea, bytea, integer, uuid)",
)
# The documents, read after read_credential set the tenant (`who`: its row).
DOCUMENTS = {
    "read_objective": """
        SELECT json_build_object(
            'objective', row_to_json(o),
            'key_results', coalesce((
                SELECT json_agg(k ORDER BY k.created_at, k.id) FROM key_results k
                WHERE k.org_id = o.org_id AND k.objective_id = o.id AND k.archived_at IS NULL), '[]'::json),
            'cycle', row_to_json(c),
            'settings', g.settings::text)
        FROM objectives o
        JOIN cycles c ON c.org_id = o.org_id AND c.id = o.cycle_id
        JOIN orgs g ON g.org_id = o.org_id
        WHERE o.org_id = who.org_id AND o.id = p_id""",
    "read_key_result": """
        SELECT json_build_object('key_result', row_to_json(k), 'cycle', row_to_json(c), 'settings', g.settings::text)
        FROM key_results k
        JOIN objectives o ON o.org_id = k.org_id AND o.id = k.objective_id
        JOIN cycles c ON c.org_id = o.org_id AND c.id = o.cycle_id
        JOIN orgs g ON g.org_id = k.org_id
        WHERE k.org_id = who.org_id AND k.id = p_id""",
    "read_cycle": """
        SELECT row_to_json(c) FROM cycles c WHERE c.org_id = who.org_id AND c.id = p_id""",
}


def upgrade() -> None:
    run(f"""
    CREATE FUNCTION read_credential({ARGS})
        RETURNS TABLE ({PRINCIPAL})
        LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public, pg_temp
        AS $$
        #variable_conflict use_column
        BEGIN
            IF p_key_hash IS NOT NULL THEN
                RETURN QUERY SELECT r.org_id, r.created_by, NULL::uuid, r.key_id, NULL::text, r.scopes,
                                    NULL::timestamptz, false, NULL::boolean
                             FROM auth_resolve_api_key(p_key_hash) r;
                RETURN;
            END IF;
            -- The session's person: verified or not (identity/verification.py's gate), after the resolver
            -- set the tenant, so row-level security applies to the look-up.
            RETURN QUERY SELECT r.org_id, r.user_id, r.session_id, NULL::uuid, r.role, NULL::text[],
                                r.reauthenticated_at, r.mfa_enrolment_due,
                                (SELECT u.email_verified_at IS NOT NULL FROM users u
                                 WHERE u.org_id = r.org_id AND u.id = r.user_id)
                         FROM auth_resolve_session(p_session_hash, p_idle_seconds) r;
        END
        $$;
    REVOKE ALL ON FUNCTION read_credential(bytea, bytea, integer) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION read_credential(bytea, bytea, integer) TO {APP_ROLE};
    """)
    for name, document in DOCUMENTS.items():
        run(f"""
        CREATE FUNCTION {name}({ARGS}, p_id uuid)
            RETURNS TABLE ({PRINCIPAL}, doc json)
            LANGUAGE plpgsql VOLATILE SECURITY INVOKER
            SET search_path = public, pg_temp SET TimeZone = 'UTC' SET extra_float_digits = 1
            AS $$
            #variable_conflict use_column
            DECLARE
                who record;
                found_doc json;
            BEGIN
                SELECT * INTO who FROM read_credential(p_key_hash, p_session_hash, p_idle_seconds);
                IF NOT FOUND THEN
                    RETURN;
                END IF;
                {document} INTO found_doc;
                RETURN QUERY SELECT who.org_id, who.user_id, who.session_id, who.key_id, who.role, who.scopes,
                                    who.reauthenticated_at, who.mfa_enrolment_due, who.email_verified, found_doc;
            END
            $$;
        REVOKE ALL ON FUNCTION {name}(bytea, bytea, integer, uuid) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION {name}(bytea, bytea, integer, uuid) TO {APP_ROLE};
        """)


def downgrade() -> None:
    run("".join(f"DROP FUNCTION {signature};\n" for signature in reversed(SIGNATURES)))
