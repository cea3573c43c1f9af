"""Redacted audit log: credentials out of the events already stored.

Events are written redacted from now on (sightline.events.redaction); this cleans the rows older code wrote
with integration and webhook URLs (tokens in query strings, user-info), header values or DSN passwords in
their snapshots. The app role may not change events (append-only); the migration runs as their owner and
lifts the forced row-level security only for its own transaction.

Revision ID: 0053
Revises: 0052
Create Date: 2026-12-05
"""

import json
from typing import Any
from uuid import UUID

from alembic import op
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB

from sightline.db.ddl import run
from sightline.events.redaction import redact

revision = "0053"
down_revision = "0052"
branch_labels = None
depends_on = None

BATCH = 1000
# Only rows whose text could hold a credential go through Python; the function decides on those.
_CANDIDATES = text("""
    SELECT org_id, id, before, after FROM events
    WHERE (org_id, id) > (:org, :id)
      AND (coalesce(before::text, '') || coalesce(after::text, ''))
          ~* '://|=|bearer|basic|token|secret|passw|authorization|cookie|dsn|headers|api_?key'
    ORDER BY org_id, id
    LIMIT :batch
""")
_UPDATE = text("UPDATE events SET before = :before, after = :after WHERE org_id = :org AND id = :id").bindparams(
    bindparam("before", type_=JSONB), bindparam("after", type_=JSONB)
)


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    bind = op.get_bind()
    run("ALTER TABLE events NO FORCE ROW LEVEL SECURITY;")
    last: tuple[Any, Any] = (UUID(int=0), UUID(int=0))
    while True:
        rows = bind.execute(_CANDIDATES, {"org": last[0], "id": last[1], "batch": BATCH}).all()
        for row in rows:
            before, after = _loaded(row.before), _loaded(row.after)
            clean_before, clean_after = redact(before), redact(after)
            if (clean_before, clean_after) != (before, after):
                bind.execute(_UPDATE, {"org": row.org_id, "id": row.id, "before": clean_before, "after": clean_after})
        if len(rows) < BATCH:
            break
        last = (rows[-1].org_id, rows[-1].id)
    run("ALTER TABLE events FORCE ROW LEVEL SECURITY;")


def downgrade() -> None:
    pass  # the secrets are gone for good, which is the point
