"""HTTP routes of planning, one module per concept (carry-over, templates); `routers` in the order the API documents
them. Each concept adds its own module here and its router to `routers`."""

from __future__ import annotations

from sightline.planning.routes import carry_over, templates

routers = (carry_over.router, templates.router)
