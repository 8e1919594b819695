"""What every app shares: the plumbing below the catalog, techdocs, webhooks,
compliance and audit (API base, roles and tokens, logs, locks, entity tabs)."""
