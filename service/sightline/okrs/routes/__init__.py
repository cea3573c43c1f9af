"""HTTP routes of the OKR core, one module per concept; `routers` in the order the API documents them."""

from __future__ import annotations

from sightline.okrs.routes import check_ins, cycles, key_results, me, objectives, teams

routers = (teams.router, cycles.router, objectives.router, key_results.router, check_ins.router, me.router)
