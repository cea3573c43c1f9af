"""HTTP routes of the identity domain, one module per concept; `routers` in the order the API documents them
(the password routes last: they are the only ones without Idempotency-Key)."""

from __future__ import annotations

from sightline.identity.routes import me, organisation, sign_in

routers = (sign_in.public_router, sign_in.router, me.router, organisation.router, sign_in.password_router)
