"""HTTP routes of the integrations domain, one module per concept; `routers` in the order the API documents them."""

from __future__ import annotations

from sightline.integrations.routes import integrations, sql_connections, team_digests

routers = (integrations.router, sql_connections.router, team_digests.router)
