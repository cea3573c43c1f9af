"""Notifications to people: an inbox per member, preferences per kind, email now (and the daily digest)."""
