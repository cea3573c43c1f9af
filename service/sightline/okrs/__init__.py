"""The OKR core: teams, cycles, objectives, key results and check-ins."""

# Registers the status recompute with the organisation settings (a threshold change recomputes at once).
from sightline.okrs import recompute as _recompute  # noqa: F401
