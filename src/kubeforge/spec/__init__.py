"""The user's cluster.yaml: models, the built-in default, loading, errata."""
