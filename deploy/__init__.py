"""Production profile: local PostgreSQL, Redis and nginx configuration, and the replica supervisor (scripts/prod.sh)."""
