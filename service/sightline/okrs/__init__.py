"""The OKR core: teams, cycles, objectives, key results and check-ins."""
