"""The lab: the planned machines as systemd-nspawn containers on sealed network namespaces.

Public surface: `lifecycle.up/down/status` (bring the lab up, tear it down, inspect it) and
`access.route` (how the operator reaches a machine). Everything the lab makes is named with the
prefix `kf` and recorded in the lab state file, so teardown removes exactly that.
"""
