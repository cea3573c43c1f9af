"""HTTP routes of the identity domain, one module per concept; `routers` in the order the API documents them
(the password routes last: they are the only ones without Idempotency-Key)."""

from __future__ import annotations

from sightline.identity import security_notices
from sightline.identity.routes import invitations, me, organisation, password_reset, sign_in

security_notices.register()  # the API's changes of passwords and second factors mail their notices

routers = (
    sign_in.public_router,
    password_reset.public_router,
    sign_in.router,
    me.router,
    organisation.router,
    invitations.router,
    invitations.public_router,
    sign_in.password_router,
)
