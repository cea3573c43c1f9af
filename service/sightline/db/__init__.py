"""Database access: engine with the restricted role, tenant-scoped sessions, embedded server, migrations."""
