"""Insights: the scoreboard and measures of the OKR process itself (ambition, honesty, calibration, grades)."""
