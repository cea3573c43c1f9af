"""Touching a credential's last-use time never waits for another request's transaction.

The resolvers refresh `api_keys.last_used_at` and `auth_sessions.last_seen_at` at most once a minute. Their UPDATE
named only the row, so when the minute turned, every request that had read the old time updated the row in turn,
each waiting for the previous one's whole transaction: with one busy API key, requests queued behind each other
once a minute (a request waited 2.5 s behind another that held its transaction open that long). The row is now
locked with SKIP LOCKED and only while its time is still older than a minute: a request that finds another one
touching it goes on, and one that comes after the touch finds nothing to do.

Revision ID: 0083
Revises: 0082
Create Date: 2026-12-07
"""

from sightline.db.ddl import run

revision = "0083"
down_revision = "0082"
branch_labels = None
depends_on = None

_API_KEY = """
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
                {touch}
            END IF;
            PERFORM set_config('app.org_id', hit.org_id::text, true);
            RETURN QUERY SELECT hit.org_id, hit.id, allowed, hit.created_by;
        END
        $$;
"""
_SESSION = """
    CREATE OR REPLACE FUNCTION auth_resolve_session(p_token_hash bytea, p_idle_seconds integer)
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
                {touch}
            END IF;
            PERFORM set_config('app.org_id', hit.org_id::text, true);
            RETURN QUERY SELECT hit.org_id, hit.user_id, hit.session_id, hit.role, hit.reauthenticated_at, hit.due;
        END
        $$;
"""


def _touch(table: str, column: str, row_id: str, *, waiting: bool) -> str:
    """The UPDATE of a credential's last use: `waiting`, as migrations 0050 and 0060 left it (named by its row
    only); else only while still older than a minute, skipping a row another request is touching."""
    if waiting:
        return f"""UPDATE {table} SET {column} = now()
                WHERE {table}.org_id = hit.org_id AND {table}.id = {row_id};"""
    return f"""UPDATE {table} SET {column} = now()
                WHERE ({table}.org_id, {table}.id) IN (
                    SELECT t.org_id, t.id FROM {table} t
                    WHERE t.org_id = hit.org_id AND t.id = {row_id}
                      AND (t.{column} IS NULL OR t.{column} < now() - interval '1 minute')
                    FOR NO KEY UPDATE SKIP LOCKED);"""


def _resolvers(*, waiting: bool) -> str:
    return _API_KEY.format(touch=_touch("api_keys", "last_used_at", "hit.id", waiting=waiting)) + _SESSION.format(
        touch=_touch("auth_sessions", "last_seen_at", "hit.session_id", waiting=waiting)
    )


def upgrade() -> None:
    run(_resolvers(waiting=False))


def downgrade() -> None:
    run(_resolvers(waiting=True))
