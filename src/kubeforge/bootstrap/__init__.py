"""Apply a cluster in phases over SSH: idempotent, resumable, dry-run."""
