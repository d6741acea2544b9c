"""The plan: every machine's name, role, addresses, MACs and NICs, derived from the spec."""
