"""Signed webhooks: endpoints, the transactional outbox, the dispatcher, signing and the URL guard."""
