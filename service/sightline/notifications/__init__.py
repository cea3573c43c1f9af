"""Notifications to people: an inbox per member, preferences per kind, email through the mail outbox."""
