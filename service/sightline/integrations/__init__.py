"""Integrations: pulled key-result values (HTTP and SQL sources), chat formats, team digests, OIDC sign-in."""
