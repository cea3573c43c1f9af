"""Outgoing mail: an outbox written in the sender's transaction, delivered by a worker job (SMTP or the log)."""
